"""Issue 14 item 4: only the level that placed a supervision (督办), or one above it, cancels it."""

import pytest

from minhu.core.errors import PermissionDenied
from minhu.evaluation import access, actions
from minhu.evaluation.models import Supervision, SupervisionStatus
from minhu.orgs.models import Role
from minhu.orgs.testing import make_user

from .helpers import replied

pytestmark = pytest.mark.django_db


def _cancel(sup, actor):
    return actions.close_supervision(sup, actor=actor, result="撤销测试", cancel=True)


def test_supervised_units_leader_cannot_cancel_the_districts_supervision(org):
    a = replied(org, org.street1)
    from minhu.appeals import actions as appeal_actions

    appeal_actions.reopen(a, actor=org.dispatcher, reason="群众再次来电反映")
    sup = actions.supervise_appeal(a, actor=org.district_leader, reason="群众反复反映，区领导督办")
    assert sup.unit_id == org.street1.pk
    assert not access.can_cancel_supervision(org.s1_leader, sup)
    with pytest.raises(PermissionDenied) as e:
        _cancel(sup, org.s1_leader)
    assert e.value.code == "not_supervision_placer"
    assert Supervision.objects.get(pk=sup.pk).status == SupervisionStatus.OPEN
    # ... but may still report it done (办结), and the district may cancel it.
    assert access.can_cancel_supervision(org.district_leader, sup)
    _cancel(sup, org.district_leader)
    assert Supervision.objects.get(pk=sup.pk).status == SupervisionStatus.CANCELLED


def test_automatic_supervision_is_the_districts(org):
    sup = Supervision.objects.create(
        unit=org.street1, reason="超期自动督办", auto=True, due_at="2030-01-01T00:00Z"
    )
    with pytest.raises(PermissionDenied):
        _cancel(sup, org.s1_leader)
    _cancel(sup, org.admin)


def test_street_placed_supervision_of_a_community(org):
    c1_leader = make_user("c1l", org.community1, Role.UNIT_LEADER)
    sup = actions.supervise_unit(org.community1, actor=org.s1_leader, reason="社区整改进度太慢")
    assert [u.pk for u in access.placing_units(sup)] == [org.street1.pk]
    with pytest.raises(PermissionDenied):  # the supervised community's own leader
        _cancel(sup, c1_leader)
    assert access.can_cancel_supervision(org.district_leader, sup)  # above the placer
    assert access.can_cancel_supervision(org.s1_leader, sup)  # the placer
    _cancel(sup, org.s1_leader)


def test_api_and_page_refuse_the_supervised_leaders_cancel(client, org):
    sup = actions.supervise_unit(org.street1, actor=org.district_leader, reason="本月超时件数最多")
    client.force_login(org.s1_leader)
    r = client.get("/evaluation/supervision/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f"/evaluation/supervision/{sup.pk}/close/" in html  # 办结 offered
    assert 'name="cancel"' not in html  # 撤销 not offered
    r = client.post(
        f"/api/v1/evaluation/supervisions/{sup.pk}/close/",
        {"result": "我单位自行撤销", "cancel": True},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_supervision_placer"
    assert Supervision.objects.get(pk=sup.pk).status == SupervisionStatus.OPEN
    client.force_login(org.district_leader)
    assert 'name="cancel"' in client.get("/evaluation/supervision/").content.decode()
