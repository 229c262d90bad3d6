"""Presenting an appeal's history: event data summaries and per-step due badges."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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

CHANGE_LABELS = {
    "category": gettext_lazy("分类"),
    "urgency": gettext_lazy("紧急程度"),
    "grid": gettext_lazy("网格"),
    "address": gettext_lazy("地址"),
    "subject": gettext_lazy("标题"),
    "detail": gettext_lazy("诉求内容"),
    "appellant_name": gettext_lazy("诉求人姓名"),
    "appellant_phone": gettext_lazy("联系电话"),
    "enterprise_name": gettext_lazy("企业名称"),
    "latitude": gettext_lazy("纬度"),
    "longitude": gettext_lazy("经度"),
}


def _fmt_dt(value: str | None) -> str:
    parsed = parse_datetime(value) if value else None
    if not parsed:
        return ""
    return timezone.localtime(parsed).strftime("%m-%d %H:%M")


def _count(value) -> int:
    """A number for choosing the plural form (event data may hold anything)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _yes_no(value) -> str:
    return {True: _("是"), False: _("否")}.get(value, "—")


def event_summary(event: AppealEvent, visible_ids: set[int] | None = None) -> list[str]:
    """Short Chinese phrases describing an event's data (what the table row shows).
    `visible_ids`: the appeals the viewer may see among those linked events name (a linked
    appeal outside them is not named)."""
    d = event.data or {}
    out: list[str] = []
    sep = _("、")
    if d.get("lead_name"):
        out.append(_("主办：%(unit)s") % {"unit": d["lead_name"]})
    if d.get("assist_names"):
        out.append(_("协办：%(units)s") % {"units": sep.join(d["assist_names"])})
    if d.get("round") and event.kind in ("dispatch", "auto_dispatch"):
        out.append(_("第%(round)s轮") % {"round": d["round"]})
    if event.kind == "register" and d.get("channel"):
        try:
            out.append(_("渠道：%(channel)s") % {"channel": ChannelChoices(d["channel"]).label})
        except ValueError:
            pass
    if d.get("changes"):
        names = [CHANGE_LABELS.get(k, k) for k in d["changes"]]
        out.append(_("修改：%(fields)s") % {"fields": sep.join(str(n) for n in names)})
    if event.kind == "edit" and isinstance(d.get("fields"), list) and d["fields"]:
        # Field names only: the old values (a phone number among them) stay in the record.
        names = [CHANGE_LABELS.get(k, k) for k in d["fields"]]
        out.append(_("修改：%(fields)s") % {"fields": sep.join(str(n) for n in names)})
    if event.kind == "link" and d.get("other"):
        if visible_ids is not None and d.get("other_id") not in visible_ids:
            out.append(_("另一件诉求（不在您的范围内）"))
        elif d.get("removed"):
            out.append(_("取消关联 %(code)s") % {"code": d["other"]})
        else:
            out.append(_("关联 %(code)s") % {"code": d["other"]})
    if d.get("source") and event.kind == "classify" and d["source"] != "manual":
        out.append(_("来源：%(source)s") % {"source": d["source"]})
    if d.get("role") and event.kind == "claim":
        out.append(_("主办") if d["role"] == AssignmentRole.LEAD else _("协办"))
    if d.get("late"):
        out.append(_("超时签收"))
    if "days" in d:
        out.append(
            ngettext("%(days)s个工作日", "%(days)s个工作日", _count(d["days"]))
            % {"days": d["days"]}
        )
    if d.get("new_due"):
        out.append(_("新时限：%(due)s") % {"due": _fmt_dt(d["new_due"])})
    if d.get("department_names"):
        out.append(_("召集：%(units)s") % {"units": sep.join(d["department_names"])})
    if event.kind == "cancel_summons" and d.get("department_name"):
        out.append(_("撤销对%(unit)s的召集") % {"unit": d["department_name"]})
    if d.get("report_due"):
        out.append(_("报到时限：%(due)s") % {"due": _fmt_dt(d["report_due"])})
    if "on_time" in d and event.kind in ("report", "answer", "resolve", "contact"):
        out.append(_("按时") if d["on_time"] else _("超时"))
    if d.get("outcome_kind"):
        try:
            out.append(OutcomeKind(d["outcome_kind"]).label)
        except ValueError:
            pass
    if event.kind in ("follow_up", "rate"):
        if d.get("reached") is False:
            out.append(_("未接通"))
        else:
            if "contacted" in d:
                out.append(_("及时联系：%(answer)s") % {"answer": _yes_no(d.get("contacted"))})
            if "solved" in d:
                out.append(_("已解决：%(answer)s") % {"answer": _yes_no(d.get("solved"))})
            if d.get("satisfaction"):
                try:
                    out.append(Satisfaction(d["satisfaction"]).label)
                except ValueError:
                    pass
    if d.get("parent"):
        out.append(_("合并到 %(code)s") % {"code": d["parent"]})
    if d.get("child"):
        out.append(_("合并 %(code)s") % {"code": d["child"]})
    if d.get("via_parent"):
        out.append(_("随主诉求 %(code)s") % {"code": d["via_parent"]})
    if d.get("via_child"):
        out.append(_("来自 %(code)s") % {"code": d["via_child"]})
    if d.get("reopen_count"):
        out.append(_("第%(count)s次重办") % {"count": d["reopen_count"]})
    if d.get("automatic"):
        out.append(_("自动"))
    attachments = d.get("attachments")
    if isinstance(attachments, list) and attachments:
        out.append(_("照片%(count)d张") % {"count": len(attachments)})
    elif isinstance(attachments, int) and attachments:
        out.append(_("照片%(count)d张") % {"count": attachments})
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
        ("claim", _("签收"), appeal.claim_due_at, appeal.claimed_at),
        ("contact", _("联系诉求人"), appeal.contact_due_at, appeal.contacted_at),
        ("resolve", _("办结"), appeal.resolve_due_at, appeal.resolved_at),
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
