"""The current user's in-app notifications through the API."""

from __future__ import annotations

from minhu.appeals import actions
from minhu.appeals.tests.factories import client_for, error_code
from minhu.notifications.models import Notification, NotificationChannel

API = "/api/v1/notifications/"


def _dispatch_urgent(org):
    a = actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="燃气泄漏",
        detail="楼道里有很重的燃气味",
        appellant_kind="anonymous",
        urgency="urgent",
    )
    org.s1_handler.phone = "13800000001"
    org.s1_handler.save(update_fields=["phone"])
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    return a


def test_list_only_my_in_app_notifications(org):
    a = _dispatch_urgent(org)
    assert Notification.objects.filter(
        recipient=org.s1_handler, channel=NotificationChannel.SMS
    ).exists()
    c = client_for(org.s1_handler)
    body = c.get(API).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["kind"] == "dispatched" and row["is_read"] is False
    assert row["appeal"] == {"id": a.pk, "code": a.code, "subject": "燃气泄漏"}
    assert client_for(org.s2_handler).get(API).json()["count"] == 0
    assert client_for(org.d1_handler).get(API).json()["count"] == 1
    assert c.get(f"{API}unread-count/").json() == {"unread": 1}


def test_read_one_unread_filter_and_read_all(org):
    _dispatch_urgent(org)
    _dispatch_urgent(org)
    c = client_for(org.s1_handler)
    rows = c.get(API, {"unread": "true"}).json()["results"]
    assert len(rows) == 2
    r = c.post(f"{API}{rows[0]['id']}/read/")
    assert r.status_code == 200 and r.json()["is_read"] is True and r.json()["read_at"]
    first_read_at = r.json()["read_at"]
    assert c.post(f"{API}{rows[0]['id']}/read/").json()["read_at"] == first_read_at  # idempotent
    assert [x["id"] for x in c.get(API, {"unread": "true"}).json()["results"]] == [rows[1]["id"]]
    assert [x["id"] for x in c.get(API, {"unread": "false"}).json()["results"]] == [rows[0]["id"]]
    assert c.get(API, {"kind": "dispatched"}).json()["count"] == 2
    assert c.get(API, {"kind": "overdue"}).json()["count"] == 0
    r = c.post(f"{API}read-all/")
    assert r.status_code == 200 and r.json() == {"marked": 1}
    assert c.get(f"{API}unread-count/").json() == {"unread": 0}
    assert c.post(f"{API}read-all/").json() == {"marked": 0}
    # The department's notifications stay unread.
    assert client_for(org.d1_handler).get(f"{API}unread-count/").json() == {"unread": 2}


def test_someone_elses_notification_is_404(org):
    _dispatch_urgent(org)
    theirs = Notification.objects.filter(
        recipient=org.d1_handler, channel=NotificationChannel.IN_APP
    ).first()
    sms = Notification.objects.filter(
        recipient=org.s1_handler, channel=NotificationChannel.SMS
    ).first()
    c = client_for(org.s1_handler)
    for n in (theirs, sms):
        r = c.post(f"{API}{n.pk}/read/")
        assert r.status_code == 404 and error_code(r) == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert c.post(f"{API}abc/read/").status_code == 404


def test_notifications_need_login(org):
    r = client_for(None).get(API)
    assert r.status_code == 401 and error_code(r) == "not_authenticated"
