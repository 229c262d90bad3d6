"""The 幸福清单 and 领办 projects' share of the demo district (minhu.demo.parts, order 43): solved
appeals of 东湖街道 and 西城街道 published in public words, and three led projects — one done,
one under way with milestones ticked, one waiting for its lead unit — through the verbs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, Status
from minhu.core.errors import DomainError
from minhu.orgs.models import Unit, User

from . import actions
from .models import LeaderKind, Listing, Project

PUBLISH = {"donghu": 8, "xicheng": 4}

PROJECTS = (
    {
        "title": "中小学教室配备空调",
        "description": "夏季教室温度超过35度。区教育局牵头，分批为区属中小学教室配备空调，"
        "暑期施工，不影响教学。",
        "leader_kind": LeaderKind.DEPARTMENT,
        "leader": "区教育局",
        "lead": "jiaoyu",
        "responsible": "区教育局副局长 李华",
        "area": "",
        "milestones": ("摸排各校教室现状", "招标采购", "首批20所学校安装", "全部学校验收"),
        "done": 2,
        "finish": "",
        "link": "建议中小学教室配备空调",
    },
    {
        "title": "湖滨花园老旧小区加装电梯",
        "description": "湖滨花园多栋六层住宅无电梯，老人上下楼难。副区长领办，区住建局承办，"
        "征求住户意见后分批加装。",
        "leader_kind": LeaderKind.LEADER,
        "leader": "副区长 王明",
        "lead": "zhujian",
        "responsible": "区住建局物业管理科科长 赵强",
        "area": "hubin",
        "milestones": ("征求住户意见", "设计审批", "施工安装", "竣工验收"),
        "done": 4,
        "finish": "湖滨花园首批6部电梯已通过验收投入使用，其余楼栋明年继续推进。",
        "link": "建议加装老旧小区电梯",
    },
    {
        "title": "青龙镇村容村貌整治",
        "description": "整治青龙镇各村道路两侧垃圾堆放和乱搭乱建，补种绿化，改善村容村貌。",
        "leader_kind": LeaderKind.LEADER,
        "leader": "区委书记 张强",
        "lead": "qinglong",
        "responsible": "青龙镇镇长",
        "area": "qinglong",
        "milestones": ("摸排问题点位", "集中清理", "补种绿化"),
        "done": -1,  # not claimed yet
        "finish": "",
        "link": "",
    },
)


def built() -> bool:
    return Listing.objects.exists() or Project.objects.exists()


def _publish(dispatcher, street: Unit, n: int) -> int:
    done = 0
    solved = (
        Appeal.objects.filter(
            kind="appeal",
            street=street,
            status__in=(Status.CLOSED, Status.REPLIED),
            resolved_at__isnull=False,
        )
        .exclude(outcome="")
        .order_by("-resolved_at", "id")
    )
    for a in solved[: n * 3]:
        if done >= n:
            break
        try:
            actions.publish(
                a,
                actor=dispatcher,
                title=a.subject[:100],
                result=a.outcome[:1000],
                micro=done % 4 != 3,
            )
        except DomainError:
            continue  # its words name a person or a number: a staff member would rewrite them
        done += 1
    return done


def build(*, seed: int, now, out) -> str:
    dispatcher = User.objects.get(username="dispatcher")
    units = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__endswith="-handler")}
    listed = sum(
        _publish(dispatcher, units[code], n) for code, n in PUBLISH.items() if code in units
    )
    today = timezone.localdate(now) if isinstance(now, dt.datetime) else timezone.localdate()
    projects = 0
    for i, d in enumerate(PROJECTS):
        if d["lead"] not in units:
            continue
        p = actions.create_project(
            actor=dispatcher,
            title=d["title"],
            description=d["description"],
            leader_kind=d["leader_kind"],
            leader=d["leader"],
            lead_unit=units[d["lead"]],
            responsible=d["responsible"],
            area=units.get(d["area"]),
            due_on=today + dt.timedelta(days=90 + 60 * i),
            milestones=[
                (t, today + dt.timedelta(days=20 * (j + 1))) for j, t in enumerate(d["milestones"])
            ],
        )
        projects += 1
        if d["link"]:
            for a in Appeal.objects.filter(subject=d["link"]).order_by("id")[:1]:
                actions.link_appeal(p, a, actor=dispatcher)
        handler = users.get(f"{d['lead']}-handler")
        if d["done"] < 0 or handler is None:
            continue
        appeal_actions.claim(p.appeal, actor=handler)
        for m in list(p.milestones.all())[: d["done"]]:
            actions.complete_milestone(m, actor=handler, note="按计划完成")
        if d["finish"]:
            actions.finish_project(p, actor=handler, result=d["finish"])
    return f"幸福清单公开 {listed} 件，领办项目 {projects} 个"


def logins() -> list[tuple[str, str, str, str]]:
    return [
        ("dispatcher", "minhu2026", "调度员（幸福清单公开、领办项目登记）", "区12345调度中心"),
        ("zhujian-handler", "minhu2026", "承办人（领办项目节点、完成）", "区住建局"),
    ]
