"""Phone numbers: the one definition of what a valid number is.

- `PHONE_RE`: a person's number (an appellant, a household, a meeting member, a deputy): a
  mainland mobile (1[3-9] and nine digits) or a landline with its area code (0xx(x)-xxxxxxx(x)).
- `STAFF_PHONE_RE`: a staff member's or a unit's number, which may also be an extension, a
  short service number (12345) or written with the usual separators; at least five digits.
"""

from __future__ import annotations

import re

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
STAFF_PHONE_RE = re.compile(r"^\+?[0-9(][0-9\- ()]{3,24}$")


def is_phone(value: str) -> bool:
    """A person's number (see PHONE_RE); spaces are ignored."""
    return bool(PHONE_RE.match((value or "").replace(" ", "")))


def is_staff_phone(value: str) -> bool:
    return bool(STAFF_PHONE_RE.match(value or "")) and sum(c.isdigit() for c in value) >= 5
