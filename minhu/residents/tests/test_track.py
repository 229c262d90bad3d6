"""Tracking by code (+ phone), the public timeline, and the resident's rating."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from minhu.appeals import actions
from minhu.appeals.models import AppellantKind, FollowUp, FollowUpSource, Satisfaction, Status
from minhu.residents.views import SESSION_KEY

from .conftest import PHONE, handle_and_reply, register

pytestmark = pytest.mark.django_db
TRACK = "/h5/track/"


def lookup(client: Client, code: str, phone: str = "", **extra):
    return client.post(TRACK, {"code": code, "phone": phone}, **extra)


def test_lookup_with_right_phone_opens_the_timeline(client, org):
    appeal = register()
    r = lookup(client, appeal.code.lower(), "138 1234 5678")  # case and spaces forgiven
    assert r.status_code == 302 and r["Location"] == f"/h5/track/{appeal.code}/"
    assert PHONE not in r["Location"]
    assert client.session[SESSION_KEY] == {appeal.code: PHONE}
    html = client.get(r["Location"]).content.decode()
    assert "正在分派" in html and "已受理" in html and appeal.code in html


def test_wrong_phone_and_wrong_code_give_one_neutral_message(client, org):
    appeal = register()
    wrong_phone = lookup(client, appeal.code, "13900000000")
    no_phone = lookup(client, appeal.code, "")
    wrong_code = lookup(client, "ABCDEFGHJK", "13900000000")
    bodies = []
    for r in (wrong_phone, no_phone, wrong_code):
        assert r.status_code == 400
        html = r.content.decode()
        assert "查询码或手机号不正确" in html
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        bodies.append(html.replace(appeal.code, "").replace("ABCDEFGHJK", ""))
    assert bodies[0] == bodies[2]  # nothing tells a wrong phone from a wrong code
    assert SESSION_KEY not in client.session
    assert client.get(f"/h5/track/{appeal.code}/")["Location"] == f"/h5/track/?code={appeal.code}"


def test_malformed_code_is_explained(client, org):
    r = lookup(client, "12", PHONE)
    assert r.status_code == 400 and "查询码是10位字母和数字" in r.content.decode()


def test_anonymous_appeal_needs_no_phone(client, org):
    appeal = register(appellant_kind=AppellantKind.ANONYMOUS, appellant_phone="")
    r = lookup(client, appeal.code)
    assert r.status_code == 302
    assert client.get(r["Location"]).status_code == 200


def test_failed_lookups_are_limited(client, org, settings):
    settings.MINHU_H5_LIMITS = {"lookup": (3, 600)}
    appeal = register()
    for _ in range(3):
        assert lookup(client, appeal.code, "13900000000").status_code == 400
    r = lookup(client, appeal.code, PHONE)  # even the right phone now waits
    assert r.status_code == 429 and "查询次数过多" in r.content.decode()


def test_session_is_rechecked_when_the_phone_changes(client, org):
    appeal = register()
    lookup(client, appeal.code, PHONE)
    actions.edit_details(appeal, actor=org.dispatcher, appellant_phone="13900000000")
    r = client.get(f"/h5/track/{appeal.code}/")
    assert r.status_code == 302 and appeal.code not in client.session.get(SESSION_KEY, {})


def test_public_timeline_shows_units_not_staff_or_internal_notes(
    client, org, django_assert_max_num_queries
):
    appeal = register()
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept1])
    actions.claim(appeal, actor=org.s1_handler)
    actions.request_extension(appeal, actor=org.s1_handler, days=2, reason="内部：等预算批复")
    actions.blow_whistle(
        appeal, actor=org.s1_leader, departments=[org.dept2], reason="需要住建局协同处理"
    )
    actions.contact_appellant(appeal, actor=org.s1_handler, note="内部备注：居民态度激动")
    lookup(client, appeal.code, PHONE)
    with django_assert_max_num_queries(12):
        html = client.get(f"/h5/track/{appeal.code}/").content.decode()
    assert "多部门协同办理中" in html
    assert "交由东街道办理，区城管局协助" in html
    assert "东街道开始办理" in html and "东街道召集区住建局共同办理" in html
    assert "东街道与您联系沟通" in html
    for secret in ("东街道承办人", "调度员甲", "东街道主任", "内部备注", "等预算批复", "申请延期"):
        assert secret not in html


def test_reply_then_rate_satisfied(client, org):
    appeal = handle_and_reply(register(), org)
    lookup(client, appeal.code, PHONE)
    html = client.get(f"/h5/track/{appeal.code}/").content.decode()
    assert "已答复" in html and html.count("您好，路灯已经修好，感谢您的反映。") == 1
    assert "答复内容见上方" in html
    assert "请评价办理结果" in html and 'value="unsatisfied"' in html
    r = client.post(
        f"/h5/track/{appeal.code}/rate/", {"satisfaction": "satisfied", "comment": "很快"}
    )
    assert r.status_code == 302
    fu = FollowUp.objects.get()
    assert (fu.source, fu.satisfaction, fu.comment) == (
        FollowUpSource.RESIDENT,
        "satisfied",
        "很快",
    )
    html = client.get(f"/h5/track/{appeal.code}/").content.decode()
    assert "感谢您的评价！" in html and "您的评价" in html and "请评价办理结果" not in html
    # A second rating of the same round is refused politely.
    r = client.post(f"/h5/track/{appeal.code}/rate/", {"satisfaction": "basic"}, follow=True)
    assert "您已评价过本次办理" in r.content.decode() and FollowUp.objects.count() == 1


def test_unsatisfied_rating_sends_it_back(client, org):
    appeal = handle_and_reply(register(), org)
    lookup(client, appeal.code, PHONE)
    r = client.post(
        f"/h5/track/{appeal.code}/rate/",
        {"satisfaction": Satisfaction.UNSATISFIED, "comment": "晚上还是很暗"},
        follow=True,
    )
    html = r.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1
    assert "已退回承办单位重新办理" in html
    assert "根据评价，已退回东街道重新办理" in html and "晚上还是很暗" in html
    assert "办理中" in html and "请评价办理结果" not in html
    # The reply card is gone while it is handled again; the reply stays in the timeline.
    assert html.count("您好，路灯已经修好，感谢您的反映。") == 1 and "答复内容见上方" not in html


def test_rating_needs_a_choice_and_a_reply(client, org):
    appeal = register()
    lookup(client, appeal.code, PHONE)
    r = client.post(f"/h5/track/{appeal.code}/rate/", {"satisfaction": "satisfied"}, follow=True)
    assert "诉求答复后才能评价" in r.content.decode() and not FollowUp.objects.exists()
    handle_and_reply(appeal, org)
    r = client.post(f"/h5/track/{appeal.code}/rate/", {"satisfaction": ""})
    assert r.status_code == 400 and "请选择满意度" in r.content.decode()


def test_rating_without_the_session_is_refused(client, org):
    appeal = handle_and_reply(register(), org)
    r = client.post(f"/h5/track/{appeal.code}/rate/", {"satisfaction": "satisfied"})
    assert r.status_code == 302 and not FollowUp.objects.exists()


def test_merged_appeal_follows_its_parent(client, org):
    parent = register()
    child = register(appellant_phone="13700001111", detail="东门路灯不亮，晚上看不清路")
    actions.merge(child, actor=org.dispatcher, parent=parent)
    handle_and_reply(parent, org)
    lookup(client, child.code, "13700001111")
    html = client.get(f"/h5/track/{child.code}/").content.decode()
    assert "合并办理" in html and "东街道开始办理" in html and "已答复" in html
    assert "请评价办理结果" in html
    client.post(f"/h5/track/{child.code}/rate/", {"satisfaction": "basic"})
    fu = FollowUp.objects.get()
    assert fu.appeal == parent and fu.rated_appeal == child


def test_long_term_plan_is_shown(client, org):
    appeal = register()
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)
    actions.resolve(
        appeal,
        actor=org.s1_handler,
        outcome_kind="long_term",
        outcome="纳入明年改造计划",
        roadmap="先勘察，再招标，后施工",
        timetable="明年6月底前完工",
        explanation="需要整体改造线路，短期无法完成",
    )
    lookup(client, appeal.code, PHONE)
    html = client.get(f"/h5/track/{appeal.code}/").content.decode()
    assert "办理计划" in html and "明年6月底前完工" in html and "（长期推进）" in html


def test_forget_clears_this_browsers_lookups(client, org):
    appeal = register()
    lookup(client, appeal.code, PHONE)
    assert appeal.code in client.get(TRACK).content.decode()  # listed as opened here
    r = client.post("/h5/track/forget/", follow=True)
    assert "已清除本机的查询记录" in r.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(f"/h5/track/{appeal.code}/").status_code == 302
