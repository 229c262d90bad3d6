"""The taxonomy's verbs: two levels, unique names, lead units, (de)activation, audit rows."""

from __future__ import annotations

import pytest

from minhu.appeals import actions as appeal_actions
from minhu.categories import actions
from minhu.categories.models import Category
from minhu.core.errors import Conflict, InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.deadlines import actions as deadline_actions
from minhu.deadlines.models import TimeLimitPolicy

pytestmark = pytest.mark.django_db


def rows_for(obj) -> list[ConfigChange]:
    return list(
        ConfigChange.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).order_by("id")
    )


def test_create_two_levels_with_audit(org):
    env = actions.create_category(actor=org.admin, name="生态环境", code="env", sort=2)
    noise = actions.create_category(
        actor=org.admin,
        name="噪音",
        code="noise",
        parent=env.pk,
        default_lead_kind="street",
        default_lead_unit=org.street1,
        keywords="噪音 施工",
    )
    assert noise.parent == env and str(noise) == "生态环境 / 噪音"
    [row] = rows_for(noise)
    assert row.action == "create" and row.actor == org.admin
    assert row.changes["parent"] == [None, {"id": env.pk, "name": "生态环境"}]
    assert row.changes["default_lead_unit"] == [None, {"id": org.street1.pk, "name": "东街道"}]
    assert row.changes["keywords"] == [None, "噪音 施工"]
    assert rows_for(env)[0].changes["sort"] == [None, 2]


def test_two_level_rule(org):
    with pytest.raises(InvalidInput) as exc:
        actions.create_category(actor=org.admin, name="夜间", code="night", parent=org.category)
    assert exc.value.code == "too_deep" and exc.value.details["field"] == "parent"
    other = actions.create_category(actor=org.admin, name="社会治安", code="security")
    # A first-level category with children cannot become a child ...
    with pytest.raises(InvalidInput) as exc:
        actions.update_category(org.top_category, actor=org.admin, parent=other)
    assert exc.value.code == "has_children" and "已有二级分类" in exc.value.message
    # ... nor its own parent.
    with pytest.raises(InvalidInput) as exc:
        actions.update_category(other, actor=org.admin, parent=other)
    assert exc.value.code == "cycle"
    # A childless first-level category can move under another one.
    actions.update_category(other, actor=org.admin, parent=org.top_category)
    assert Category.objects.get(pk=other.pk).parent == org.top_category
    assert Category.objects.get(pk=org.top_category.pk).parent is None


def test_unique_names_under_one_parent(org):
    with pytest.raises(InvalidInput) as exc:
        actions.create_category(
            actor=org.admin, name="路灯照明", code="light2", parent=org.top_category
        )
    assert exc.value.code == "duplicate_name"
    # First-level names are unique too (a NULL parent counts as one parent).
    with pytest.raises(InvalidInput) as exc:
        actions.create_category(actor=org.admin, name="城乡建设", code="urban2")
    assert exc.value.code == "duplicate_name"
    with pytest.raises(InvalidInput) as exc:
        actions.create_category(actor=org.admin, name="新分类", code="streetlight")
    assert exc.value.code == "duplicate_code"
    other = actions.create_category(actor=org.admin, name="市容环境", code="city")
    actions.create_category(actor=org.admin, name="路灯照明", code="light3", parent=other)
    assert Category.objects.filter(name="路灯照明").count() == 2


def test_lead_unit_and_kind_must_handle_appeals(org):
    with pytest.raises(InvalidInput) as exc:
        actions.update_category(org.category, actor=org.admin, default_lead_kind="center")
    assert exc.value.code == "invalid_lead_kind"
    with pytest.raises(InvalidInput) as exc:
        actions.update_category(org.category, actor=org.admin, default_lead_unit=org.centre)
    assert exc.value.code == "invalid_lead_unit"
    assert not ConfigChange.objects.exists()


def test_update_records_the_diff(org):
    actions.update_category(
        org.category,
        actor=org.admin,
        name="路灯照明",
        keywords="路灯 不亮 照明 灯杆",
        default_lead_unit=org.dept1,
    )
    [row] = rows_for(org.category)
    assert row.changes == {
        "default_lead_unit": [None, {"id": org.dept1.pk, "name": "区城管局"}],
        "keywords": ["路灯 不亮 照明", "路灯 不亮 照明 灯杆"],
    }
    actions.update_category(org.category, actor=org.admin, default_lead_unit=None)
    assert rows_for(org.category)[-1].changes == {
        "default_lead_unit": [{"id": org.dept1.pk, "name": "区城管局"}, None]
    }


def test_deactivating_a_first_level_category_deactivates_its_children(org):
    actions.set_category_active(org.top_category, actor=org.admin, active=False)
    assert not Category.objects.get(pk=org.category.pk).active
    assert [r.action for r in rows_for(org.category)] == ["deactivate"]
    assert [r.action for r in rows_for(org.top_category)] == ["deactivate"]
    with pytest.raises(InvalidInput) as exc:
        actions.set_category_active(org.category, actor=org.admin, active=True)
    assert exc.value.code == "parent_inactive"
    actions.update_category(org.top_category, actor=org.admin, active=True)
    actions.set_category_active(org.category, actor=org.admin, active=True)
    assert Category.objects.filter(active=True).count() == 2


def test_non_admins_change_nothing(org):
    for user in (org.dispatcher, org.district_leader, org.s1_leader):
        with pytest.raises(PermissionDenied):
            actions.create_category(actor=user, name="环境", code="env")
        with pytest.raises(PermissionDenied):
            actions.update_category(org.category, actor=user, name="改名")
        with pytest.raises(PermissionDenied):
            actions.set_category_active(org.category, actor=user, active=False)
        with pytest.raises(PermissionDenied):
            actions.delete_category(org.category, actor=user)
    cat = Category.objects.get(pk=org.category.pk)
    assert cat.name == "路灯照明" and cat.active
    assert not Category.objects.filter(code="env").exists()
    assert not ConfigChange.objects.exists()


def test_delete(org):
    appeal_actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="路灯",
        detail="路灯不亮很久了",
        appellant_kind="anonymous",
        category=org.category,
    )
    with pytest.raises(Conflict) as exc:
        actions.delete_category(org.category, actor=org.admin)
    assert exc.value.code == "protected"
    spare = actions.create_category(actor=org.admin, name="其他", code="other")
    limit = deadline_actions.create_time_limit(
        actor=org.admin, step="resolve", category=spare, amount=3, measure="working_days"
    )
    actions.delete_category(spare, actor=org.admin)
    assert not TimeLimitPolicy.objects.filter(pk=limit.pk).exists()
    # The rule that went with it is in the log too.
    gone = ConfigChange.objects.get(
        model="deadlines.timelimitpolicy", object_id=limit.pk, action="delete"
    )
    assert gone.changes["category"] == [{"id": spare.pk, "name": "其他"}, None]
    assert ConfigChange.objects.filter(model="categories.category", action="delete").count() == 1
