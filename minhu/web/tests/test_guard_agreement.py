"""The web shows an action exactly when the verb would accept it: every action of the
permission matrix (appeals/tests/test_permissions.py), for each user, on an appeal in each
state of the loop, is run through web.permissions.allowed_actions and through the verb itself
(in a savepoint rolled back afterwards), and the two must agree."""

from __future__ import annotations

import pytest
from django.db import transaction

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Appeal, ExtensionRequest, ExtensionStatus
from minhu.appeals.tests.factories import (
    dispatched,
    escalated,
    in_progress,
    register,
    replied,
    resolved,
)
from minhu.appeals.tests.test_permissions import MATRIX, _pending_extension, _rated, _reported
from minhu.core.errors import DomainError
from minhu.web.permissions import allowed_actions

SCENARIOS = {
    "new": register,
    "dispatched": dispatched,
    "in_progress": in_progress,
    "pending_extension": lambda org: _pending_extension(org)[0],
    "escalated": escalated,
    "reported": _reported,
    "resolved": resolved,
    "replied": replied,
    "rated": _rated,
}
USERS = [
    "dispatcher",
    "callback",
    "district_leader",
    "s1_handler",
    "s2_handler",
    "s1_leader",
    "d1_handler",
    "d2_handler",
    "grid1_worker",
]
# action of the matrix -> what the appeal page shows for it
FLAG = {
    "classify": lambda acts: acts.classify,
    "merge": lambda acts: acts.merge,
    "dispatch": lambda acts: acts.dispatch,
    "edit_details": lambda acts: acts.edit,
    "claim": lambda acts: bool(acts.claim_units),
    "return": lambda acts: acts.return_appeal,
    "request_extension": lambda acts: acts.request_extension,
    "decide_extension": lambda acts: acts.decide_extension,
    "whistle": lambda acts: acts.whistle,
    "report": lambda acts: bool(acts.report_units),
    "answer": lambda acts: bool(acts.answer_units),
    "contact": lambda acts: acts.contact,
    "progress": lambda acts: acts.progress,
    "attach": lambda acts: acts.attach,
    # the form is shown with a warning (and no way through) while summonses are pending
    "resolve": lambda acts: acts.resolve and not acts.summons_pending,
    "reply": lambda acts: acts.reply,
    "follow_up": lambda acts: acts.follow_up,
    "reopen": lambda acts: acts.reopen,
    "close": lambda acts: acts.close,
    "cancel_summons": lambda acts: bool(acts.cancel_summons),
    "link": lambda acts: acts.link,
}


class _Rollback(Exception):
    pass


def _verb_accepts(call, user, org, appeal, extra) -> bool:
    try:
        with transaction.atomic():
            call(user, org, appeal, extra)
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


def test_every_matrix_action_has_a_flag():
    assert set(FLAG) == set(MATRIX)


def disagreements(org, appeal, user) -> list:
    parent = register(org, subject="路灯坏了", phone="13900000000")
    pending = ExtensionRequest.objects.filter(appeal=appeal, status=ExtensionStatus.PENDING).first()
    appeal = Appeal.objects.get(pk=appeal.pk)
    visible = appeals_visible_to(user).filter(pk=appeal.pk).exists()
    acts = allowed_actions(user, appeal) if visible else None
    out = []
    for action, (_build, call, _allowed) in sorted(MATRIX.items()):
        extra = parent if action in ("merge", "link") else pending
        if action == "decide_extension" and pending is None:
            verb = False  # nothing to decide
        else:
            verb = _verb_accepts(call, user, org, appeal, extra)
        web = bool(acts and FLAG[action](acts))
        if web != verb:
            out.append((action, {"web": web, "verb": verb}))
    return out


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_web_actions_agree_with_the_verbs(org, scenario, who):
    appeal = SCENARIOS[scenario](org)
    assert disagreements(org, appeal, getattr(org, who)) == []


def test_the_agreement_test_can_fail(org, monkeypatch):
    """A page rule that drifts from its verb is caught: the page's copy of the guards lets
    reopen through on a new appeal, the verb refuses."""
    from types import SimpleNamespace

    from minhu.appeals import guards
    from minhu.web import permissions

    drifted = SimpleNamespace(**{**vars(guards), "check_reopen": lambda *a, **k: None})
    monkeypatch.setattr(permissions, "guards", drifted)
    appeal = register(org)
    assert disagreements(org, appeal, org.dispatcher) == [("reopen", {"web": True, "verb": False})]
