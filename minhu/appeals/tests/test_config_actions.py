"""The verbs of collection points (appeals.config_actions) and their audit rows."""

from __future__ import annotations

import pytest

from minhu.appeals import actions as appeal_actions
from minhu.appeals import config_actions as actions
from minhu.appeals.models import CollectionPoint
from minhu.core.errors import Conflict, InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.orgs import actions as org_actions

pytestmark = pytest.mark.django_db


def rows_for(obj) -> list[ConfigChange]:
    return list(
        ConfigChange.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).order_by("id")
    )


def test_create_update_and_deactivate(org):
    point = actions.create_collection_point(
        actor=org.admin,
        name="东街道便民服务中心",
        code="s1-hall",
        unit=org.street1,
        is_service_hall=True,
    )
    assert point.channel == "h5" and point.active
    actions.update_collection_point(point, actor=org.admin, address="东大街1号", unit=org.street1)
    actions.set_collection_point_active(point, actor=org.admin, active=False)
    rows = rows_for(point)
    assert [r.action for r in rows] == ["create", "update", "deactivate"]
    assert rows[0].changes["unit"] == [None, {"id": org.street1.pk, "name": "东街道"}]
    assert rows[0].changes["is_service_hall"] == [None, True]
    assert rows[1].changes == {"address": ["", "东大街1号"]}
    assert not CollectionPoint.objects.get(pk=point.pk).active


def test_rules(org):
    actions.create_collection_point(actor=org.admin, name="甲", code="a", unit=org.street1)
    with pytest.raises(InvalidInput) as exc:
        actions.create_collection_point(actor=org.admin, name="乙", code="a", unit=org.street1)
    assert exc.value.code == "duplicate_code"
    with pytest.raises(InvalidInput) as exc:
        actions.create_collection_point(
            actor=org.admin, name="乙", code="b", unit=org.street1, channel="pigeon"
        )
    assert exc.value.code == "invalid_choice" and exc.value.details["field"] == "channel"
    org_actions.set_unit_active(org.dept3, actor=org.admin, active=False)
    with pytest.raises(InvalidInput) as exc:
        actions.create_collection_point(actor=org.admin, name="乙", code="b", unit=org.dept3)
    assert exc.value.code == "unit_inactive"
    assert CollectionPoint.objects.count() == 1


def test_reactivation_needs_an_active_unit(org):
    point = actions.create_collection_point(
        actor=org.admin, name="教育局窗口", code="edu", unit=org.dept3, active=False
    )
    org_actions.set_unit_active(org.dept3, actor=org.admin, active=False)
    with pytest.raises(InvalidInput) as exc:
        actions.set_collection_point_active(point, actor=org.admin, active=True)
    assert exc.value.code == "unit_inactive"


def test_delete_only_unused_points(org):
    used = actions.create_collection_point(actor=org.admin, name="甲", code="a", unit=org.street1)
    appeal_actions.register_appeal(
        actor=None,
        channel="h5",
        subject="路灯不亮",
        detail="小区门口的路灯坏了一个星期",
        appellant_name="张三",
        appellant_phone="13812345678",
        grid=org.grid1,
        collection_point=used,
    )
    with pytest.raises(Conflict) as exc:
        actions.delete_collection_point(used, actor=org.admin)
    assert exc.value.code == "protected"
    spare = actions.create_collection_point(actor=org.admin, name="乙", code="b", unit=org.street1)
    pk = spare.pk
    actions.delete_collection_point(spare, actor=org.admin)
    assert ConfigChange.objects.get(model="appeals.collectionpoint", object_id=pk, action="delete")
    assert list(CollectionPoint.objects.values_list("code", flat=True)) == ["a"]


def test_non_admins_change_nothing(org):
    point = actions.create_collection_point(actor=org.admin, name="甲", code="a", unit=org.street1)
    for user in (org.dispatcher, org.s1_leader, org.grid1_worker):
        with pytest.raises(PermissionDenied):
            actions.create_collection_point(actor=user, name="乙", code="b", unit=org.street1)
        with pytest.raises(PermissionDenied):
            actions.update_collection_point(point, actor=user, name="改名")
        with pytest.raises(PermissionDenied):
            actions.set_collection_point_active(point, actor=user, active=False)
        with pytest.raises(PermissionDenied):
            actions.delete_collection_point(point, actor=user)
    point.refresh_from_db()
    assert point.name == "甲" and point.active and CollectionPoint.objects.count() == 1
    assert ConfigChange.objects.count() == 1
