"""Presenting an appeal's history: event data summaries and per-step due badges."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    AssignmentRole,
    OutcomeKind,
    Satisfaction,
    Status,
)
from minhu.appeals.models import Channel as ChannelChoices

from .due import STEP_STATE_LABELS, deadline_state

CHANGE_LABELS = {"category": "分类", "urgency": "紧急程度", "grid": "网格", "address": "地址"}


def _fmt_dt(value: str | None) -> str:
    parsed = parse_datetime(value) if value else None
    if not parsed:
        return ""
    return timezone.localtime(parsed).strftime("%m-%d %H:%M")


def _yes_no(value) -> str:
    return {True: "是", False: "否"}.get(value, "—")


def event_summary(event: AppealEvent) -> list[str]:
    """Short Chinese phrases describing an event's data (what the table row shows)."""
    d = event.data or {}
    out: list[str] = []
    if d.get("lead_name"):
        out.append(f"主办：{d['lead_name']}")
    if d.get("assist_names"):
        out.append("协办：" + "、".join(d["assist_names"]))
    if d.get("round") and event.kind in ("dispatch", "auto_dispatch"):
        out.append(f"第{d['round']}轮")
    if event.kind == "register" and d.get("channel"):
        try:
            out.append(f"渠道：{ChannelChoices(d['channel']).label}")
        except ValueError:
            pass
    if d.get("changes"):
        names = [CHANGE_LABELS.get(k, k) for k in d["changes"]]
        out.append("修改：" + "、".join(names))
    if d.get("source") and event.kind == "classify" and d["source"] != "manual":
        out.append(f"来源：{d['source']}")
    if d.get("role") and event.kind == "claim":
        out.append("主办" if d["role"] == AssignmentRole.LEAD else "协办")
    if d.get("late"):
        out.append("超时签收")
    if "days" in d:
        out.append(f"{d['days']}个工作日")
    if d.get("new_due"):
        out.append(f"新时限：{_fmt_dt(d['new_due'])}")
    if d.get("department_names"):
        out.append("召集：" + "、".join(d["department_names"]))
    if d.get("report_due"):
        out.append(f"报到时限：{_fmt_dt(d['report_due'])}")
    if "on_time" in d and event.kind in ("report", "answer", "resolve", "contact"):
        out.append("按时" if d["on_time"] else "超时")
    if d.get("outcome_kind"):
        try:
            out.append(OutcomeKind(d["outcome_kind"]).label)
        except ValueError:
            pass
    if event.kind in ("follow_up", "rate"):
        if d.get("reached") is False:
            out.append("未接通")
        else:
            if "contacted" in d:
                out.append(f"及时联系：{_yes_no(d.get('contacted'))}")
            if "solved" in d:
                out.append(f"已解决：{_yes_no(d.get('solved'))}")
            if d.get("satisfaction"):
                try:
                    out.append(Satisfaction(d["satisfaction"]).label)
                except ValueError:
                    pass
    if d.get("parent"):
        out.append(f"合并到 {d['parent']}")
    if d.get("child"):
        out.append(f"合并 {d['child']}")
    if d.get("via_parent"):
        out.append(f"随主诉求 {d['via_parent']}")
    if d.get("via_child"):
        out.append(f"来自 {d['via_child']}")
    if d.get("reopen_count"):
        out.append(f"第{d['reopen_count']}次重办")
    if d.get("automatic"):
        out.append("自动")
    attachments = d.get("attachments")
    if isinstance(attachments, list) and attachments:
        out.append(f"照片{len(attachments)}张")
    elif isinstance(attachments, int) and attachments:
        out.append(f"照片{attachments}张")
    return out


def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value or ""


def step_dues(appeal: Appeal, now: dt.datetime | None = None) -> list[dict]:
    """Due badge per step of the current round: claim, contact, resolve."""
    now = now or timezone.now()
    rows = [
        ("claim", "签收", appeal.claim_due_at, appeal.claimed_at),
        ("contact", "联系诉求人", appeal.contact_due_at, appeal.contacted_at),
        ("resolve", "办结", appeal.resolve_due_at, appeal.resolved_at),
    ]
    out = []
    closed = not appeal.is_open
    for key, label, due, done in rows:
        if due is None:
            continue
        state = deadline_state(due, done, now)
        if closed and state in ("overdue", "due_soon", "on_time"):
            state = ""  # the clock stopped (merged / closed without this step)
        out.append(
            {
                "key": key,
                "label": label,
                "due": due,
                "done": done,
                "state": state,
                "state_label": STEP_STATE_LABELS.get(state, ""),
                "current": appeal.current_step == key,
            }
        )
    return out
