"""The organisation's verbs: units, accounts, passwords, memberships, and their audit rows."""

from __future__ import annotations

import json

import pytest

from minhu.appeals import actions as appeal_actions
from minhu.core.errors import Conflict, InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.orgs import actions
from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

pytestmark = pytest.mark.django_db


def rows_for(obj) -> list[ConfigChange]:
    return list(
        ConfigChange.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).order_by("id")
    )


def ref(unit: Unit) -> dict:
    return {"id": unit.pk, "name": unit.name}


def dispatched_appeal(org, lead, assist=()):
    appeal = appeal_actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="路灯不亮",
        detail="小区门口的路灯坏了一个星期",
        appellant_kind="anonymous",
        grid=org.grid1,
    )
    appeal_actions.classify(appeal, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(appeal, actor=org.dispatcher, lead_unit=lead, assist_units=list(assist))
    return appeal


# --- units ----------------------------------------------------------------------------------


def test_create_unit_records_every_initial_value(org):
    unit = actions.create_unit(
        actor=org.admin, name=" 南街道 ", code="s3", kind="street", parent=org.district.pk
    )
    assert unit.name == "南街道" and unit.path == f"{org.district.path}{unit.pk}/"
    [row] = rows_for(unit)
    assert row.action == "create" and row.actor == org.admin and row.actor_name == "管理员"
    assert row.object_repr == "南街道"
    assert row.changes == {
        "name": [None, "南街道"],
        "code": [None, "s3"],
        "kind": [None, "street"],
        "parent": [None, ref(org.district)],
        "active": [None, True],
    }


def test_update_unit_records_only_what_changed(org):
    actions.update_unit(org.street2, actor=org.admin, name="西湖街道", code="s2", phone="")
    [row] = rows_for(org.street2)
    assert row.action == "update" and row.changes == {"name": ["西街道", "西湖街道"]}
    org.street2.refresh_from_db()
    assert org.street2.name == "西湖街道"
    # Saving the same values again writes nothing.
    actions.update_unit(org.street2, actor=org.admin, name="西湖街道", kind="street")
    assert len(rows_for(org.street2)) == 1


def test_moving_a_unit_repaths_its_subtree(org):
    actions.update_unit(org.community1, actor=org.admin, parent=org.street2)
    org.grid1.refresh_from_db()
    assert org.grid1.path == f"{org.street2.path}{org.community1.pk}/{org.grid1.pk}/"
    assert org.grid1.depth == 3
    [row] = rows_for(org.community1)
    assert row.changes == {"parent": [ref(org.street1), ref(org.street2)]}


@pytest.mark.parametrize(
    "unit_name, parent_name",
    [("street1", "community1"), ("community1", "grid1"), ("street1", "street1")],
)
def test_no_cycles(org, unit_name, parent_name):
    unit, parent = getattr(org, unit_name), getattr(org, parent_name)
    before = Unit.objects.get(pk=unit.pk).path
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(unit, actor=org.admin, parent=parent)
    assert exc.value.code == "cycle" and exc.value.details["field"] == "parent"
    assert "上级单位不能是本单位或其下级" in exc.value.message
    assert Unit.objects.get(pk=unit.pk).path == before
    assert not ConfigChange.objects.exists()


def test_parent_must_be_of_an_allowed_kind(org):
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=org.admin, name="错的网格", code="bad", kind="grid", parent=org.street1
        )
    assert exc.value.code == "invalid_parent" and exc.value.details["field"] == "parent"
    assert exc.value.message == "「网格」的上级应为：社区、村"
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=org.admin, name="第二个区", code="d2", kind="district", parent=org.district
        )
    assert exc.value.message == "「区」的上级应为：无（顶级）"
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(org.dept1, actor=org.admin, parent=org.street1)
    assert exc.value.code == "invalid_parent"
    assert not Unit.objects.filter(code__in=["bad", "d2"]).exists()
    assert not ConfigChange.objects.exists()


def test_changing_kind_keeps_children_valid(org):
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(org.street1, actor=org.admin, kind=UnitKind.DEPARTMENT)
    assert exc.value.code == "invalid_kind" and "东一社区" in exc.value.message
    actions.update_unit(org.street2, actor=org.admin, kind=UnitKind.TOWN)
    assert Unit.objects.get(pk=org.street2.pk).kind == UnitKind.TOWN


def test_field_rules_and_duplicate_code(org):
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(actor=org.admin, name="", code="x", kind="street", parent=org.district)
    assert exc.value.code == "required" and exc.value.details["field"] == "name"
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=org.admin, name="X", code="s1", kind="street", parent=org.district
        )
    assert exc.value.code == "duplicate_code"
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(actor=org.admin, name="X", code="x", kind="planet", parent=org.district)
    assert exc.value.code == "invalid_choice" and exc.value.details["field"] == "kind"
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(org.street1, actor=org.admin, path="/1/")
    assert exc.value.code == "unknown_field"


