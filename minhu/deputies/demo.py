"""The deputies' share of the demo district (minhu.demo.parts, order 40): a register of
deputies and their suggestions, some answered and rated, through the app's verbs."""

from __future__ import annotations

import random

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Satisfaction
from minhu.orgs.models import Unit, User

from . import actions
from .models import Deputy, DeputyLevel

DEPUTIES = (
    ("王建国", DeputyLevel.DISTRICT, "东湖街道第3选区", "13905170001", "湖滨社区居委会"),
    ("李秀英", DeputyLevel.DISTRICT, "东湖街道第5选区", "13905170002", "云湖区第一小学"),
    ("张伟", DeputyLevel.CITY, "云湖区代表团", "13905170003", "云湖建设集团"),
    ("刘芳", DeputyLevel.DISTRICT, "西城街道第2选区", "13905170004", "西城街道卫生服务中心"),
    ("陈志强", DeputyLevel.TOWN, "青龙镇第1选区", "13905170005", "青龙镇农业合作社"),
    ("赵敏", DeputyLevel.PROVINCIAL, "云湖市代表团", "13905170006", "云湖市人民医院"),
)

# (deputy, title, content, grid code, lead unit code or "", answer or "", rating or "")
SUGGESTIONS = (
    (
        "王建国",
        "建议在湖滨社区增设老年食堂",
        "湖滨社区60岁以上老人占三成，午饭难，建议利用社区闲置用房开设老年食堂。",
        "hubin-g1",
        "donghu",
        "湖滨社区老年食堂已于本月开业，每日供应午餐，欢迎代表监督。",
        Satisfaction.SATISFIED,
    ),
    (
        "李秀英",
        "建议中小学教室配备空调",
        "夏季教室温度超过35度，建议分批为区属中小学教室配备空调。",
        "",
        "jiaoyu",
        "区教育局已将教室空调列入今年民生实事，首批20所学校暑期完成安装。",
        Satisfaction.BASIC,
    ),
    (
        "张伟",
        "建议整治东湖大道占道经营",
        "东湖大道早晚高峰占道经营严重，影响通行，建议设置便民疏导点。",
        "liuan-g1",
        "chengguan",
        "区城管局已在柳岸路口设置便民疏导点，早晚高峰加强巡查。",
        "",
    ),
    (
        "刘芳",
        "建议增加社区卫生服务站夜间门诊",
        "西城片区夜间就医不便，建议社区卫生服务站开设夜间门诊。",
        "",
        "",
        "",
        "",
    ),
    (
        "陈志强",
        "建议修缮青龙镇农村道路",
        "青龙镇部分村道破损严重，雨季出行困难，建议纳入农村公路提升计划。",
        "",
        "qinglong",
        "",
        "",
    ),
    (
        "赵敏",
        "建议推广家庭医生签约服务",
        "建议扩大家庭医生签约覆盖面，优先覆盖慢病老人。",
        "",
        "",
        "",
        "",
    ),
    (
        "王建国",
        "建议加装老旧小区电梯",
        "湖滨花园多栋六层住宅无电梯，建议推进既有住宅加装电梯。",
        "hubin-g2",
        "zhujian",
        "",
        "",
    ),
)


def built() -> bool:
    return Deputy.objects.exists()


def build(*, seed: int, now, out) -> str:
    rng = random.Random(seed + 40)
    dispatcher = User.objects.get(username="dispatcher")
    deputies = {
        name: actions.create_deputy(
            actor=dispatcher,
            name=name,
            level=level,
            constituency=constituency,
            phone=phone,
            workplace=workplace,
        )
        for name, level, constituency, phone, workplace in DEPUTIES
    }
    units = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__endswith="-handler")}
    answered = rated = 0
    for name, title, content, grid, lead, answer, rating in SUGGESTIONS:
        s = actions.submit_suggestion(
            actor=dispatcher,
            deputy=deputies[name],
            title=title,
            content=content,
            grid=units.get(grid),
        )
        if not lead or lead not in units:
            continue
        a = s.appeal
        appeal_actions.dispatch(a, actor=dispatcher, lead_unit=units[lead])
        handler = users.get(f"{lead}-handler")
        if handler is None:
            continue
        appeal_actions.claim(a, actor=handler)
        if not answer:
            continue
        appeal_actions.contact_appellant(a, actor=handler, note="已电话联系代表")
        appeal_actions.resolve(
            a, actor=handler, outcome_kind=rng.choice(["on_spot", "coordinated"]), outcome=answer
        )
        appeal_actions.reply(a, actor=handler, text=answer)
        answered += 1
        if rating:
            appeal_actions.rate(a.code, phone=deputies[name].phone, satisfaction=rating)
            rated += 1
    return f"代表 {len(deputies)} 名，建议 {len(SUGGESTIONS)} 条，已答复 {answered} 条，代表已评价 {rated} 条"


def logins() -> list[tuple[str, str, str, str]]:
    return [("dispatcher", "minhu2026", "调度员（代表建议录入、名册）", "区12345调度中心")]
