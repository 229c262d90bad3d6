"""The demo's share of issue 11: outside parties with their own logins, consultation rooms with
members and members' visits, topics, meetings and decisions in every state of the loop.

Built through the verbs (orgs, consultation, appeals), on the demo clock, deterministic for a
seed."""

from __future__ import annotations

import datetime as dt
import random

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Satisfaction
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Role, Unit, UnitKind, User

from . import actions
from .models import MemberRole, Room, TopicSource

PASSWORD = "minhu2026"

# (code, name, kind, parent unit code, served communities, login, display name)
PARTIES = (
    (
        "p-anju",
        "安居物业服务有限公司",
        UnitKind.PROPERTY,
        "hubin",
        ("liuan",),
        "wuye-anju",
        "安居物业客服",
    ),
    (
        "p-bishui",
        "碧水物业管理有限公司",
        UnitKind.PROPERTY,
        "wanghu",
        (),
        "wuye-bishui",
        "碧水物业客服",
    ),
    (
        "v-donghu",
        "东湖街道志愿服务队",
        UnitKind.VOLUNTEER,
        "donghu",
        (),
        "zhiyuan-donghu",
        "志愿服务队队长",
    ),
    (
        "s-nuanxin",
        "暖心社工服务中心",
        UnitKind.SOCIAL_ORG,
        "donghu",
        ("hubin", "liuan"),
        "shegong-nuanxin",
        "暖心社工",
    ),
    ("r-gongdian", "云湖供电所", UnitKind.RESIDENT_UNIT, "donghu", (), "gongdian", "供电所联络员"),
    (
        "sp-lejia",
        "乐家家政服务公司",
        UnitKind.PROVIDER,
        "donghu",
        (),
        "jiazheng-lejia",
        "乐家家政调度",
    ),
)

ROOMS = (
    ("hubin", "湖滨社区“有事好商量”议事室", "湖滨路18号社区党群服务中心二楼"),
    ("liuan", "柳岸社区议事室", "柳岸街6号社区服务站"),
    ("donghu", "东湖街道协商议事厅", "东湖大道100号街道办事处三楼"),
)

MEMBERS = (
    ("王建国", MemberRole.COMMITTEE, "13700001001"),
    ("李秀兰", MemberRole.DEPUTY, "13700001002"),
    ("张志强", MemberRole.REPRESENTATIVE, "13700001003"),
    ("刘芳", MemberRole.CADRE, ""),
)

# (room index, topic, detail, resident, phone, party code or None for the owners, state)
CASES = (
    (
        2,
        "东湖大道人行道停车",
        "东湖大道人行道被机动车占用，行人只能走机动车道。",
        "吴先生",
        "13800002005",
        "v-donghu",
        "overdue",
    ),
    (
        0,
        "3号楼楼道灯长期不亮",
        "湖滨花园3号楼楼道灯坏了好几周，老人晚上上下楼很危险。",
        "赵阿姨",
        "13800002001",
        "p-anju",
        "closed",
    ),
    (
        0,
        "3号楼灯泡由业主自购",
        "议定业主分摊购买楼道灯泡，由楼栋长统一采购。",
        "赵阿姨",
        "13800002001",
        None,
        "replied",
    ),
    (
        0,
        "小区电动车飞线充电",
        "碧水苑多栋楼有居民从楼上拉线给电动车充电，存在火灾隐患。",
        "孙先生",
        "13800002002",
        "r-gongdian",
        "in_progress",
    ),
    (
        1,
        "柳岸新村垃圾分类亭异味",
        "柳岸新村垃圾分类亭夏天异味大，清运不及时。",
        "钱女士",
        "13800002003",
        "p-anju",
        "dispatched",
    ),
    (
        1,
        "独居老人助餐",
        "柳岸社区有十几位独居老人吃饭困难，希望有助餐服务。",
        "周大爷",
        "13800002004",
        "s-nuanxin",
        "resolved",
    ),
)


def is_built() -> bool:
    return Room.objects.exists()


def _unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def _parties() -> dict[str, Unit]:
    out = {}
    for code, name, kind, parent, served, login, display in PARTIES:
        unit = org_actions.create_unit(
            actor=None,
            name=name,
            code=code,
            kind=kind,
            parent=_unit(parent),
            phone="0291234" + str(len(out) + 5000),
            paired_communities=[_unit(c) for c in served],
        )
        org_actions.create_user(
            actor=None,
            username=login,
            password=PASSWORD,
            display_name=display,
            unit=unit,
            role=Role.HANDLER,
        )
        out[code] = unit
    return out


