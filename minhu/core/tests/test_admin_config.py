"""The Django admin changes configuration only through the audited verbs: every add, change and
delete writes a ConfigChange row with the admin user as actor, and a verb's refusal is shown on
the page with nothing saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minhu.appeals.models import CollectionPoint
from minhu.categories.models import Category
from minhu.core.models import ConfigAction, ConfigChange
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.orgs.models import Membership, Role, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(org):
    return User.objects.create_superuser("root", password="x-12345678")


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


def changes_of(model: str, **filters) -> list[ConfigChange]:
    return list(ConfigChange.objects.filter(model=model, **filters).order_by("id"))


def page_body(response) -> dict:
    """What the change page would POST back unchanged (main form and inline rows)."""
    body: dict = {}

    def add(form, prefix_names: bool) -> None:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            key = form.add_prefix(name) if prefix_names else name
            if hasattr(value, "pk"):
                value = value.pk
            if isinstance(value, bool):
                if value:
                    body[key] = "on"
                continue
            if isinstance(value, list | tuple):
                body[key] = [getattr(v, "pk", v) for v in value]
                continue
            body[key] = "" if value is None else value

    add(response.context["adminform"].form, False)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for f in formset.management_form:
            body[f.html_name] = f.value()
        for form in formset.initial_forms:
            add(form, True)
    return body


def test_unit_add_change_and_delete_are_audited(root_client, root, org):
    add = reverse("admin:orgs_unit_add")
    body = {"name": "新网格", "code": "newgrid", "kind": "grid", "active": "on"}
    resp = root_client.post(add, body | {"parent": org.community1.pk})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    unit = Unit.objects.get(code="newgrid")
    (row,) = changes_of("orgs.unit", object_id=unit.pk)
    assert row.action == ConfigAction.CREATE and row.actor == root
    assert row.changes["parent"][1]["id"] == org.community1.pk

    change = reverse("admin:orgs_unit_change", args=[unit.pk])
    body = page_body(root_client.get(change)) | {"name": "东一社区第9网格"}
    assert root_client.post(change, body).status_code == 302
    unit.refresh_from_db()
    assert unit.name == "东一社区第9网格"
    row = changes_of("orgs.unit", object_id=unit.pk)[-1]
    assert row.action == ConfigAction.UPDATE and row.changes == {
        "name": ["新网格", "东一社区第9网格"]
    }

    delete = reverse("admin:orgs_unit_delete", args=[unit.pk])
    assert root_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert changes_of("orgs.unit", object_id=unit.pk)[-1].action == ConfigAction.DELETE


def test_unit_refused_by_the_verb_is_shown_and_nothing_saved(root_client, org):
    change = reverse("admin:orgs_unit_change", args=[org.street1.pk])
    body = page_body(root_client.get(change))
    body.pop("active")  # deactivate a street that still has an active community
    body["name"] = "东街道（改）"
    resp = root_client.post(change, body)
    assert resp.status_code == 200
    assert "个启用的下级单位" in resp.content.decode()
    org.street1.refresh_from_db()
    assert org.street1.active and org.street1.name == "东街道"  # the rename rolled back too
    assert not changes_of("orgs.unit", object_id=org.street1.pk)


def test_unit_delete_refused_keeps_the_unit(root_client, org):
    delete = reverse("admin:orgs_unit_delete", args=[org.community1.pk])
    root_client.post(delete, {"post": "yes"})  # it has a grid and members
    assert Unit.objects.filter(pk=org.community1.pk).exists()
    assert not changes_of("orgs.unit", action=ConfigAction.DELETE)


def test_calendar_override_add_list_edit_and_bulk_delete(root_client, root, org):
    add = reverse("admin:deadlines_calendaroverride_add")
    for date in ("2027-02-06", "2027-02-07"):
        body = {"date": date, "is_workday": "on", "name": "春节调休"}
        assert root_client.post(add, body).status_code == 302
    rows = list(CalendarOverride.objects.order_by("date"))
    assert [c.action for c in changes_of("deadlines.calendaroverride")] == ["create", "create"]

    changelist = reverse("admin:deadlines_calendaroverride_changelist")
    body = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
    }
    for i, row in enumerate(sorted(rows, key=lambda r: r.date, reverse=True)):
        body |= {f"form-{i}-id": row.pk, f"form-{i}-name": row.name}
        if row.date.day == 6:
            body[f"form-{i}-is_workday"] = "on"  # the 7th becomes a holiday
    assert root_client.post(changelist, body).status_code == 302
    last = changes_of("deadlines.calendaroverride")[-1]
    assert last.action == ConfigAction.UPDATE and last.changes == {"is_workday": [True, False]}
    assert last.object_id == rows[1].pk and last.actor == root

    resp = root_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
    )
    assert resp.status_code == 302 and not CalendarOverride.objects.exists()
    deletes = changes_of("deadlines.calendaroverride", action=ConfigAction.DELETE)
    assert sorted(c.object_id for c in deletes) == sorted(r.pk for r in rows)


def test_time_limit_saved_through_the_verb(root_client, root, org):
    add = reverse("admin:deadlines_timelimitpolicy_add")
    body = {"step": "resolve", "category": "", "urgency": "", "amount": "3"}
    assert root_client.post(add, body | {"measure": "working_days"}).status_code == 302
    policy = TimeLimitPolicy.objects.get()
    (row,) = changes_of("deadlines.timelimitpolicy")
    assert row.action == ConfigAction.CREATE and row.object_id == policy.pk
    assert row.changes["amount"] == [None, "3.00"] and row.actor == root


def test_user_add_membership_inline_and_password(root_client, root, org):
    add = reverse("admin:orgs_user_add")
    body = {
        "username": "newbie",
        "display_name": "新人",
        "phone": "",
        "password1": "Qz-8f2k-Lm3",
        "password2": "Qz-8f2k-Lm3",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    resp = root_client.post(add, body)
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    user = User.objects.get(username="newbie")
    assert user.check_password("Qz-8f2k-Lm3")
    (row,) = changes_of("orgs.user", object_id=user.pk)
    assert row.action == ConfigAction.CREATE and row.changes["password"] == [None, "password set"]

    change = reverse("admin:orgs_user_change", args=[user.pk])
    body = page_body(root_client.get(change)) | {
        "display_name": "新人甲",
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": user.pk,
        "memberships-0-unit": org.street1.pk,
        "memberships-0-role": Role.HANDLER,
        "memberships-0-active": "on",
    }
    resp = root_client.post(change, body)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    m = Membership.objects.get(user=user)
    assert (m.unit, m.role) == (org.street1, Role.HANDLER)
    assert changes_of("orgs.membership", object_id=m.pk)[0].actor == root
    assert changes_of("orgs.user", object_id=user.pk)[-1].changes == {
        "display_name": ["新人", "新人甲"]
    }

    password = reverse("admin:auth_user_password_change", args=[user.pk])
    short = root_client.post(password, {"password1": "abc", "password2": "abc"})
    assert short.status_code == 200
    assert (
        root_client.post(
            password, {"password1": "Wx-93jd-Pq7", "password2": "Wx-93jd-Pq7"}
        ).status_code
        == 302
    )
    user.refresh_from_db()
    assert user.check_password("Wx-93jd-Pq7")
    assert changes_of("orgs.user", object_id=user.pk)[-1].changes == {
        "password": [None, "password changed"]
    }


def test_user_flags_read_only_and_users_not_deleted(root_client, org):
    change = reverse("admin:orgs_user_change", args=[org.s1_handler.pk])
    form = root_client.get(change).context["adminform"].form
    assert "is_superuser" not in form.fields and "is_staff" not in form.fields
    delete = reverse("admin:orgs_user_delete", args=[org.s1_handler.pk])
    assert root_client.get(delete).status_code == 403


def test_category_child_inline_goes_through_the_verbs(root_client, root, org):
    top = Category.objects.create(name="城市管理", code="city")
    change = reverse("admin:categories_category_change", args=[top.pk])
    body = page_body(root_client.get(change)) | {
        "children-TOTAL_FORMS": "1",
        "children-0-name": "路灯",
        "children-0-code": "lamp",
        "children-0-default_lead_kind": "",
        "children-0-default_lead_unit": "",
        "children-0-keywords": "",
        "children-0-active": "on",
        "children-0-sort": "0",
    }
    resp = root_client.post(change, body)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    child = Category.objects.get(code="lamp")
    assert child.parent == top
    (row,) = changes_of("categories.category", object_id=child.pk)
    assert row.action == ConfigAction.CREATE and row.actor == root


def test_collection_point_with_appeals_cannot_be_deleted(root_client, org):
    from minhu.appeals.tests.factories import register

    point = CollectionPoint.objects.create(name="东门", code="east-gate", unit=org.street1)
    a = register(org)
    type(a).objects.filter(pk=a.pk).update(collection_point=point)
    changelist = reverse("admin:appeals_collectionpoint_changelist")
    resp = root_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [point.pk], "post": "yes"},
        follow=True,
    )
    assert "不能删除" in resp.content.decode()
    assert CollectionPoint.objects.filter(pk=point.pk).exists()
    assert not changes_of("appeals.collectionpoint")
