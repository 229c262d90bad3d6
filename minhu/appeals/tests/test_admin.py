"""The Django admin for the core models: every page renders; state is read-only; an appeal's
descriptive fields are edited through actions.edit_details (with an event)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from minhu.appeals.models import Appeal, AppealEvent, EventKind, Status
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.orgs.models import User

from .factories import closed, escalated

CORE_APPS = {"appeals", "orgs", "categories", "deadlines", "notifications"}


@pytest.fixture
def root_client(client, org):
    root = User.objects.create_superuser("root", password="x-12345678")
    client.force_login(root)
    return client


@pytest.fixture
def data(org):
    a = escalated(org)
    b = closed(org, phone="13900000000")
    from minhu.appeals import actions

    actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要更多时间")
    TimeLimitPolicy.objects.create(step="resolve", amount=3, measure="working_days")
    CalendarOverride.objects.create(date="2027-02-06", is_workday=True, name="春节调休")
    from minhu.deadlines.sweep import sweep_deadlines

    sweep_deadlines()  # misses and notifications to list
    return a, b


def core_models():
    return sorted(
        (m for m in admin.site._registry if m._meta.app_label in CORE_APPS),
        key=lambda m: m._meta.label,
    )


def test_every_core_model_is_registered():
    labels = {m._meta.label for m in core_models()}
    assert {
        "appeals.Appeal",
        "appeals.AppealEvent",
        "appeals.Assignment",
        "appeals.ExtensionRequest",
        "appeals.Whistle",
        "appeals.Summons",
        "appeals.FollowUp",
        "appeals.Attachment",
        "appeals.CollectionPoint",
        "orgs.Unit",
        "orgs.User",
        "orgs.Membership",
        "categories.Category",
        "deadlines.CalendarOverride",
        "deadlines.TimeLimitPolicy",
        "deadlines.DeadlineMiss",
        "notifications.Notification",
    } <= labels


@pytest.mark.parametrize("model", core_models(), ids=lambda m: m._meta.label)
def test_changelist_search_and_change_pages_render(root_client, data, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert root_client.get(url).status_code == 200
    assert root_client.get(url, {"q": "路灯"}).status_code == 200
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert root_client.get(change).status_code == 200


@pytest.mark.parametrize("due", ["overdue", "due_soon", "on_time", "none"])
def test_appeal_due_filter(root_client, data, due):
    url = reverse("admin:appeals_appeal_changelist")
    assert root_client.get(url, {"due": due}).status_code == 200


def _form_data(response) -> dict:
    """The POST body the change page would send (its initial values and inline management)."""
    form = response.context["adminform"].form
    body = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        body[name] = "" if value is None else getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        for f in inline.formset.management_form:
            body[f.html_name] = f.value()
    return body


def test_appeal_edit_goes_through_the_action(root_client, data):
    a, _ = data
    url = reverse("admin:appeals_appeal_change", args=[a.pk])
    page = root_client.get(url)
    form = page.context["adminform"].form
    assert "status" not in form.fields and "lead_unit" not in form.fields  # read-only
    assert "subject" in form.fields
    body = _form_data(page) | {"subject": "路灯不亮（东门口）", "status": Status.CLOSED}
    resp = root_client.post(url, body)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    a.refresh_from_db()
    assert a.subject == "路灯不亮（东门口）" and a.status == Status.ESCALATED
    e = AppealEvent.objects.filter(appeal=a).order_by("-id").first()
    assert e.kind == EventKind.EDIT and e.data["fields"] == ["subject"]


def test_appeal_edit_refusal_changes_nothing(root_client, data):
    a, _ = data
    url = reverse("admin:appeals_appeal_change", args=[a.pk])
    body = _form_data(root_client.get(url)) | {"appellant_phone": "12345"}
    resp = root_client.post(url, body, follow=True)
    assert "联系电话格式不正确" in resp.content.decode()
    a.refresh_from_db()
    assert a.appellant_phone == "13812345678"


def test_appeals_cannot_be_added_or_deleted(root_client, data):
    a, _ = data
    assert root_client.get(reverse("admin:appeals_appeal_add")).status_code == 403
    assert root_client.get(reverse("admin:appeals_appeal_delete", args=[a.pk])).status_code == 403
    assert Appeal.objects.filter(pk=a.pk).exists()


def test_events_are_read_only(root_client, data):
    e = AppealEvent.objects.first()
    change = reverse("admin:appeals_appealevent_change", args=[e.pk])
    before = (e.kind, e.note)
    root_client.post(change, {"kind": "close", "note": "篡改"})
    e.refresh_from_db()
    assert (e.kind, e.note) == before
    assert root_client.get(reverse("admin:appeals_appealevent_add")).status_code == 403


def test_units_listed_as_a_tree(root_client, org):
    resp = root_client.get(reverse("admin:orgs_unit_changelist"))
    names = [u.name for u in resp.context["cl"].result_list]
    # Each street followed by its community and grid.
    i = names.index("东街道")
    assert names[i + 1 : i + 3] == ["东一社区", "东一社区第1网格"]


def test_user_page_has_memberships_inline(root_client, org):
    resp = root_client.get(reverse("admin:orgs_user_change", args=[org.s1_handler.pk]))
    assert resp.status_code == 200
    assert "memberships-TOTAL_FORMS" in resp.content.decode()
    assert (
        "东街道·承办人" in root_client.get(reverse("admin:orgs_user_changelist")).content.decode()
    )


def test_calendar_override_and_policy_are_editable(root_client, org):
    resp = root_client.post(
        reverse("admin:deadlines_calendaroverride_add"),
        {"date": "2027-02-06", "is_workday": "on", "name": "春节调休"},
    )
    assert resp.status_code == 302 and CalendarOverride.objects.get().is_workday
    add = reverse("admin:deadlines_timelimitpolicy_add")
    body = {
        "step": "resolve",
        "category": "",
        "urgency": "",
        "amount": "3",
        "measure": "working_days",
    }
    assert root_client.post(add, body).status_code == 302
    resp = root_client.post(add, body)  # the same again: refused on every database
    assert resp.status_code == 200 and TimeLimitPolicy.objects.count() == 1
    assert root_client.post(add, body | {"amount": "0", "step": "claim"}).status_code == 200
    assert TimeLimitPolicy.objects.count() == 1


def test_unit_tree_rules(root_client, org):
    add = reverse("admin:orgs_unit_add")
    body = {"name": "新网格", "code": "newgrid", "kind": "grid", "active": "on"}
    resp = root_client.post(add, body | {"parent": org.street1.pk})  # a grid under a street
    assert resp.status_code == 200 and "的上级应为" in resp.content.decode()
    assert root_client.post(add, body | {"parent": org.community1.pk}).status_code == 302
    change = reverse("admin:orgs_unit_change", args=[org.street1.pk])
    body = {"name": "东街道", "code": "s1", "kind": "street", "active": "on"}
    resp = root_client.post(change, body | {"parent": org.community1.pk})  # under its own child
    assert resp.status_code == 200
    org.street1.refresh_from_db()
    assert org.street1.parent == org.district