def build(*, seed: int, now: dt.datetime, out) -> str:  # noqa: ARG001
    from minhu.demo.clock import DemoClock

    rng = random.Random(seed * 11 + 11)
    parties = _parties()
    staff = {
        "hubin": User.objects.get(username="hubin-handler"),
        "liuan": User.objects.get(username="liuan-handler"),
        "donghu": User.objects.get(username="donghu-handler"),
    }
    centre = User.objects.get(username="dispatcher")
    decisions = 0
    with DemoClock(rng, ceiling=now) as clock:
        clock.set(now - dt.timedelta(days=24))
        rooms = []
        for code, name, address in ROOMS:
            room = actions.create_room(
                actor=staff[code], unit=_unit(code), name=name, address=address
            )
            members = [
                actions.add_member(room, actor=staff[code], name=n, role=r, phone=p)
                for n, r, p in MEMBERS
            ]
            for i, m in enumerate(members[:3]):
                actions.record_member_visit(
                    m,
                    actor=staff[code],
                    visited_on=clock.t.date() - dt.timedelta(days=i + 1),
                    households=rng.randint(3, 12),
                    note="入户走访，听取居民对楼道照明、停车和养老服务的意见。",
                )
            rooms.append((room, members, staff[code]))
        # A topic still waiting for a meeting, and one with a meeting convened for next week.
        room, members, who = rooms[0]
        actions.raise_topic(
            room,
            actor=who,
            title="湖畔人家增设快递柜",
            detail="湖畔人家没有快递柜，快递堆在门卫室，丢件多。",
            raised_by_name="郑女士",
            raised_by_phone="13800002006",
        )
        pending = actions.raise_topic(
            room,
            actor=who,
            title="碧水苑健身器材老化",
            detail="碧水苑健身器材锈蚀，有一台已经断裂。",
            source=TopicSource.VISIT,
        )
        actions.convene(
            pending,
            actor=who,
            starts_at=now + dt.timedelta(days=6),
            invited_units=[parties["p-bishui"]],
            invited_members=members[:3],
        )
        cancelled = actions.raise_topic(
            rooms[1][0],
            actor=rooms[1][2],
            title="柳岸华庭停车位分配",
            detail="柳岸华庭停车位分配不公开，居民意见大。",
        )
        m = actions.convene(
            cancelled,
            actor=rooms[1][2],
            starts_at=clock.after_work_days(1, 2),
            invited_members=rooms[1][1][:2],
        )
        actions.cancel_meeting(m, actor=rooms[1][2], reason="业委会换届，改期另行通知")

        for ri, title, detail, resident, phone, party, state in CASES:
            room, members, who = rooms[ri]
            clock.after_work_days(0.5, 1)
            topic = actions.raise_topic(
                room,
                actor=who,
                title=title,
                detail=detail,
                raised_by_name=resident,
                raised_by_phone=phone,
            )
            meeting = actions.convene(
                topic,
                actor=who,
                starts_at=clock.after_hours(20, 30),
                invited_units=[parties[party]] if party else [],
                invited_members=members,
            )
            actions.hold(
                meeting,
                actor=who,
                minutes=f"议题：{title}。与会各方充分协商，形成一致意见，明确责任方和完成时限。",
                attended_members=members[:3],
                attendance_note="街道、社区、网格员及楼栋居民代表",
            )
            due = clock.t.date() + dt.timedelta(days=3 if state == "overdue" else 10)
            d = actions.decide(
                meeting,
                actor=who,
                text=f"{title}：责任方按期完成并向居民反馈。",
                unit=parties[party] if party else None,
                owners_representative="" if party else "楼栋长赵阿姨",
                due_on=due,
            )
            decisions += 1
            item, handler = (
                d.item,
                User.objects.filter(
                    memberships__unit=d.unit, memberships__role=Role.HANDLER
                ).first(),
            )
            if state == "dispatched":
                continue
            clock.after_hours(1, 4)
            appeal_actions.claim(item, actor=handler)
            clock.after_work_days(0.5, 1)
            appeal_actions.add_progress(item, actor=handler, note="已到现场查看，正在落实。")
            if state in ("in_progress", "overdue"):
                continue
            clock.after_work_days(0.5, 1)
            appeal_actions.resolve(
                item, actor=handler, outcome_kind="coordinated", outcome="已按议事会决定完成。"
            )
            if state == "resolved":
                continue
            clock.after_hours(1, 3)
            appeal_actions.reply(
                item,
                actor=handler,
                text=f"{resident}您好，议事会议定的事项已经完成，感谢您的参与。",
            )
            if state == "replied":
                continue
            clock.after_hours(2, 20)
            item.refresh_from_db()
            appeal_actions.rate(
                item.code,
                phone=phone,
                satisfaction=Satisfaction.SATISFIED,
                solved=True,
                comment="解决得很及时",
            )
            item.refresh_from_db()
            if item.status != "closed":
                appeal_actions.close(item, actor=centre, note="议定事项已完成，居民满意")
    return f"{len(parties)} 个社会力量，{len(rooms)} 个议事室，{decisions} 项议定事项"


def logins() -> list[tuple[str, str, str, str]]:
    return [(p[5], PASSWORD, "承办人（社会力量）", p[1]) for p in PARTIES]
