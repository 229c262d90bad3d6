"""The text a keeper copies back into the group: an acknowledgement while the work item runs,
the unit's answer once it has replied. Only the sender's group nickname, the item's code and
the answer: no phone, no name of the resident beyond what the group already shows."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import GroupMessage


def _at(message: GroupMessage) -> str:
    return f"@{message.sender} " if message.sender else ""


def acknowledgement(message: GroupMessage) -> str:
    a = message.appeal
    unit = a.lead_unit.name if a.lead_unit_id else _("相关部门")
    return _(
        "%(at)s您好！您在群里反映的“%(subject)s”已登记，编号%(code)s，已转%(unit)s办理，"
        "办理结果会在群里回复。"
    ) % {"at": _at(message), "subject": a.subject, "code": a.code, "unit": unit}


def answer(message: GroupMessage, track_url: str = "") -> str:
    a = message.appeal
    if a.replied_at is None:
        return ""
    day = timezone.localtime(message.posted_at or message.created_at)
    when = f"{day.month}月{day.day}日"
    unit = a.lead_unit.name if a.lead_unit_id else _("承办单位")
    text = _("%(at)s您好！您%(when)s在群里反映的“%(subject)s”，%(unit)s答复如下：%(reply)s") % {
        "at": _at(message),
        "when": when,
        "subject": a.subject,
        "unit": unit,
        "reply": a.reply.strip(),
    }
    if track_url:
        text += _("（编号%(code)s，可在 %(url)s 查询办理过程）") % {
            "code": a.code,
            "url": track_url,
        }
    return text