def test_deactivating_a_unit_with_open_appeals_is_refused(org):
    dispatched_appeal(org, lead=org.street1, assist=[org.dept3])
    for unit in (org.street1, org.dept3):  # the lead, and a unit assigned to assist
        with pytest.raises(InvalidInput) as exc:
            actions.set_unit_active(unit, actor=org.admin, active=False)
        assert exc.value.code == "unit_has_open_appeals" and exc.value.details["count"] == 1
        assert "未办结的诉求" in exc.value.message
        assert Unit.objects.get(pk=unit.pk).active
    assert not ConfigChange.objects.exists()
    # A unit without open work can be deactivated and reactivated; each is one row.
    actions.set_unit_active(org.dept2, actor=org.admin, active=False)
    actions.set_unit_active(org.dept2, actor=org.admin, active=False)  # already: no row
    actions.set_unit_active(org.dept2, actor=org.admin, active=True)
    assert [(r.action, r.changes) for r in rows_for(org.dept2)] == [
        ("deactivate", {"active": [True, False]}),
        ("activate", {"active": [False, True]}),
    ]


def test_deactivation_inside_an_update_is_all_or_nothing(org):
    dispatched_appeal(org, lead=org.street1)
    with pytest.raises(InvalidInput):
        actions.update_unit(org.street1, actor=org.admin, name="东湖街道", active=False)
    assert Unit.objects.get(pk=org.street1.pk).name == "东街道"
    assert not ConfigChange.objects.exists()


def test_active_children_and_inactive_parents(org):
    with pytest.raises(InvalidInput) as exc:
        actions.set_unit_active(org.community2, actor=org.admin, active=False)
    assert exc.value.code == "unit_has_active_children"
    actions.set_unit_active(org.grid2, actor=org.admin, active=False)
    actions.set_unit_active(org.community2, actor=org.admin, active=False)
    with pytest.raises(InvalidInput) as exc:
        actions.set_unit_active(org.grid2, actor=org.admin, active=True)
    assert exc.value.code == "parent_inactive"
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=org.admin, name="新网格", code="g9", kind="grid", parent=org.community2
        )
    assert exc.value.code == "parent_inactive"


def test_paired_communities(org):
    actions.set_paired_communities(org.dept2, actor=org.admin, communities=[org.community2])
    assert list(org.dept2.paired_communities.all()) == [org.community2]
    [row] = rows_for(org.dept2)
    assert row.changes == {"paired_communities": [[], [ref(org.community2)]]}
    with pytest.raises(InvalidInput) as exc:
        actions.set_paired_communities(org.street1, actor=org.admin, communities=[org.community1])
    assert exc.value.code == "pairing_not_allowed"
    with pytest.raises(InvalidInput) as exc:
        actions.set_paired_communities(org.dept2, actor=org.admin, communities=[org.street2])
    assert exc.value.code == "invalid_pairing"
    # A department paired with communities cannot silently become another kind.
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(org.dept1, actor=org.admin, kind=UnitKind.CENTER)
    assert exc.value.code == "pairing_not_allowed"


def test_delete_unit(org):
    spare = actions.create_unit(
        actor=org.admin, name="临时办", code="tmp", kind="department", parent=org.district
    )
    pk = spare.pk
    actions.delete_unit(spare, actor=org.admin)
    assert not Unit.objects.filter(pk=pk).exists()
    row = ConfigChange.objects.get(model="orgs.unit", object_id=pk, action="delete")
    assert row.object_repr == "临时办" and row.changes["code"] == ["tmp", None]
    with pytest.raises(Conflict) as exc:
        actions.delete_unit(org.street1, actor=org.admin)
    assert exc.value.code == "protected"
    assert not ConfigChange.objects.filter(model="orgs.unit", object_id=org.street1.pk).exists()


