"""The demo's share of the service supermarket (issue 11, item 3): a catalogue in the six
categories from the outside parties of the consultation part and the street's own units, and
orders in every state (waiting at the desk, refused, withdrawn, placed and 待签收, 办理中, one
past its time limit, 已办理待答复, 已答复待回访, rated and closed).

Built through the verbs on the demo clock, deterministic for a seed; after the consultation
part (its providers)."""

from __future__ import annotations

import datetime as dt
import random

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Satisfaction
from minhu.orgs.models import Role, Unit, User

from . import actions
from .models import Service, ServiceCategory

# (provider code, name, category, price, unit, days, requirements, areas, description)
CATALOGUE = (
    (
        "p-anju",
        "楼道灯具维修",
        ServiceCategory.PROPERTY,
        None,
        "",
        2,
        "",
        ("hubin", "liuan"),
        "物业电工上门检修楼道、单元门灯具和线路。",
    ),
    (
        "p-bishui",
        "小区绿化修剪",
        ServiceCategory.PROPERTY,
        None,
        "",
        5,
        "",
        ("wanghu",),
        "修剪楼前屋后影响采光的树木和绿篱。",
    ),
    (
        "sp-lejia",
        "油烟机清洗",
        ServiceCategory.HOME,
        "80",
        "台",
        2,
        "请提前清空灶台",
        ("hubin", "liuan", "wanghu"),
        "上门拆洗油烟机，约两小时。",
    ),
    (
        "sp-lejia",
        "管道疏通",
        ServiceCategory.HOME,
        "50",
        "次",
        1,
        "",
        ("hubin", "liuan", "wanghu"),
        "厨房、卫生间下水管道疏通。",
    ),
    (
        "donghu",
        "老旧小区楼道粉刷",
        ServiceCategory.OLD_ESTATE,
        None,
        "",
        10,
        "需楼栋三分之二住户同意",
        ("hubin", "liuan"),
        "街道组织老旧小区楼道墙面粉刷翻新。",
    ),
    (
        "hubin",
        "邻里纠纷调解",
        ServiceCategory.MEDIATION,
        None,
        "",
        3,
        "",
        ("hubin",),
        "社区人民调解员上门调解漏水、噪音等邻里纠纷。",
    ),
    (
        "v-donghu",
        "助老陪诊",
        ServiceCategory.VOLUNTEER,
        None,
        "",
        3,
        "请提供就诊医院和时间",
        ("hubin", "liuan", "wanghu"),
        "志愿者陪同独居老人就医、取药。",
    ),
    (
        "s-nuanxin",
        "独居老人助餐",
        ServiceCategory.SOCIAL_ORG,
        "12",
        "餐",
        5,
        "需登记老人身体状况",
        ("hubin", "liuan"),
        "社工机构为独居老人送餐上门。",
    ),
)

# (service index, community, resident, phone, need, state)
ORDERS = (
    # First, so its one working day is long past.
    (3, "liuan", "吴先生", "13800003005", "卫生间地漏返臭水", "overdue"),
    (2, "hubin", "钱女士", "13800003001", "厨房油烟机很久没洗了，油很多", "closed"),
    (4, "liuan", "孙大爷", "13800003002", "金柳小区3号楼楼道墙皮脱落", "replied"),
    (0, "hubin", "李阿姨", "13800003003", "5号楼2单元楼道灯不亮", "resolved"),
    (6, "wanghu", "周大爷", "13800003004", "下周二去区医院复查，希望有人陪同", "in_progress"),
    (5, "hubin", "郑女士", "13800003006", "楼上卫生间漏水到我家，协商不成", "dispatched"),
    (7, "liuan", "冯奶奶", "13800003007", "想登记每天午餐送餐", "pending"),
    (1, "wanghu", "陈先生", "13800003008", "楼前树枝挡住窗户", "rejected"),
    (3, "hubin", "褚女士", "13800003009", "厨房下水堵了", "cancelled"),
)


def is_built() -> bool:
    return Service.objects.exists()


def _desk(code: str) -> User:
    return User.objects.get(username=f"{code}-handler")


def build(*, seed: int, now: dt.datetime, out) -> str:  # noqa: ARG001
    from minhu.demo.clock import DemoClock

    rng = random.Random(seed * 13 + 3)
    codes = {c[0] for c in CATALOGUE} | {a for c in CATALOGUE for a in c[7]}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    street_staff = User.objects.get(username="donghu-handler")
    placed = 0
    with DemoClock(rng, ceiling=now) as clock:
        clock.set(now - dt.timedelta(days=12))
        services = [
            actions.create_service(
                actor=street_staff,
                provider=units[code],
                areas=[units[a] for a in areas],
                name=name,
                category=category,
                description=description,
                price=price or "",
                price_unit=unit,
                time_limit_days=days,
                requirements=req,
            )
            for code, name, category, price, unit, days, req, areas, description in CATALOGUE
        ]
        for si, area, resident, phone, need, state in ORDERS:
            clock.after_work_days(0.3, 0.8)
            service, community = services[si], units[area]
            address = (
                f"{community.name}{rng.randint(1, 12)}号楼{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
            )
            order = actions.order_online(
                service,
                community=community,
                name=resident,
                phone=phone,
                address=address,
                need=need,
                preferred_time=rng.choice(["工作日上午", "周末下午", "尽快", ""]),
            )
            if state == "pending":
                continue
            if state == "cancelled":
                actions.cancel_order(order.number, phone=phone, reason="已自行解决")
                continue
            clock.after_hours(1, 3)
            desk = _desk(area)
            if state == "rejected":
                actions.reject_order(
                    order, actor=desk, reason="该小区由物业合同负责修剪，已转告物业"
                )
                continue
            order = actions.place_order(order, actor=desk)
            placed += 1
            item = order.item
            if state == "dispatched":
                continue
            handler = User.objects.filter(
                memberships__unit=service.provider, memberships__role=Role.HANDLER
            ).first()
            clock.after_hours(0.5, 3)
            appeal_actions.claim(item, actor=handler)
            clock.after_hours(1, 4)
            appeal_actions.add_progress(item, actor=handler, note="已电话联系居民，约定上门时间。")
            if state in ("in_progress", "overdue"):
                continue
            clock.after_work_days(0.2, 0.8)
            appeal_actions.resolve(
                item, actor=handler, outcome_kind="on_spot", outcome="已上门完成服务，居民确认。"
            )
            if state == "resolved":
                continue
            clock.after_hours(1, 3)
            appeal_actions.reply(
                item, actor=handler, text=f"{resident}您好，您点的{service.name}已完成，欢迎评价。"
            )
            if state == "replied":
                continue
            clock.after_hours(2, 20)
            item.refresh_from_db()
            appeal_actions.rate(
                item.code, phone=phone, satisfaction=Satisfaction.SATISFIED, comment="师傅很专业"
            )
            item.refresh_from_db()
            if item.status != "closed":
                appeal_actions.close(
                    item, actor=User.objects.get(username="dispatcher"), note="服务完成，居民满意"
                )
    return f"{len(services)} 项服务（六类），{len(ORDERS)} 个订单（{placed} 个已下单）"


def logins() -> list[tuple[str, str, str, str]]:
    return []  # the desks are the communities' handlers; the providers are the consultation part's
