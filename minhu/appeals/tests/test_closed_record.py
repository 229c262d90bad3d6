"""After 销号 the record is immutable: no edits through the verb, the API or the edit form;
corrections only as a leader's appended note."""

from __future__ import annotations

import pytest
from django.test import Client

from minhu.appeals import actions
from minhu.appeals.models import Appeal, AppealEvent, EventKind, Status
from minhu.appeals.tests.factories import client_for, error_code
from minhu.core.errors import IllegalTransition, PermissionDenied
from minhu.web.permissions import allowed_actions

from .factories import closed, merged, replied

pytestmark = pytest.mark.django_db


def _frozen(appeal: Appeal) -> tuple:
    appeal.refresh_from_db()
    return (appeal.subject, appeal.detail, appeal.address, appeal.appellant_name)


def test_closed_appeal_cannot_be_edited_by_the_verb_api_or_form(org):
    a = closed(org)
    before = _frozen(a)
    events = AppealEvent.objects.filter(appeal=a).count()
    with pytest.raises(IllegalTransition) as exc:
        actions.edit_details(a, actor=org.dispatcher, subject="改过的标题")
    assert exc.value.code == "closed_immutable"

    r = client_for(org.dispatcher).patch(
        f"/api/v1/appeals/{a.pk}/",
        {"subject": "改过的标题", "appellant_name": "别人"},
        format="json",
    )
    assert r.status_code == 409 and error_code(r) == "closed_immutable"

    web = Client()
    web.force_login(org.dispatcher)
    assert not allowed_actions(org.dispatcher, a).edit
    page = web.get(f"/appeals/{a.pk}/").content.decode()
    assert 'data-form="edit"' not in page
    r = web.post(f"/appeals/{a.pk}/act/edit/", {"subject": "改过的标题", "detail": a.detail})
    assert r.status_code in (400, 403, 409)
    assert _frozen(a) == before
    assert AppealEvent.objects.filter(appeal=a).count() == events


def test_open_appeals_stay_editable(org):
    a = replied(org)
    actions.edit_details(a, actor=org.dispatcher, subject="改过的标题")
    assert allowed_actions(org.dispatcher, a).edit


def test_merged_child_of_a_closed_parent_is_frozen_too(org):
    child = merged(org)
    child.refresh_from_db()
    parent = child.parent
    assert actions.edit_refusal(child) is None
    # close the parent
    actions.dispatch(parent, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(parent, actor=org.s1_handler)
    actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已现场修复")
    actions.reply(parent, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    for appellant in (parent, child):  # the merged appellant is followed up too
        actions.record_follow_up(
            appellant, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
        )
    actions.close(parent, actor=org.dispatcher)
    child.refresh_from_db()
    assert child.status == Status.MERGED and child.closed_at
    with pytest.raises(IllegalTransition):
        actions.edit_details(child, actor=org.dispatcher, address="别处")


def test_a_leader_appends_a_note_to_a_closed_record(org):
    a = closed(org)
    before = _frozen(a)
    event = actions.add_note(a, actor=org.district_leader, text="地址应为东门口，特此更正。")
    assert event.kind == EventKind.NOTE and event.note.startswith("地址应为")
    assert _frozen(a) == before
    assert allowed_actions(org.district_leader, a).note
    assert not allowed_actions(org.dispatcher, a).note
    with pytest.raises(PermissionDenied):
        actions.add_note(a, actor=org.dispatcher, text="调度员不能追加备注")
    r = client_for(org.s1_leader).post(
        f"/api/v1/appeals/{a.pk}/note/", {"text": "街道负责人补充说明"}, format="json"
    )
    assert r.status_code == 200, r.content
    r = client_for(org.s1_leader).post(
        f"/api/v1/appeals/{a.pk}/note/", {"text": "短"}, format="json"
    )
    assert r.status_code == 400
    web = Client()
    web.force_login(org.district_leader)
    r = web.post(f"/appeals/{a.pk}/act/note/", {"text": "网页追加的领导备注"})
    assert r.status_code in (200, 302)
    notes = list(AppealEvent.objects.filter(appeal=a, kind="note").values_list("note", flat=True))
    assert notes == ["地址应为东门口，特此更正。", "街道负责人补充说明", "网页追加的领导备注"]
    timeline = web.get(f"/appeals/{a.pk}/").content.decode()
    assert "网页追加的领导备注" in timeline
