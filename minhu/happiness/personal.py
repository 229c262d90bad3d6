"""What must not reach a public page: phone numbers, ID numbers, room numbers, the appellant's
name and phone. `find_personal` names what it found (for the staff member's error message)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_PATTERNS = (
    (re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)"), _("手机号")),
    (re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"), _("电话号码")),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), _("身份证号")),
    (re.compile(r"\d+\s*(?:单元|室|号房)\s*\d*|\d+-\d+-\d{3,4}"), _("门牌号")),
)


def find_personal(text: str, *, names: tuple[str, ...] = (), phones: tuple[str, ...] = ()) -> str:
    """The first kind of personal data found in `text` ("" when none): numbers that look like
    a phone, an ID or a room, and the given names (two characters or more) and phones."""
    text = text or ""
    for pattern, label in _PATTERNS:
        if pattern.search(text):
            return str(label)
    compact = re.sub(r"\s|-", "", text)
    for phone in phones:
        if phone and phone in compact:
            return str(_("联系电话"))
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2 and name in text:
            return str(_("诉求人姓名"))
    return ""
