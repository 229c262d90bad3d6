"""The channels' API: WeChat groups and messages, deputies and their suggestions, questionnaires
and their answers — scoped ("not found" outside), phones masked by role, the verbs behind the
writes."""

from __future__ import annotations

import pytest

from minhu.appeals.tests.factories import client_for
from minhu.deputies import actions as deputy_actions
from minhu.surveys import actions as survey_actions
from minhu.surveys.tests.test_surveys import survey  # noqa: F401 (fixture)
from minhu.wechat import actions
from minhu.wechat.models import GroupMessage

TEXT = "小区3栋门口的路灯坏了一个星期了，晚上老人出门看不清，麻烦处理一下。"


@pytest.fixture
def group(org):
    return actions.create_group(
        actor=org.c1_handler, unit=org.grid1, name="东一网格邻里群", keeper=org.grid1_worker
    )


def test_wechat_api(org, group):
    api = client_for(org.grid1_worker)
    r = api.get("/api/v1/wechat-groups/?mine=true")
    assert r.status_code == 200 and [g["id"] for g in r.json()["results"]] == [group.pk]
    r = api.post(
        f"/api/v1/wechat-groups/{group.pk}/messages/",
        {"text": f"张阿姨 09:12\n{TEXT}", "sender_phone": "13912345678"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["sender"] == "张阿姨" and body["sender_phone"] == "139****5678"
    assert body["appeal_code"] in body["answer_text"]
    again = api.post(f"/api/v1/wechat-groups/{group.pk}/messages/", {"text": TEXT}, format="json")
    assert again.json()["duplicate_of_id"] == body["id"]
    bad = api.post(f"/api/v1/wechat-groups/{group.pk}/messages/", {"text": "短"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "too_short"
    r = api.post(
        f"/api/v1/wechat-groups/{group.pk}/records/",
        {"kind": "policy_post", "title": "转发医保缴费通知"},
        format="json",
    )
    assert r.status_code == 201
    assert api.get("/api/v1/wechat-messages/?repeat=true").json()["count"] == 1
    r = api.post(f"/api/v1/wechat-messages/{body['id']}/answered/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_replied"
    [row] = api.get("/api/v1/wechat-groups/stats/?level=grid").json()
    assert (row["messages"], row["repeats"], row["policy_posts"]) == (2, 1, 1)
    assert api.get("/api/v1/wechat-groups/stats/?level=x").status_code == 400
    # The dispatch centre sees the phone; another street sees nothing.
    full = client_for(org.dispatcher).get(f"/api/v1/wechat-messages/{body['id']}/").json()
    assert full["sender_phone"] == "13912345678"
    other = client_for(org.s2_handler)
    assert other.get(f"/api/v1/wechat-groups/{group.pk}/").status_code == 404
    assert other.get(f"/api/v1/wechat-messages/{body['id']}/").status_code == 404
    r = other.post(f"/api/v1/wechat-groups/{group.pk}/messages/", {"text": TEXT}, format="json")
    assert r.status_code == 404
    assert GroupMessage.objects.count() == 2


def test_deputies_api(org):
    d = deputy_actions.create_deputy(
        actor=org.dispatcher,
        name="王建国",
        level="district",
        constituency="东街道第3选区",
        phone="13812345678",
    )
    r = client_for(org.district_leader).get("/api/v1/deputies/")
    assert r.json()["results"][0]["phone"] == "138****5678"
    assert client_for(org.dispatcher).get(f"/api/v1/deputies/{d.pk}/").json()["phone"] == (
        "13812345678"
    )
    api = client_for(org.dispatcher)
    r = api.post(
        "/api/v1/deputy-suggestions/",
        {
            "deputy": d.pk,
            "title": "建议增设老年食堂",
            "content": "东一社区老年人多，建议增设老年食堂",
            "grid": org.grid1.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    s = r.json()
    assert s["deputy"] == "王建国" and s["status"] == "new" and s["appeal_code"]
    r = client_for(org.district_leader).post(
        "/api/v1/deputy-suggestions/",
        {"deputy": d.pk, "title": "建议", "content": "建议内容写在这里"},
        format="json",
    )
    assert r.status_code == 403
    stats = api.get("/api/v1/deputy-suggestions/stats/").json()
    assert stats["per_deputy"][0]["name"] == "王建国" and stats["per_deputy"][0]["total"] == 1
    assert api.get("/api/v1/deputy-suggestions/stats/?year=abc").status_code == 400
    for outsider in (org.s1_handler, org.grid1_worker):
        c = client_for(outsider)
        assert c.get(f"/api/v1/deputy-suggestions/{s['id']}/").status_code == 404
        assert c.get("/api/v1/deputies/").json()["count"] == 0


def test_surveys_api(org, survey):  # noqa: F811
    answers = {str(survey.q_env.pk): "不满意，有问题要反映", str(survey.q_what.pk): ["垃圾"]}
    survey_actions.submit_response(survey.slug, answers=answers, phone="13812345678", name="李")
    mine = client_for(org.c1_handler)
    r = mine.get(f"/api/v1/surveys/{survey.pk}/").json()
    assert r["responses"] == 1 and [q["kind"] for q in r["questions"]] == [
        "single",
        "multiple",
        "rating",
        "text",
    ]
    [a] = mine.get(f"/api/v1/survey-answers/?survey={survey.pk}").json()["results"]
    assert a["phone"] == "138****5678" and a["problem"] and a["appeal_code"]
    assert (
        client_for(org.dispatcher).get(f"/api/v1/survey-answers/{a['id']}/").json()["phone"]
        == "13812345678"
    )
    other = client_for(org.s2_handler)
    assert other.get(f"/api/v1/surveys/{survey.pk}/").status_code == 404
    assert other.get(f"/api/v1/survey-answers/{a['id']}/").status_code == 404