@pytest.mark.parametrize("username", ["dispatcher", "dleader", "s1l", "s1h", "g1w"])
def test_non_admins_change_nothing(org, username):
    user = User.objects.get(username=username)
    m = Membership.objects.get(user=org.s2_handler)
    attempts = [
        lambda: actions.create_unit(
            actor=user, name="X", code="x", kind="street", parent=org.district
        ),
        lambda: actions.update_unit(org.street1, actor=user, name="改名"),
        lambda: actions.set_unit_active(org.dept3, actor=user, active=False),
        lambda: actions.set_paired_communities(org.dept2, actor=user, communities=[]),
        lambda: actions.delete_unit(org.dept3, actor=user),
        lambda: actions.create_user(actor=user, username="x", password="a-long-pass-2024"),
        lambda: actions.update_user(org.s2_handler, actor=user, display_name="改名"),
        lambda: actions.set_password(org.s2_handler, actor=user, password="a-long-pass-2024"),
        lambda: actions.set_user_active(org.s2_handler, actor=user, active=False),
        lambda: actions.add_membership(org.s2_handler, actor=user, unit=org.dept1, role="handler"),
        lambda: actions.set_membership_active(m, actor=user, active=False),
        lambda: actions.remove_membership(m, actor=user),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert Unit.objects.get(pk=org.street1.pk).name == "东街道"
    assert Unit.objects.get(pk=org.dept3.pk).active
    s2h = User.objects.get(pk=org.s2_handler.pk)
    assert s2h.is_active and s2h.display_name == "西街道承办人"
    assert Membership.objects.get(pk=m.pk).active
    assert not ConfigChange.objects.exists()


def test_superuser_and_system_may_change_configuration(org):
    root = User.objects.create_superuser("root", password="root-pass-123")
    actions.update_unit(org.dept3, actor=root, phone="010-1234")
    actions.update_unit(org.dept3, actor=None, phone="010-5678")
    first, second = rows_for(org.dept3)
    assert first.actor == root and first.actor_name == "root"
    assert second.actor is None and second.actor_name == "系统"


def test_an_inactive_admin_cannot_change_configuration(org):
    User.objects.filter(pk=org.admin.pk).update(is_active=False)
    org.admin.refresh_from_db()
    with pytest.raises(PermissionDenied):
        actions.update_unit(org.dept3, actor=org.admin, phone="1")


# --- users ----------------------------------------------------------------------------------


def test_create_user_with_first_membership(org):
    user = actions.create_user(
        actor=org.admin,
        username="newbie",
        password="a-long-pass-2024",
        display_name="新人",
        unit=org.street2,
        role=Role.HANDLER,
    )
    assert user.check_password("a-long-pass-2024")
    m = Membership.objects.get(user=user)
    assert (m.unit, m.role, m.active) == (org.street2, "handler", True)
    [row] = rows_for(user)
    assert row.action == "create"
    assert row.changes["username"] == [None, "newbie"]
    assert row.changes["password"] == [None, "password set"]
    [m_row] = rows_for(m)
    assert m_row.changes["unit"] == [None, ref(org.street2)]
    assert m_row.changes["role"] == [None, "handler"]
    assert user.password not in json.dumps([row.changes, m_row.changes])


def test_create_user_rules(org):
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(actor=org.admin, username="dispatcher", password="a-long-pass-2024")
    assert exc.value.code == "duplicate_username"
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(actor=org.admin, username="newbie", password="short")
    assert exc.value.code == "weak_password" and "密码太短" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(
            actor=org.admin, username="newbie", password="a-long-pass-2024", unit=org.street2
        )
    assert exc.value.details["field"] == "role"
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(
            actor=org.admin,
            username="newbie",
            password="a-long-pass-2024",
            unit=org.street2,
            role="king",
        )
    assert exc.value.code == "invalid_choice"
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(
            actor=org.admin, username="newbie", password="a-long-pass-2024", email="not-an-email"
        )
    assert exc.value.details["field"] == "email"
    assert not User.objects.filter(username="newbie").exists()
    assert not ConfigChange.objects.exists()


def test_update_user_and_password(org):
    old_hash = User.objects.get(pk=org.s2_handler.pk).password
    actions.update_user(
        org.s2_handler, actor=org.admin, display_name="西街道小王", password="brand-new-pass-1"
    )
    user = User.objects.get(pk=org.s2_handler.pk)
    assert user.display_name == "西街道小王" and user.check_password("brand-new-pass-1")
    profile, password = rows_for(user)
    assert profile.changes == {"display_name": ["西街道承办人", "西街道小王"]}
    assert password.changes == {"password": [None, "password changed"]}
    text = json.dumps([profile.changes, password.changes])
    assert old_hash not in text and user.password not in text and "brand-new" not in text
    with pytest.raises(InvalidInput) as exc:
        actions.set_password(org.s2_handler, actor=org.admin, password="1234567")
    assert exc.value.code == "weak_password" and exc.value.details["field"] == "password"
    with pytest.raises(InvalidInput) as exc:
        actions.update_user(org.s2_handler, actor=org.admin, username="dispatcher")
    assert exc.value.code == "duplicate_username"
    assert User.objects.get(pk=org.s2_handler.pk).check_password("brand-new-pass-1")


def test_admin_cannot_deactivate_themselves(org):
    with pytest.raises(InvalidInput) as exc:
        actions.set_user_active(org.admin, actor=org.admin, active=False)
    assert exc.value.code == "self_deactivation" and exc.value.message == "不能停用自己的账号"
    with pytest.raises(InvalidInput):
        actions.update_user(org.admin, actor=org.admin, display_name="管", is_active=False)
    admin = User.objects.get(pk=org.admin.pk)
    assert admin.is_active and admin.display_name == "管理员"
    assert not ConfigChange.objects.exists()
    # Another account: fine, and one row each way.
    actions.set_user_active(org.s2_handler, actor=org.admin, active=False)
    actions.set_user_active(org.s2_handler, actor=org.admin, active=True)
    assert [r.action for r in rows_for(org.s2_handler)] == ["deactivate", "activate"]


# --- memberships ----------------------------------------------------------------------------


def test_memberships(org):
    m = actions.add_membership(org.s2_handler, actor=org.admin, unit=org.dept1, role="unit_leader")
    with pytest.raises(InvalidInput) as exc:
        actions.add_membership(org.s2_handler, actor=org.admin, unit=org.dept1, role="unit_leader")
    assert exc.value.code == "duplicate_membership" and "已有此角色" in exc.value.message
    actions.set_unit_active(org.dept3, actor=org.admin, active=False)
    with pytest.raises(InvalidInput) as exc:
        actions.add_membership(org.s2_handler, actor=org.admin, unit=org.dept3, role="handler")
    assert exc.value.code == "unit_inactive"

    actions.set_membership_active(m, actor=org.admin, active=False)
    assert not Membership.objects.get(pk=m.pk).active
    actions.update_membership(m, actor=org.admin, role="handler")
    with pytest.raises(InvalidInput) as exc:
        actions.update_membership(m, actor=org.admin, user=org.s1_handler)
    assert exc.value.code == "immutable"
    pk = m.pk
    actions.remove_membership(m, actor=org.admin)
    assert not Membership.objects.filter(pk=pk).exists()
    rows = list(ConfigChange.objects.filter(model="orgs.membership", object_id=pk).order_by("id"))
    assert [r.action for r in rows] == ["create", "deactivate", "update", "delete"]
    assert rows[2].changes == {"role": ["unit_leader", "handler"]}
    assert rows[3].changes["user"] == [{"id": org.s2_handler.pk, "name": "西街道承办人"}, None]
    assert rows[3].object_repr.startswith("西街道承办人 · 区城管局")


def test_admin_cannot_drop_their_own_last_admin_role(org):
    mine = Membership.objects.get(user=org.admin, role=Role.ADMIN)
    with pytest.raises(InvalidInput) as exc:
        actions.set_membership_active(mine, actor=org.admin, active=False)
    assert exc.value.code == "self_demotion"
    with pytest.raises(InvalidInput):
        actions.remove_membership(mine, actor=org.admin)
    with pytest.raises(InvalidInput):
        actions.update_membership(mine, actor=org.admin, role=Role.HANDLER)
    assert Membership.objects.get(pk=mine.pk).active
    # With a second admin role elsewhere, the first may go.
    actions.add_membership(org.admin, actor=org.admin, unit=org.centre, role=Role.ADMIN)
    actions.set_membership_active(mine, actor=org.admin, active=False)
    assert not Membership.objects.get(pk=mine.pk).active


@pytest.mark.parametrize("phone", ["abc-not-a-phone", "139-abc", "1234", "++8613800000000", "0531"])
def test_a_staff_or_unit_phone_must_be_a_phone_number(org, phone):
    with pytest.raises(InvalidInput) as exc:
        actions.create_user(
            actor=org.admin, username="newbie", password="Zq8!long-enough", phone=phone
        )
    assert exc.value.code == "invalid_phone" and exc.value.details["field"] == "phone"
    assert not User.objects.filter(username="newbie").exists()
    with pytest.raises(InvalidInput) as exc:
        actions.update_user(org.dispatcher, actor=org.admin, phone=phone)
    assert exc.value.code == "invalid_phone"
    with pytest.raises(InvalidInput) as exc:
        actions.update_unit(org.street1, actor=org.admin, phone=phone)
    assert exc.value.code == "invalid_phone"


@pytest.mark.parametrize(
    "phone",
    ["13800138000", "0531-88886666", "(0531) 8888 6666-801", "12345", "+86 138 0013 8000", ""],
)
def test_real_phone_numbers_are_accepted(org, phone):
    user = actions.update_user(org.dispatcher, actor=org.admin, phone=phone)
    assert user.phone == phone
    unit = actions.update_unit(org.street1, actor=org.admin, phone=phone)
    assert unit.phone == phone
