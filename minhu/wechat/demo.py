"""The WeChat groups' share of the demo district (minhu.demo.parts, order 42): groups on the
grids of three communities kept by their grid workers, a community-wide group, messages turned
into work items (one answered and posted back, one repeated), policy posts and problems settled
in the groups — all through the app's verbs."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.orgs.models import Unit, User

from . import actions
from .models import RecordKind, WechatGroup

COMMUNITIES = ("hubin", "liuan", "gulou")
GROUP_NAMES = ("{c}第{g}网格邻里群", "{c}第{g}网格社情民意群")

# (community, grid, sender, phone, text, lead unit code or "", answer or "")
MESSAGES = (
    (
        "hubin",
        1,
        "张阿姨",
        "",
        "张阿姨 09:12\n湖滨花园3栋门口的路灯坏了一个星期了，晚上老人出门看不清，麻烦处理一下。",
        "donghu",
        "路灯已由区城管局更换，今晚起恢复照明，谢谢您的反映。",
    ),
    (
        "hubin",
        2,
        "碧水苑业主李",
        "13905171101",
        "碧水苑地下车库入口积水严重，下雨天车开不进去，希望物业和社区协调排水。",
        "donghu",
        "",
    ),
    (
        "liuan",
        1,
        "",
        "",
        "柳岸新村东门早市摊贩占道，早上七点多人车混行很危险。",
        "",
        "",
    ),
    (
        "gulou",
        3,
        "老纺织厂退休职工",
        "",
        "老纺织厂宿舍楼顶漏水，家里墙皮掉了，雨季越来越严重。",
        "xicheng",
        "街道已联系产权单位，本月内完成楼顶防水维修，维修期间请注意安全。",
    ),
)

POSTS = (
    "转发2027年度城乡居民医保缴费通知",
    "转发秋冬季防火安全提示",
    "社区老年食堂开餐时间及菜单",
    "电动自行车规范停放和充电须知",
)
SETTLED = (
    "居民问垃圾清运时间，已在群里答复每天7点、18点两次",
    "居民寻找丢失的钥匙，群友拾到已归还",
    "询问社区疫苗接种时间，已在群里答复",
)


def built() -> bool:
    return WechatGroup.objects.exists()


def build(*, seed: int, now, out) -> str:
    rng = random.Random(seed + 42)
    admin = User.objects.filter(username="dispatcher").first()
    units = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    groups: dict[tuple[str, int], WechatGroup] = {}
    for c in COMMUNITIES:
        community = units.get(c)
        if community is None:
            continue
        for g in range(1, 5):
            grid, keeper = units.get(f"{c}-g{g}"), users.get(f"{c}-grid{g}")
            if grid is None or keeper is None:
                continue
            groups[(c, g)] = actions.create_group(
                actor=admin,
                unit=grid,
                name=GROUP_NAMES[g % 2].format(c=community.name, g=g),
                keeper=keeper,
                member_count=rng.randint(120, 480),
            )
        handler = users.get(f"{c}-handler")
        if handler is not None:
            actions.create_group(
                actor=admin,
                unit=community,
                name=f"{community.name}居民议事群",
                keeper=handler,
                member_count=rng.randint(300, 500),
                note="社区书记任群主，网格员任管理员",
            )
    items = answered = 0
    first = None
    for c, g, sender, phone, text, lead, answer in MESSAGES:
        group = groups.get((c, g))
        if group is None:
            continue
        m = actions.register_message(
            actor=group.keeper, group=group, text=text, sender=sender, sender_phone=phone
        )
        items += 1
        first = first or m
        if not lead or lead not in units:
            continue
        a = m.appeal
        appeal_actions.dispatch(a, actor=admin, lead_unit=units[lead])
        handler = users.get(f"{lead}-handler")
        if handler is None or not answer:
            continue
        appeal_actions.claim(a, actor=handler)
        if phone:
            appeal_actions.contact_appellant(a, actor=handler, note="已电话联系居民")
        appeal_actions.resolve(a, actor=handler, outcome_kind="on_spot", outcome=answer)
        appeal_actions.reply(a, actor=handler, text=answer)
        actions.mark_answered(m, actor=group.keeper)
        answered += 1
    repeats = 0
    if first is not None and first.appeal.status != "closed":
        # The same message forwarded again from another group of the community.
        other = groups.get(("hubin", 3))
        if other is not None:
            actions.register_message(
                actor=other.keeper, group=other, text=first.text, sender="王大爷"
            )
            repeats += 1
    records = 0
    today = timezone.localdate(now) if isinstance(now, dt.datetime) else now
    for i, group in enumerate(groups.values()):
        for j, title in enumerate(POSTS[: 1 + i % len(POSTS)]):
            actions.add_record(
                actor=group.keeper,
                group=group,
                kind=RecordKind.POLICY_POST,
                title=title,
                happened_on=today - dt.timedelta(days=3 * j + i),
            )
            records += 1
        if i < len(SETTLED):
            actions.add_record(
                actor=group.keeper,
                group=group,
                kind=RecordKind.SETTLED,
                title=SETTLED[i],
                happened_on=today - dt.timedelta(days=i),
            )
            records += 1
    total = WechatGroup.objects.count()
    return (
        f"微信群 {total} 个，群消息立单 {items} 条（群内已回复 {answered} 条，重复反映 {repeats} 条），"
        f"政策宣传与群内解决记录 {records} 条"
    )


def logins() -> list[tuple[str, str, str, str]]:
    return [("hubin-grid1", "minhu2026", "网格员（微信群群主，登记群消息）", "湖滨社区第1网格")]
