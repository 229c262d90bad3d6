"""Per-category fields: audited verbs, validation at intake (verb, API, staff form), display,
the `attribute` filter and the ledger column."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal
from minhu.categories import actions
from minhu.categories.fields import attributes_text, clean_attributes, fields_for
from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.core.models import ConfigChange

from .factories import field

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp_fields(org):
    """路灯照明 asks for a pole number (required), a lamp type and since when; its parent for
    the road side (multi)."""
    pole = field(org, "pole", "灯杆编号", required=True, order=1, help_text="灯杆上喷涂的编号")
    kind = field(
        org, "lamp", "灯具类型", datatype="single", options="led=LED灯\nsodium=钠灯", order=2
    )
    since = field(org, "since", "发现日期", datatype="date")
    count = field(org, "count", "不亮盏数", datatype="number")
    side = field(
        org,
        "side",
        "位置",
        category=org.top_category,
        datatype="multi",
        options="east=路东\nwest=路西",
    )
    return {"pole": pole, "lamp": kind, "since": since, "count": count, "side": side}


def _register(org, **extra):
    base = {
        "actor": org.dispatcher,
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区东门路灯坏了一周",
        "appellant_phone": "13800000000",
        "category": org.category,
    }
    return appeal_actions.register_appeal(**{**base, **extra})


def test_field_verbs_are_audited_and_admin_only(org, lamp_fields):
    pole = lamp_fields["pole"]
    [row] = ConfigChange.objects.filter(model="categories.categoryfield", object_id=pole.pk)
    assert row.action == "create" and row.changes["label"] == [None, "灯杆编号"]
    actions.update_category_field(pole, actor=org.admin, label="灯杆号", active=False)
    rows = list(
        ConfigChange.objects.filter(model="categories.categoryfield", object_id=pole.pk).order_by(
            "id"
        )
    )
    assert [r.action for r in rows] == ["create", "update", "deactivate"]
    assert rows[1].changes == {"label": ["灯杆编号", "灯杆号"]}
    with pytest.raises(PermissionDenied):
        actions.create_category_field(
            actor=org.dispatcher, category=org.category, code="x", label="X"
        )
    with pytest.raises(InvalidInput) as exc:
        actions.create_category_field(
            actor=org.admin, category=org.category, code="lamp", label="重复"
        )
    assert exc.value.code == "duplicate_code"
    with pytest.raises(InvalidInput) as exc:
        actions.create_category_field(
            actor=org.admin, category=org.category, code="c", label="C", datatype="single"
        )
    assert exc.value.code == "required"
    actions.delete_category_field(lamp_fields["since"], actor=org.admin)
    assert ConfigChange.objects.filter(
        model="categories.categoryfield", action="delete", object_id=lamp_fields["since"].pk
    ).exists()


def test_fields_order_parent_first_and_validation(org, lamp_fields):
    assert [f.code for f in fields_for(org.category)] == ["side", "since", "count", "pole", "lamp"]
    ok = clean_attributes(
        org.category,
        {"pole": " A-12 ", "lamp": "led", "side": "west,east", "count": "3", "since": "2026-12-01"},
    )
    assert ok == {"side": ["east", "west"], "since": "2026-12-01", "count": 3, "pole": "A-12"} | {
        "lamp": "led"
    }
    for raw, code in [
        ({}, "required"),
        ({"pole": "1", "lamp": "fluorescent"}, "invalid_choice"),
        ({"pole": "1", "count": "many"}, "invalid_number"),
        ({"pole": "1", "since": "12/01"}, "invalid_date"),
        ({"pole": "1", "nope": "x"}, "unknown_attribute"),
        ({"pole": "x" * 501}, "too_long"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            clean_attributes(org.category, raw)
        assert exc.value.code == code, raw


def test_register_stores_validated_attributes(org, lamp_fields):
    with pytest.raises(InvalidInput) as exc:
        _register(org)
    assert exc.value.code == "required" and exc.value.details["field"] == "attributes.pole"
    with pytest.raises(InvalidInput):
        _register(org, category=None, attributes={"pole": "1"})
    appeal = _register(org, attributes={"pole": "A-12", "lamp": "sodium", "side": ["east"]})
    appeal.refresh_from_db()
    assert appeal.attributes == {"side": ["east"], "pole": "A-12", "lamp": "sodium"}
    assert (
        attributes_text(org.category, appeal.attributes)
        == "位置：路东；灯杆编号：A-12；灯具类型：钠灯"
    )


def test_api_register_filter_and_detail(org, lamp_fields):
    client = APIClient()
    client.force_authenticate(org.dispatcher)
    body = {
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区东门路灯坏了一周",
        "appellant_phone": "13800000000",
        "category": org.category.pk,
    }
    r = client.post("/api/v1/appeals/", body, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "required"
    assert r.json()["error"]["details"]["field"] == "attributes.pole"
    r = client.post(
        "/api/v1/appeals/", {**body, "attributes": {"pole": "B-7", "side": ["west"]}}, format="json"
    )
    assert r.status_code == 201, r.content
    _register(org, attributes={"pole": "A-12", "side": ["east", "west"]})
    pk = r.json()["id"]
    assert client.get(f"/api/v1/appeals/{pk}/").json()["attributes"] == {
        "side": ["west"],
        "pole": "B-7",
    }
    found = client.get("/api/v1/appeals/", {"attribute": "pole:B-7"}).json()["results"]
    assert [a["id"] for a in found] == [pk]
    found = client.get("/api/v1/appeals/", {"attribute": "side:east"}).json()["results"]
    assert len(found) == 1 and found[0]["id"] != pk
    assert len(client.get("/api/v1/appeals/", {"attribute": "side:west"}).json()["results"]) == 2
    assert client.get("/api/v1/appeals/", {"attribute": "bogus"}).json()["results"] == []
    fields = client.get("/api/v1/category-fields/", {"category": org.category.pk}).json()
    assert [f["code"] for f in fields["results"]] == ["since", "count", "pole", "lamp"]
    assert fields["results"][3]["option_list"][0] == {"key": "led", "name": "LED灯"}
    r = client.post(
        "/api/v1/category-fields/",
        {"category": org.category.pk, "code": "x", "label": "X"},
        format="json",
    )
    assert r.status_code == 403
    admin = APIClient()
    admin.force_authenticate(org.admin)
    r = admin.post(
        "/api/v1/category-fields/",
        {"category": org.category.pk, "code": "x", "label": "X", "datatype": "number"},
        format="json",
    )
    assert r.status_code == 201, r.content


def test_staff_intake_form_asks_validates_and_page_shows(org, lamp_fields, client):
    client.force_login(org.dispatcher)
    frag = client.get(reverse("web:intake_attributes"), {"category": org.category.pk})
    html = frag.content.decode()
    assert 'name="attr_pole"' in html and 'name="attr_side"' in html and "钠灯" in html
    form = {
        "channel": "hotline",
        "appellant_kind": "person",
        "appellant_phone": "13800000000",
        "subject": "路灯不亮",
        "detail": "小区东门路灯坏了一周",
        "category": org.category.pk,
        "urgency": "normal",
        "attr_lamp": "led",
    }
    r = client.post(reverse("web:intake"), form)
    assert r.status_code == 400 and "请填写灯杆编号" in r.content.decode()
    assert 'value="led" selected' in r.content.decode()  # nothing typed is lost
    r = client.post(reverse("web:intake"), {**form, "attr_pole": "C-3", "attr_side": ["east"]})
    assert r.status_code == 302
    appeal = Appeal.objects.get(attributes__pole="C-3")
    assert appeal.attributes == {"side": ["east"], "pole": "C-3", "lamp": "led"}
    page = client.get(reverse("web:appeal", args=[appeal.pk])).content.decode()
    assert "灯杆编号" in page and "C-3" in page and "LED灯" in page


def test_ledger_has_the_attributes_column(org, lamp_fields):
    from minhu.evaluation import ledgers

    appeal = _register(org, attributes={"pole": "A-12", "lamp": "led"})
    out = io.BytesIO()
    ledgers.write_xlsx("台账", [appeal], out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    rows = list(ws.values)
    col = rows[1].index("附加信息")
    assert rows[2][col] == "灯杆编号：A-12；灯具类型：LED灯"
