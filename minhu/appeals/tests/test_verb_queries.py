"""The verbs' queries do not grow with the item's related rows: a verb run on an item with
more assisting units, summonses or merged duplicates issues the same number of queries, give
or take the rows it must write for each of them (counted separately)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minhu.appeals import actions

from .factories import in_progress, register

pytestmark = pytest.mark.django_db


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def test_progress_and_attach_checks_read_the_item_once_whatever_its_summonses(org):
    """add_progress asks its guard about the units working on the item: one read of the
    assignments and one of the summonses, however many departments were summoned."""

    def with_summonses(departments):
        a = in_progress(org, subject=f"路灯{len(departments)}")
        actions.blow_whistle(a, actor=org.s1_leader, departments=departments, reason="需要配合处理")
        for d, handler in ((org.dept1, org.d1_handler), (org.dept2, org.d2_handler)):
            if d in departments:
                actions.report_summons(a, actor=handler, share="负责执法")
        return a

    one = with_summonses([org.dept1])
    three = with_summonses([org.dept1, org.dept2, org.dept3])
    counts = [
        _queries(lambda a=a: actions.add_progress(a, actor=org.s1_handler, note="已联系物业"))
        for a in (one, three)
    ]
    assert counts[0] == counts[1], counts


def test_reply_to_merged_duplicates_grows_by_the_writes_per_duplicate_only(org):
    """Replying to an item with merged duplicates writes each duplicate's answer, event and
    SMS; the reads do not grow per duplicate beyond those writes."""

    def with_children(n):
        parent = in_progress(org, subject=f"东门路灯{n}", phone="13700000000")
        for i in range(n):
            child = register(org, subject=f"东门路灯坏了{n}-{i}", phone=f"139000000{n}{i}")
            actions.merge(child, actor=org.dispatcher, parent=parent)
        actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
        return parent

    def reply(a):
        return _queries(
            lambda: actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
        )

    one, three = reply(with_children(1)), reply(with_children(3))
    per_child = (three - one) / 2
    assert per_child <= 8, (one, three)  # answer, event, SMS and their hooks: no N+1 reads
