"""Two people acting at once cannot both win. On PostgreSQL, two threads (two connections) start
together at a barrier; the actions' row locks make one wait for the other, which then finds the
work done. SQLite has no row locks (it serialises whole write transactions): there the
sequential second attempt is checked."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import AppealEvent, Assignment, AssignmentStatus, EventKind, Status
from minhu.appeals.verbs import _common as verbs_common
from minhu.core.errors import Conflict, IllegalTransition
from minhu.orgs.models import Role
from minhu.orgs.testing import make_user

from .factories import dispatched, in_progress


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SELECT ... FOR UPDATE)")


@pytest.fixture
def slow_inside(monkeypatch):
    """Each action holds its lock a little longer (it reads the clock after locking), so that
    the two threads really overlap: without the lock both would see the work undone."""

    def slow_now():
        time.sleep(0.3)
        return timezone.now()

    monkeypatch.setattr(verbs_common, "_now", slow_now)


def race(*calls):
    """Run the calls in threads released together; returns [("ok", value) | ("error", exc)]."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", call())
        except Exception as exc:  # collected for the assertions
            results[i] = ("error", exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def one_winner(results, code: str):
    oks = [r for r in results if r[0] == "ok"]
    errors = [r[1] for r in results if r[0] == "error"]
    assert len(oks) == 1, results
    assert len(errors) == 1 and isinstance(errors[0], Conflict), results
    assert errors[0].code == code
    return oks[0][1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_claim_on_postgres(postgres, org, slow_inside):
    a = dispatched(org)
    results = race(
        lambda: actions.claim(a.pk, actor=org.s1_handler),
        lambda: actions.claim(a.pk, actor=org.s1_handler2),
    )
    winner = one_winner(results, "already_claimed")
    lead = Assignment.objects.get(appeal=a, role="lead")
    assert lead.status == AssignmentStatus.CLAIMED and lead.claimed_by_id == winner.claimed_by_id
    assert AppealEvent.objects.filter(appeal=a, kind=EventKind.CLAIM).count() == 1
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_decide_one_extension_on_postgres(postgres, org, slow_inside):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")
    second = make_user("dispatcher2", org.centre, Role.DISPATCHER)
    results = race(
        lambda: actions.decide_extension(ext.pk, actor=org.dispatcher, approve=True),
        lambda: actions.decide_extension(ext.pk, actor=second, approve=False, note="时限内可完成"),
    )
    winner = one_winner(results, "extension_decided")
    ext.refresh_from_db()
    assert ext.status == winner.status and ext.decided_by_id == winner.decided_by_id
    decisions = AppealEvent.objects.filter(
        appeal=a, kind__in=[EventKind.EXTENSION_APPROVE, EventKind.EXTENSION_DENY]
    )
    assert decisions.count() == 1
    a.refresh_from_db()
    assert a.extension_days == (2 if ext.status == "approved" else 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claim_and_return_at_once_on_postgres(postgres, org, slow_inside):
    """Different verbs on the same appeal also serialise: the result is one consistent story."""
    a = dispatched(org)
    results = race(
        lambda: actions.claim(a.pk, actor=org.s1_handler),
        lambda: actions.return_appeal(a.pk, actor=org.s1_handler2, reason="不属于本街道职责"),
    )
    a.refresh_from_db()
    kinds = list(
        AppealEvent.objects.filter(appeal=a, kind__in=[EventKind.CLAIM, EventKind.RETURN])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    # Claim first: both succeed (a claimed appeal may still be returned). Return first: the
    # claim then sees a returned appeal and fails. Never a claimed share on a returned appeal.
    claim_result, return_result = results
    assert return_result[0] == "ok"
    if kinds == [EventKind.CLAIM, EventKind.RETURN]:
        assert claim_result[0] == "ok"
    else:
        assert kinds == [EventKind.RETURN]
        assert isinstance(claim_result[1], IllegalTransition)
    assert a.status == Status.RETURNED
    assert not Assignment.objects.filter(appeal=a, active=True).exists()


def test_second_claim_fails_sequentially(org):
    a = dispatched(org)
    actions.claim(a, actor=org.s1_handler)
    with pytest.raises(Conflict) as exc:
        actions.claim(a, actor=org.s1_handler2)
    assert exc.value.code == "already_claimed"
    assert AppealEvent.objects.filter(appeal=a, kind=EventKind.CLAIM).count() == 1


def test_second_extension_decision_fails_sequentially(org):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")
    actions.decide_extension(ext, actor=org.dispatcher, approve=True)
    with pytest.raises(Conflict) as exc:
        actions.decide_extension(ext, actor=org.admin, approve=False)
    assert exc.value.code == "extension_decided"
    ext.refresh_from_db()
    assert ext.status == "approved" and ext.decided_by == org.dispatcher


def _for_update_ids(queries) -> list[int]:
    """The appeal ids locked (SELECT ... FOR UPDATE on the appeal table), in order."""
    import re

    ids = []
    for q in queries:
        sql = q["sql"]
        if "FOR UPDATE" in sql and 'FROM "appeals_appeal"' in sql:
            m = re.search(r'"appeals_appeal"\."id" = (\d+)', sql)
            if m:
                ids.append(int(m.group(1)))
    return ids


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rate_locks_parent_before_merged_child_on_postgres(postgres, org):
    """One lock order everywhere: reply and close lock the parent, then its merged children;
    rating through a merged child's code must take the parent first too (the other order can
    deadlock against a reply)."""
    from django.test.utils import CaptureQueriesContext

    from minhu.appeals.models import Satisfaction

    from .factories import PHONE, in_progress, register

    parent = in_progress(org, phone="13900000000")
    child = register(org, phone=PHONE, subject="路灯坏了两个")
    actions.merge(child, actor=org.dispatcher, parent=parent)
    actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    actions.reply(parent, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    with CaptureQueriesContext(connection) as ctx:
        actions.rate(child.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    assert _for_update_ids(ctx.captured_queries)[:2] == [parent.pk, child.pk]
    # The parent's own appellant is called back too (a merged child's rating is its own).
    actions.rate(parent.code, phone="13900000000", satisfaction=Satisfaction.SATISFIED)
    with CaptureQueriesContext(connection) as ctx:
        actions.close(parent, actor=org.dispatcher)
    assert _for_update_ids(ctx.captured_queries)[:1] == [parent.pk]
