"""What a resident sees of their appeal: status in plain words, a public timeline (unit names,
never staff names or internal notes), and whether they may rate now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from minhu.appeals import guards
from minhu.appeals.models import (
    PUBLIC_EVENTS,
    Appeal,
    AppealEvent,
    AssignmentRole,
    EventKind,
    OutcomeKind,
    Satisfaction,
    Status,
)
from minhu.deadlines.models import Measure, Step
from minhu.deadlines.policies import limit_for

# The five steps shown as a progress bar, and where each status stands on it.
STEPS = [
    pgettext_lazy("progress step", "受理"),
    pgettext_lazy("progress step", "交办"),
    pgettext_lazy("progress step", "办理"),
    pgettext_lazy("progress step", "答复"),
    pgettext_lazy("progress step", "办结"),
]
STEP_OF = {
    Status.NEW: 0,
    Status.RETURNED: 0,
    Status.DISPATCHED: 1,
    Status.IN_PROGRESS: 2,
    Status.ESCALATED: 2,
    Status.RESOLVED: 2,
    Status.REPLIED: 3,
    Status.CLOSED: 4,
}
# Handling events of a parent that the appellant of a merged appeal also sees.
PARENT_EVENTS = {
    EventKind.DISPATCH,
    EventKind.AUTO_DISPATCH,
    EventKind.CLAIM,
    EventKind.WHISTLE,
    EventKind.RESOLVE,
    EventKind.REOPEN,
}


@dataclass
class Item:
    at: dt.datetime
    title: str
    text: str = ""
    quote: str = ""
    tone: str = ""  # "", "done", "warn"
    kind: str = ""


def _unit_name(event: AppealEvent) -> str:
    if event.unit_id and event.unit:
        return event.unit.name
    return event.data.get("lead_name", "") or _("承办单位")


def _item(event: AppealEvent) -> Item | None:
    k, d, at = event.kind, event.data, event.created_at
    unit = _unit_name(event)
    if k == EventKind.REGISTER:
        return Item(at, _("已受理"), _("您反映的问题已登记"))
    if k in (EventKind.DISPATCH, EventKind.AUTO_DISPATCH):
        text = _("交由%(unit)s办理") % {"unit": d.get("lead_name") or unit}
        if d.get("assist_names"):
            text += _("，%(units)s协助") % {"units": _("、").join(d["assist_names"])}
        return Item(at, _("已交办"), text)
    if k == EventKind.CLAIM:
        if d.get("role") == AssignmentRole.ASSIST:
            return Item(at, _("协办单位已接单"), _("%(unit)s协助办理") % {"unit": unit})
        return Item(at, _("已接单"), _("%(unit)s开始办理") % {"unit": unit})
    if k == EventKind.CONTACT:
        return Item(at, _("已联系您"), _("%(unit)s与您联系沟通") % {"unit": unit})
    if k == EventKind.WHISTLE:
        names = _("、").join(d.get("department_names") or [])
        return Item(
            at,
            _("多部门协同"),
            _("%(unit)s召集%(depts)s共同办理") % {"unit": unit, "depts": names or _("相关部门")},
        )
    if k == EventKind.RESOLVE:
        kind = d.get("outcome_kind")
        label = OutcomeKind(kind).label if kind in OutcomeKind.values else ""
        text = _("%(unit)s已办理") % {"unit": unit}
        if label:
            text = _("%(text)s（%(kind)s）") % {"text": text, "kind": label}
        return Item(at, _("已办理"), text)
    if k == EventKind.REPLY:
        return Item(at, _("已答复"), _("%(unit)s答复您：") % {"unit": unit}, quote=event.note)
    if k == EventKind.RATE:
        sat = d.get("satisfaction")
        label = Satisfaction(sat).label if sat in Satisfaction.values else ""
        tone = "warn" if sat == Satisfaction.UNSATISFIED else "done"
        return Item(at, _("您的评价：%(s)s") % {"s": label}, quote=event.note, tone=tone)
    if k == EventKind.REOPEN:
        if d.get("automatic"):
            text = _("根据评价，已退回%(unit)s重新办理") % {"unit": unit}
        else:
            text = _("已安排%(unit)s重新办理") % {"unit": unit}
        return Item(at, _("重新办理"), text, tone="warn")
    if k == EventKind.CLOSE:
        return Item(at, _("已办结"), _("诉求已办结销号，感谢您的参与"), tone="done")
    if k == EventKind.MERGED_INTO:
        return Item(at, _("合并办理"), _("您反映的问题与其他群众反映的相同问题一并办理"))
    return None


def public_timeline(appeal: Appeal) -> list[Item]:
    """The appeal's public events (and, for a merged appeal, its parent's handling), newest
    first. The current reply, shown on its own above the timeline, is not repeated."""
    events = list(
        AppealEvent.objects.filter(appeal=appeal, kind__in=PUBLIC_EVENTS).select_related("unit")
    )
    if appeal.parent_id:
        events += list(
            AppealEvent.objects.filter(
                appeal_id=appeal.parent_id, kind__in=PARENT_EVENTS
            ).select_related("unit")
        )
    events.sort(key=lambda e: (e.created_at, e.pk))
    items = []
    for e in events:
        item = _item(e) if e.is_public else None
        if item is None:
            continue
        item.kind = e.kind
        items.append(item)
    if appeal.replied_at and appeal.reply:
        for item in reversed(items):
            if item.kind == EventKind.REPLY:
                if item.quote == appeal.reply:
                    item.text, item.quote = _("答复内容见上方"), ""
                break
    return items[::-1]


def handling(appeal: Appeal) -> Appeal:
    """The appeal whose handling counts: the parent for a merged appeal."""
    return appeal.parent if appeal.parent_id else appeal


def _fmt(when: dt.datetime | None) -> str:
    if not when:
        return ""
    local = timezone.localtime(when)
    return _("%(m)d月%(d)d日%(H)02d:%(M)02d") % {
        "m": local.month,
        "d": local.day,
        "H": local.hour,
        "M": local.minute,
    }


def status_summary(appeal: Appeal) -> dict:
    """{"title", "text", "step", "tone"} for the resident, in plain words."""
    h = handling(appeal)
    lead = h.lead_unit.name if h.lead_unit_id else _("承办单位")
    s = h.status
    if s in (Status.NEW, Status.RETURNED):
        title, text, tone = _("正在分派"), _("工作人员正在确定负责办理的单位"), "wait"
    elif s == Status.DISPATCHED:
        title, text, tone = _("已交办"), _("已交由%(u)s办理，等待接单") % {"u": lead}, "wait"
    elif s == Status.IN_PROGRESS:
        title, text, tone = _("办理中"), _("%(u)s正在办理") % {"u": lead}, "work"
        if h.resolve_due_at:
            text += _("，应在%(t)s前办结") % {"t": _fmt(h.resolve_due_at)}
    elif s == Status.ESCALATED:
        title, text, tone = (
            _("多部门协同办理中"),
            _("%(u)s正召集相关部门共同办理") % {"u": lead},
            "work",
        )
    elif s == Status.RESOLVED:
        title, text, tone = (
            _("已办理，待答复"),
            _("问题已办理，%(u)s将尽快答复您") % {"u": lead},
            "work",
        )
    elif s == Status.REPLIED:
        title, text, tone = _("已答复"), _("请查看答复，并评价办理结果"), "done"
    elif s == Status.CLOSED:
        title, text, tone = _("已办结"), _("诉求已办结，感谢您的参与"), "done"
    else:
        title, text, tone = h.get_status_display(), "", "wait"
    return {"title": title, "text": text, "step": STEP_OF.get(s, 0), "tone": tone}


def rating_state(appeal: Appeal) -> dict:
    """May the appellant rate now, and their rating of the current round if any."""
    h = handling(appeal)
    mine = guards.resident_rating(h, appeal)
    return {"can_rate": guards.allows(guards.check_rate, h, appeal, mine), "my_rating": mine}


def long_term_plan(appeal: Appeal) -> dict | None:
    """For a problem that cannot be solved soon: the roadmap, timetable and explanation owed to
    the appellant (seed 004)."""
    h = handling(appeal)
    if h.outcome_kind != OutcomeKind.LONG_TERM or h.status not in (
        Status.RESOLVED,
        Status.REPLIED,
        Status.CLOSED,
    ):
        return None
    return {"explanation": h.explanation, "roadmap": h.roadmap, "timetable": h.timetable}


MEASURE_FORMATS = {
    Measure.WORKING_DAYS: gettext_lazy("%(n)s个工作日"),
    Measure.NATURAL_DAYS: gettext_lazy("%(n)s天"),
    Measure.WORKING_HOURS: gettext_lazy("%(n)s个工作小时"),
    Measure.NATURAL_HOURS: gettext_lazy("%(n)s小时"),
}


def _limit_text(step: str, appeal: Appeal) -> str:
    amount, measure = limit_for(step, appeal.category, appeal.urgency, appeal.kind)
    number = format(Decimal(amount).normalize(), "f")
    template = MEASURE_FORMATS.get(measure)
    return template % {"n": number} if template is not None else number


def next_steps(appeal: Appeal) -> dict:
    """The time limits that apply to this appeal (from the configured policies)."""
    return {
        "claim": _limit_text(Step.CLAIM, appeal),
        "contact": _limit_text(Step.CONTACT, appeal),
        "resolve": _limit_text(Step.RESOLVE, appeal),
    }
