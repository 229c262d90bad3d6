"""Rules the issue-18 review found written in two to four places, now written once: each test
asks every place that applies the rule and fails when one of them drifts."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest
from django.db import transaction

from minhu.appeals import actions, guards
from minhu.appeals.api.testing import client_for
from minhu.appeals.models import Appeal, Satisfaction
from minhu.core.errors import DomainError
from minhu.residents.timeline import rating_state

from .factories import PHONE, in_progress, register, replied, resolved

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(__file__).resolve().parents[2]  # the minhu package


class _Rollback(Exception):
    pass


def _rate_accepted(appeal: Appeal, phone: str) -> bool:
    try:
        with transaction.atomic():
            actions.rate(appeal.code, phone=phone, satisfaction=Satisfaction.SATISFIED)
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


def _rating_cases(org) -> list[tuple[str, Appeal, str]]:
    answered = replied(org)
    rated = replied(org, subject="楼道灯不亮")
    actions.rate(rated.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    parent = in_progress(org, subject="东门路灯", phone="13700000000")
    child = register(org, subject="东门路灯坏了", phone="13900000000")
    waiting = register(org, subject="东门路灯还是坏", phone="13900000001")
    for c in (child, waiting):
        actions.merge(c, actor=org.dispatcher, parent=parent)
    actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    actions.reply(parent, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(waiting.code, phone="13900000001", satisfaction=Satisfaction.SATISFIED)
    return [
        ("resolved, not answered", resolved(org, subject="井盖丢失"), PHONE),
        ("answered", answered, PHONE),
        ("rated this round", rated, PHONE),
        ("merged child, answered", child, "13900000000"),
        ("merged child, rated", waiting, "13900000001"),
    ]


def test_may_rate_is_one_rule_for_the_verb_the_api_and_the_h5_page(org):
    public = client_for(None)
    seen = []
    for label, appeal, phone in _rating_cases(org):
        appeal = Appeal.objects.get(pk=appeal.pk)
        verb = _rate_accepted(appeal, phone)
        api = public.get(
            f"/api/v1/public/appeals/{appeal.code}/", HTTP_X_APPELLANT_PHONE=phone
        ).json()["can_rate"]
        h5 = rating_state(appeal)["can_rate"]
        assert (label, api, h5) == (label, verb, verb)
        seen.append(verb)
    assert seen == [False, True, False, True, False]  # the cases cover both answers


ROLE_SET_NAMES = {
    "CENTRE_ROLES",
    "UNIT_ROLES",
    "FOLLOW_UP_ROLES",
    "PHONE_ROLES",
    "LEADER_ROLES",
    "REGISTER_ROLES",
}


def role_set_definitions(root: pathlib.Path = ROOT) -> dict[str, list[str]]:
    """Module-level assignments of the shared role-set names, outside the tests."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in ROLE_SET_NAMES:
                    found.setdefault(t.id, []).append(path.relative_to(root).as_posix())
    return found


def test_role_sets_are_defined_once_in_orgs():
    assert role_set_definitions() == {name: ["orgs/models.py"] for name in ROLE_SET_NAMES}


def test_the_role_set_scan_finds_a_copy(tmp_path):
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "models.py").write_text("UNIT_ROLES = frozenset()\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "permissions.py").write_text("UNIT_ROLES: set = {'handler'}\n")
    assert role_set_definitions(tmp_path) == {
        "UNIT_ROLES": ["orgs/models.py", "web/permissions.py"]
    }


def test_channels_per_role_come_from_the_channel_declarations(org):
    from minhu.appeals.kinds import _CHANNELS, ChannelInfo, register_channel

    intake_view = (ROOT / "web/views/dispatch.py").read_text(encoding="utf-8")
    assert not re.search(r"UNIT_CHANNELS|STAFF_CHANNELS", intake_view)
    before = set(guards.channels_for(org.s1_handler))
    register_channel(ChannelInfo(code="test_desk", label="测试台", unit_staff=True))
    try:
        assert set(guards.channels_for(org.s1_handler)) == before | {"test_desk"}
        a = register(org, actor=org.s1_handler, channel="test_desk")
        assert a.channel == "test_desk"
    finally:
        _CHANNELS.pop("test_desk")
