"""One definition of a valid phone number (core/phones.py), used by every app."""

from pathlib import Path

import pytest

from minhu.core.phones import is_phone, is_staff_phone


@pytest.mark.parametrize(
    "value", ["13800138000", "19912345678", "010-12345678", "0571-1234567", "05711234567"]
)
def test_person_numbers_accepted(value):
    assert is_phone(value)


@pytest.mark.parametrize(
    "value", ["", "12800138000", "1380013800", "138001380001", "abc", "12345", "010-123"]
)
def test_person_numbers_refused(value):
    assert not is_phone(value)


@pytest.mark.parametrize(
    "value", ["12345", "0571-8888 1234", "(0571)88881234", "+86 138 0013 8000"]
)
def test_staff_numbers_accepted(value):
    assert is_staff_phone(value)


@pytest.mark.parametrize("value", ["abc-not-a-phone", "1234", "12-3", "138abc"])
def test_staff_numbers_refused(value):
    assert not is_staff_phone(value)


def test_no_other_module_defines_a_phone_rule():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path.name == "phones.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("PHONE_RE =", "STAFF_PHONE_RE =")) and "re.compile" in stripped:
                offenders.append(f"{path.relative_to(root)}: {stripped}")
    assert offenders == []
