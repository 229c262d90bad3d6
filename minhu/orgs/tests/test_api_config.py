"""Categories, time limits, the calendar and collection points through the API."""

from __future__ import annotations

import datetime as dt

from minhu.appeals import actions
from minhu.appeals.tests.factories import client_for, error_code
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy

CATS = "/api/v1/categories/"
LIMITS = "/api/v1/time-limits/"
OVERRIDES = "/api/v1/calendar-overrides/"
POINTS = "/api/v1/collection-points/"


def test_categories_two_levels(org):
    staff = client_for(org.s1_handler)
    rows = staff.get(CATS).json()["results"]
    assert {(r["name"], r["level"]) for r in rows} == {("城乡建设", 1), ("路灯照明", 2)}
    assert [r["name"] for r in staff.get(CATS, {"top": "true"}).json()["results"]] == ["城乡建设"]
    kids = staff.get(CATS, {"parent": org.top_category.pk}).json()["results"]
    assert [r["full_name"] for r in kids] == ["城乡建设 / 路灯照明"]
    assert [r["name"] for r in staff.get(CATS, {"q": "不亮"}).json()["results"]] == ["路灯照明"]
    tree = staff.get(f"{CATS}tree/").json()
    assert tree[0]["name"] == "城乡建设" and tree[0]["children"][0]["name"] == "路灯照明"

    assert staff.post(CATS, {"name": "环境", "code": "env"}).status_code == 403
    admin = client_for(org.admin)
    r = admin.post(CATS, {"name": "生态环境", "code": "env", "sort": 2}, format="json")
    assert r.status_code == 201, r.content
    env = r.json()["id"]
    r = admin.post(
        CATS,
        {"name": "噪音", "code": "noise", "parent": env, "default_lead_kind": "street"},
        format="json",
    )
    assert r.status_code == 201, r.content
    noise = r.json()["id"]
    # A third level is refused; so is a duplicate name under the same parent.
    r = admin.post(CATS, {"name": "夜间噪音", "code": "night", "parent": noise}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["error"]["details"]
    r = admin.post(CATS, {"name": "噪音", "code": "noise2", "parent": env}, format="json")
    assert r.status_code == 400 and "name" in r.json()["error"]["details"]
    # A first-level category with children cannot become a child.
    r = admin.patch(f"{CATS}{env}/", {"parent": org.top_category.pk}, format="json")
    assert r.status_code == 400
    r = admin.patch(f"{CATS}{noise}/", {"default_lead_kind": "center"}, format="json")
    assert r.status_code == 400 and "default_lead_kind" in r.json()["error"]["details"]
    # Deactivate instead of deleting what appeals use.
    actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="噪音",
        detail="夜里施工噪音很大",
        appellant_kind="anonymous",
        category=Category.objects.get(pk=noise),
    )
    r = admin.delete(f"{CATS}{noise}/")
    assert r.status_code == 409 and error_code(r) == "protected"
    r = admin.patch(f"{CATS}{noise}/", {"active": False}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False
    assert [
        c["name"] for c in staff.get(f"{CATS}tree/", {"active": "true"}).json()[-1]["children"]
    ] == []


def test_time_limit_policies(org):
    admin = client_for(org.admin)
    r = admin.post(
        LIMITS, {"step": "resolve", "amount": "5", "measure": "working_days"}, format="json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["category"] is None and r.json()["urgency"] == ""
    # The default row exists once (NULL category counts as equal).
    r = admin.post(
        LIMITS, {"step": "resolve", "amount": "4", "measure": "working_days"}, format="json"
    )
    assert r.status_code == 400
    r = admin.post(
        LIMITS,
        {
            "step": "resolve",
            "category": org.category.pk,
            "urgency": "urgent",
            "amount": "12",
            "measure": "natural_hours",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    r = admin.post(LIMITS, {"step": "claim", "amount": "0", "measure": "working_hours"})
    assert r.status_code == 400 and "amount" in r.json()["error"]["details"]
    r = admin.post(LIMITS, {"step": "lunch", "amount": "1", "measure": "working_hours"})
    assert r.status_code == 400 and "step" in r.json()["error"]["details"]
    staff = client_for(org.s1_handler)
    assert len(staff.get(LIMITS).json()["results"]) == 2
    assert len(staff.get(LIMITS, {"category": org.category.pk}).json()["results"]) == 1
    assert len(staff.get(LIMITS, {"default": "true"}).json()["results"]) == 1
    assert (
        staff.post(LIMITS, {"step": "claim", "amount": "1", "measure": "working_hours"}).status_code
        == 403
    )
    row = TimeLimitPolicy.objects.get(category=None)
    r = admin.patch(f"{LIMITS}{row.pk}/", {"amount": "6"}, format="json")
    assert r.status_code == 200 and r.json()["amount"] == "6.00"


def test_calendar_overrides_and_days(org):
    admin = client_for(org.admin)
    r = admin.post(
        OVERRIDES, {"date": "2024-10-08", "is_workday": False, "name": "区里调休"}, format="json"
    )
    assert r.status_code == 201, r.content
    r = admin.post(OVERRIDES, {"date": "2024-10-08", "is_workday": True}, format="json")
    assert r.status_code == 400 and "date" in r.json()["error"]["details"]
    staff = client_for(org.s1_handler)
    assert len(staff.get(OVERRIDES, {"year": 2024}).json()["results"]) == 1
    assert staff.get(OVERRIDES, {"year": 2025}).json()["results"] == []
    override = CalendarOverride.objects.get(date=dt.date(2024, 10, 8))
    assert staff.delete(f"{OVERRIDES}{override.pk}/").status_code == 403

    days = staff.get("/api/v1/calendar/", {"start": "2024-09-30", "end": "2024-10-12"}).json()
    by_date = {d["date"]: d for d in days}
    assert len(days) == 13
    assert by_date["2024-09-30"]["is_workday"] is True  # Monday
    assert by_date["2024-10-01"]["is_workday"] is False  # National Day
    assert by_date["2024-10-01"]["source"] == "official"
    assert by_date["2024-10-12"]["is_workday"] is True  # make-up Saturday (调休)
    assert by_date["2024-10-08"] == {
        "date": "2024-10-08",
        "weekday": 2,
        "is_workday": False,
        "source": "override",
        "name": "区里调休",
    }
    r = staff.get("/api/v1/calendar/", {"start": "2024-10-12", "end": "2024-10-01"})
    assert r.status_code == 400
    r = staff.get("/api/v1/calendar/", {"start": "2024-01-01", "end": "2025-06-01"})
    assert r.status_code == 400
    assert staff.get("/api/v1/calendar/").status_code == 400
    assert admin.delete(f"{OVERRIDES}{override.pk}/").status_code == 204


def test_collection_points(org):
    admin = client_for(org.admin)
    body = {
        "name": "东街道便民服务中心",
        "code": "s1-hall",
        "unit": org.street1.pk,
        "is_service_hall": True,
    }
    assert client_for(org.dispatcher).post(POINTS, body).status_code == 403
    r = admin.post(POINTS, body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "h5" and r.json()["unit_detail"]["name"] == "东街道"
    assert admin.post(POINTS, body, format="json").status_code == 400  # duplicate code
    staff = client_for(org.grid1_worker)
    assert [p["code"] for p in staff.get(POINTS, {"unit": org.street1.pk}).json()["results"]] == [
        "s1-hall"
    ]
    assert staff.get(POINTS, {"unit": org.street2.pk}).json()["results"] == []
    assert [p["code"] for p in staff.get(POINTS, {"q": "便民"}).json()["results"]] == ["s1-hall"]
