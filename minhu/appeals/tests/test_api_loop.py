"""One appeal travels every path of the closed loop through the HTTP API alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from minhu.appeals.models import Appeal, AppealEvent
from minhu.appeals.tests.factories import client_for, error_code, png
from minhu.deadlines.calendar import add_working_days, working_days_between

API = "/api/v1/appeals/"
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()  # throttle counters


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _due(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_every_path_of_the_loop(org):
    desk = client_for(org.dispatcher)
    s1h, s1l = client_for(org.s1_handler), client_for(org.s1_leader)
    d1h, d2h, d3h = (client_for(u) for u in (org.d1_handler, org.d2_handler, org.d3_handler))
    callback = client_for(org.callback)
    public = client_for(None)

    # 受理 through the hotline: a receipt, the appeal at its url.
    receipt = _ok(
        desk.post(
            API,
            {
                "channel": "hotline",
                "subject": "路灯不亮",
                "detail": "小区门口的路灯坏了一周，晚上很黑",
                "appellant_name": "张三",
                "appellant_phone": PHONE,
                "grid": org.grid1.pk,
                "address": "东一社区3号楼",
            },
            format="json",
        ),
        201,
    )
    aid, code = receipt["id"], receipt["code"]
    url = f"{API}{aid}/"
    assert receipt["url"] == f"http://testserver{url}" and receipt["status"] == "new"
    a = _ok(desk.get(url))
    assert a["status"] == "new" and a["street"]["id"] == org.street1.pk

    # 分类.
    a = _ok(desk.post(url + "classify/", {"category": org.category.pk}, format="json"))
    assert a["category"]["id"] == org.category.pk

    # 派单 to the wrong lead (education bureau) with the city management bureau assisting.
    a = _ok(
        desk.post(
            url + "dispatch/",
            {"lead_unit": org.dept3.pk, "assist_units": [org.dept1.pk]},
            format="json",
        )
    )
    assert a["status"] == "dispatched" and a["lead_unit"]["id"] == org.dept3.pk
    assert {(x["unit"]["id"], x["role"]) for x in a["assignments"]} == {
        (org.dept3.pk, "lead"),
        (org.dept1.pk, "assist"),
    }

    # 签收 by both.
    a = _ok(d3h.post(url + "claim/", {}, format="json"))
    assert a["status"] == "in_progress"
    a = _ok(d1h.post(url + "claim/", {}, format="json"))
    assert all(x["status"] == "claimed" for x in a["assignments"] if x["active"])

    # 退单 with a reason, then 重新派单 to the street with the same assisting department.
    a = _ok(d3h.post(url + "return/", {"reason": "路灯不属于教育局职责"}, format="json"))
    assert a["status"] == "returned" and a["return_count"] == 1 and a["lead_unit"] is None
    returned = [x for x in a["assignments"] if x["status"] == "returned"]
    assert returned[0]["note"] == "路灯不属于教育局职责"
    a = _ok(
        desk.post(
            url + "dispatch/",
            {"lead_unit": org.street1.pk, "assist_units": [org.dept1.pk], "note": "改派东街道"},
            format="json",
        )
    )
    assert a["status"] == "dispatched" and a["lead_unit"]["id"] == org.street1.pk
    assert {x["round"] for x in a["assignments"] if x["active"]} == {2}
    _ok(s1h.post(url + "claim/", {}, format="json"))
    a = _ok(d1h.post(url + "claim/", {}, format="json"))
    assert a["status"] == "in_progress"

    # 联系诉求人.
    a = _ok(s1h.post(url + "contact/", {"note": "已电话联系张三，约定明天上门"}, format="json"))
    assert a["contacted_at"]

    # 延期: requested and approved (the resolve due time moves by 2 working days) ...
    before = _due(a["resolve_due_at"])
    a = _ok(s1h.post(url + "extension/", {"days": 2, "reason": "需要采购灯具"}, format="json"))
    ext = a["extensions"][-1]
    assert ext["status"] == "pending" and ext["days"] == 2
    a = _ok(desk.post(url + f"extensions/{ext['id']}/decide/", {"approve": True}, format="json"))
    after = _due(a["resolve_due_at"])
    assert after > before
    assert working_days_between(before, after) == 2
    assert after == add_working_days(before, 2)
    assert a["extension_days"] == 2 and a["extensions"][-1]["status"] == "approved"

    # ... and another one denied (the due time stays).
    a = _ok(s1h.post(url + "extension/", {"days": 5, "reason": "还想再拖几天"}, format="json"))
    ext2 = a["extensions"][-1]
    a = _ok(
        desk.post(
            url + f"extensions/{ext2['id']}/decide/",
            {"approve": False, "note": "理由不充分"},
            format="json",
        )
    )
    assert a["extensions"][-1]["status"] == "denied"
    assert _due(a["resolve_due_at"]) == after and a["extension_days"] == 2

    # 吹哨: the street summons two departments; both 报到 and 反馈.
    a = _ok(
        s1l.post(
            url + "whistle/",
            {"departments": [org.dept1.pk, org.dept2.pk], "reason": "线路老化需要住建和城管协同"},
            format="json",
        )
    )
    assert a["status"] == "escalated"
    assert {x["department"]["id"] for x in a["summonses"]} == {org.dept1.pk, org.dept2.pk}
    _ok(d1h.post(url + "report/", {"share": "负责更换灯具"}, format="json"))
    a = _ok(d2h.post(url + "report/", {"share": "负责线路改造"}, format="json"))
    assert {x["status"] for x in a["summonses"]} == {"reported"}
    _ok(d1h.post(url + "answer/", {"answer": "灯具已更换"}, format="json"))
    a = _ok(d2h.post(url + "answer/", {"answer": "线路已改造完毕"}, format="json"))
    assert {x["status"] for x in a["summonses"]} == {"answered"}
    # A third department summoned by mistake is withdrawn before it reports.
    a = _ok(
        s1l.post(
            url + "whistle/", {"departments": [org.dept3.pk], "reason": "需要教育局"}, format="json"
        )
    )
    third = next(x for x in a["summonses"] if x["department"]["id"] == org.dept3.pk)
    r = s1h.post(url + f"summonses/{third['id']}/cancel/", {"reason": ""}, format="json")
    assert r.status_code == 400 and error_code(r) == "required"
    r = d2h.post(url + f"summonses/{third['id']}/cancel/", {"reason": "不需要"}, format="json")
    assert r.status_code == 403 and error_code(r) == "permission_denied"
    r = s1h.post(url + "summonses/999999/cancel/", {"reason": "召集错了"}, format="json")
    assert r.status_code == 404
    a = _ok(
        s1h.post(
            url + f"summonses/{third['id']}/cancel/", {"reason": "召集错了部门"}, format="json"
        )
    )
    third = next(x for x in a["summonses"] if x["id"] == third["id"])
    assert third["status"] == "cancelled" and third["cancel_reason"] == "召集错了部门"
    assert third["cancelled_at"]
    r = s1h.post(url + f"summonses/{third['id']}/cancel/", {"reason": "再撤销"}, format="json")
    assert r.status_code == 409 and error_code(r) == "already_cancelled"

    # 办理进展 with a photo, and more photos on their own.
    a = _ok(
        s1h.post(
            url + "progress/",
            {"note": "施工队已进场", "attachments": [png("p1.png")]},
            format="multipart",
        )
    )
    assert len(a["attachments"]) == 1
    a = _ok(s1h.post(url + "attachments/", {"files": [png("p2.png"), png("p3.png")]}), 201)
    assert len(a["attachments"]) == 3
    photo_url = a["attachments"][0]["url"]
    assert photo_url.startswith(f"http://testserver/api/v1/appeals/{aid}/attachments/")
    photo = s1h.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    # A unit outside the appeal cannot fetch it, and nothing is served under /media/.
    assert client_for(org.s2_handler).get(photo_url).status_code == 404
    assert (
        s1h.get("/media/" + Appeal.objects.get(pk=aid).attachments.first().file.name).status_code
        == 404
    )

    # 办结 long-term without a roadmap: 400, nothing changes.
    r = s1h.post(
        url + "resolve/",
        {"outcome_kind": "long_term", "outcome": "需纳入明年改造计划", "timetable": "明年三月"},
        format="json",
    )
    assert r.status_code == 400 and error_code(r) == "required"
    assert r.json()["error"]["details"]["field"] == "roadmap"
    assert Appeal.objects.get(pk=aid).status == "escalated"
    a = _ok(
        s1h.post(
            url + "resolve/",
            {
                "outcome_kind": "long_term",
                "outcome": "已临时加装照明，线路整体改造纳入计划",
                "roadmap": "先临时照明，再整体改造",
                "timetable": "明年三月前完成",
                "explanation": "整体改造需要立项，请您理解",
                "responsible_office": "城建科",
                "responsible_person": "李四",
            },
            format="json",
        )
    )
    assert a["status"] == "resolved" and a["outcome_kind"] == "long_term"

    # 答复.
    a = _ok(s1h.post(url + "reply/", {"text": "您好，已临时加装照明，整体改造明年三月前完成。"}))
    assert a["status"] == "replied"

    # The resident tracks it and rates 不满意: reopened.
    pub = f"/api/v1/public/appeals/{code}/"
    p = _ok(public.get(pub, HTTP_X_APPELLANT_PHONE=PHONE))
    assert p["status"] == "replied" and p["can_rate"] is True
    p = _ok(
        public.post(
            pub + "rate/",
            {"phone": PHONE, "satisfaction": "unsatisfied", "comment": "还是很暗"},
            format="json",
        )
    )
    assert p["status"] == "in_progress" and p["can_rate"] is False
    a = _ok(desk.get(url))
    assert a["status"] == "in_progress" and a["reopen_count"] == 1

    # Resolved again, replied, followed up, closed.
    _ok(s1h.post(url + "resolve/", {"outcome_kind": "on_spot", "outcome": "又加装了两盏路灯"}))
    _ok(s1h.post(url + "reply/", {"text": "您好，已又加装两盏路灯，请您查看效果。"}))
    a = _ok(
        callback.post(
            url + "follow-up/",
            {"contacted": True, "solved": True, "satisfaction": "satisfied", "comment": "亮了"},
            format="json",
        )
    )
    assert a["follow_ups"][-1]["satisfaction"] == "satisfied"
    a = _ok(desk.post(url + "close/", {"note": "群众满意"}, format="json"))
    assert a["status"] == "closed" and a["closed_at"] and a["due_state"] == ""

    # The timeline shows every event, in order, with who/what/where.
    timeline = _ok(desk.get(url + "timeline/"))
    kinds = [e["kind"] for e in timeline]
    assert kinds == [
        "register",
        "classify",
        "dispatch",
        "claim",
        "claim",
        "return",
        "dispatch",
        "claim",
        "claim",
        "contact",
        "extension_request",
        "extension_approve",
        "extension_request",
        "extension_deny",
        "whistle",
        "report",
        "report",
        "answer",
        "answer",
        "whistle",
        "cancel_summons",
        "progress",
        "attach",
        "resolve",
        "reply",
        "rate",
        "reopen",
        "resolve",
        "reply",
        "follow_up",
        "close",
    ]
    assert len(timeline) == AppealEvent.objects.filter(appeal_id=aid).count()
    by_kind = {e["kind"]: e for e in timeline}
    assert by_kind["return"]["note"] == "路灯不属于教育局职责"
    assert by_kind["return"]["unit"]["id"] == org.dept3.pk
    assert (by_kind["return"]["from_status"], by_kind["return"]["to_status"]) == (
        "in_progress",
        "returned",
    )
    assert by_kind["whistle"]["actor_name"] == "东街道主任"
    assert by_kind["whistle"]["label"] == "吹哨"
    assert by_kind["rate"]["actor_name"] == "群众"
    assert by_kind["close"]["to_status"] == "closed"
    assert by_kind["extension_approve"]["data"]["days"] == 2
    assert all(e["created_at"] for e in timeline)
    stamps = [e["created_at"] for e in timeline]
    assert stamps == sorted(stamps)

    # The resident's view after closing: public events only, no staff names.
    p = _ok(public.get(pub, HTTP_X_APPELLANT_PHONE=PHONE))
    public_kinds = [e["kind"] for e in p["timeline"]]
    assert public_kinds[0] == "register" and public_kinds[-1] == "close"
    assert "extension_request" not in public_kinds and "report" not in public_kinds
    assert "return" not in public_kinds and "progress" not in public_kinds
    assert all("actor_name" not in e for e in p["timeline"])
    replies = [e["note"] for e in p["timeline"] if e["kind"] == "reply"]
    assert replies == [
        "您好，已临时加装照明，整体改造明年三月前完成。",
        "您好，已又加装两盏路灯，请您查看效果。",
    ]
    whistle_event = next(e for e in p["timeline"] if e["kind"] == "whistle")
    assert whistle_event["note"] == ""  # the internal reason stays internal
