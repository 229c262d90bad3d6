"""The appeal page: scope, phone masking, timeline, and every action with its permissions."""

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    Assignment,
    Attachment,
    ExtensionRequest,
    FollowUp,
    Status,
    Summons,
)

from .conftest import HX, PHONE, png_file

pytestmark = pytest.mark.django_db


def page(client, a):
    return client.get(reverse("web:appeal", args=[a.pk]))


def act(client, a, name, data=None, htmx=True, **extra):
    url = reverse("web:appeal_action", args=[a.pk, name])
    return client.post(url, data or {}, **(HX if htmx else {}), **extra)


def snapshot(a):
    a = Appeal.objects.get(pk=a.pk)
    return (
        a.status,
        a.lead_unit_id,
        a.category_id,
        a.updated_at,
        AppealEvent.objects.filter(appeal=a).count(),
        Assignment.objects.filter(appeal=a).count(),
    )


# --- reading -----------------------------------------------------------------------------


def test_outside_scope_is_404(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    for user in (org.s2_handler, org.d3_handler):
        client = login(user)
        assert page(client, a).status_code == 404
        assert act(client, a, "progress", {"note": "进展说明"}).status_code == 404
        assert client.get(reverse("web:appeal_main", args=[a.pk])).status_code == 404
    assert page(login(org.s1_handler), a).status_code == 200
    assert page(login(org.district_leader), a).status_code == 200
    assert page(login(org.s1_leader), a).status_code == 200


def test_header_timeline_and_due_badges(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("路灯坏了"), assist=[org.dept1])
    html = page(login(org.dispatcher), a).content.decode()
    for text in (
        a.code,
        "路灯坏了",
        "办理中",
        "扫码/H5",
        "城乡建设 / 路灯照明",
        "东街道",
        "区城管局",
    ):
        assert text in html
    # Timeline rows with kind labels, actors, from → to.
    for text in ("受理登记", "分类", "派单", "签收", "调度员甲", "待派单 → 待签收", "主办：东街道"):
        assert text in html
    # Due badges per step: claim done on time, resolve running.
    assert "按时完成" in html and "未超时" in html


def test_phone_masked_unless_allowed(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal(), assist=[org.dept1])
    masked = PHONE[:3] + "****" + PHONE[-4:]
    for user, full in (
        (org.dispatcher, True),
        (org.callback, True),
        (org.s1_handler, True),  # lead unit
        (org.d1_handler, False),  # assisting unit
        (org.district_leader, False),
        (org.grid1_worker, False),
    ):
        html = page(login(user), a).content.decode()
        assert (PHONE in html) is full, user
        if not full:
            assert masked in html


def test_photos_are_served_only_within_scope(login, org, make_appeal):
    a = make_appeal(attachments=[png_file()])
    att = Attachment.objects.get(appeal=a)
    url = reverse("web:appeal_photo", args=[a.pk, att.pk])
    html = page(login(org.dispatcher), a).content.decode()
    assert url in html
    r = login(org.dispatcher).get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert login(org.s2_handler).get(url).status_code == 404


# --- which forms show ---------------------------------------------------------------------

FORM_MARKERS = {
    "dispatch": "/act/dispatch/",
    "claim": "/act/claim/",
    "return": "/act/return/",
    "extension": "/act/extension/",
    "whistle": "/act/whistle/",
    "progress": "/act/progress/",
    "contact": "/act/contact/",
    "resolve": "/act/resolve/",
    "reply": "/act/reply/",
    "follow_up": "/act/follow_up/",
    "close": "/act/close/",
    "reopen": "/act/reopen/",
}


def shown(client, a):
    html = page(client, a).content.decode()
    return {k for k, marker in FORM_MARKERS.items() if marker in html}


def test_forms_follow_status_role_and_unit(login, org, loop, make_appeal):
    a = make_appeal()
    assert shown(login(org.dispatcher), a) == {"dispatch"}
    assert shown(login(org.s1_handler), a) == set()
    loop.dispatched(a)
    assert shown(login(org.s1_handler), a) == {"claim", "return"}
    assert page(login(org.s2_handler), a).status_code == 404
    assert shown(login(org.callback), a) == set()
    actions.claim(a, actor=org.s1_handler)
    assert shown(login(org.s1_handler), a) == {
        "return",
        "extension",
        "whistle",
        "progress",
        "contact",
        "resolve",
    }
    assert shown(login(org.dispatcher), a) == set()
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已经修好路灯")
    assert shown(login(org.s1_handler), a) == {"reply"}
    assert shown(login(org.dispatcher), a) == {"reopen"}
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢反映。")
    assert shown(login(org.callback), a) == {"follow_up"}
    assert shown(login(org.dispatcher), a) == {"follow_up", "reopen"}
    assert shown(login(org.s1_handler), a) == set()
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
    )
    assert shown(login(org.dispatcher), a) == {"follow_up", "close", "reopen"}
    assert shown(login(org.callback), a) == {"follow_up"}


def test_department_cannot_whistle(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal(), lead=org.dept1)
    actions.claim(a, actor=org.d1_handler)
    assert "whistle" not in shown(login(org.d1_handler), a)


def test_assisting_unit_sees_claim_then_progress_only(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal(), assist=[org.dept1])
    client = login(org.d1_handler)
    assert shown(client, a) == {"claim"}
    act(client, a, "claim", {"unit_id": org.dept1.pk})
    assert shown(client, a) == set()  # waiting for the lead unit to claim
    actions.claim(a, actor=org.s1_handler)
    assert shown(client, a) == {"progress"}


# --- actions: success ---------------------------------------------------------------------


def test_dispatch_from_appeal_page(login, org, make_appeal):
    a = make_appeal()
    client = login(org.dispatcher)
    r = act(
        client,
        a,
        "dispatch",
        {
            "op": "dispatch",
            "category": org.category.pk,
            "urgency": "urgent",
            "grid": org.grid1.pk,
            "lead_unit": org.street1.pk,
            "assist_units": [org.dept1.pk, org.dept2.pk],
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="appeal-main"' in html and "<html" not in html  # the sections, not the page
    assert "已派单至东街道" in html
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED and a.urgency == "urgent"
    assert a.category == org.category
    units = set(a.assignments.filter(active=True).values_list("unit_id", "role"))
    assert units == {(org.street1.pk, "lead"), (org.dept1.pk, "assist"), (org.dept2.pk, "assist")}


def test_classify_only(login, org, make_appeal):
    a = make_appeal()
    act(
        login(org.dispatcher),
        a,
        "dispatch",
        {"op": "classify", "category": org.category.pk, "urgency": "normal"},
    )
    a.refresh_from_db()
    assert a.category == org.category and a.status == Status.NEW


def test_plain_post_redirects_with_message(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    client = login(org.s1_handler)
    r = act(client, a, "claim", {"unit_id": org.street1.pk}, htmx=False)
    assert r.status_code == 302 and r.url == reverse("web:appeal", args=[a.pk])
    assert "已签收（主办）" in client.get(r.url).content.decode()
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_handler_loop_through_the_page(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    client = login(org.s1_handler)
    assert "已签收" in act(client, a, "claim", {"unit_id": org.street1.pk}).content.decode()
    r = act(client, a, "contact", {"note": "已电话联系张先生"})
    assert "已记录联系情况" in r.content.decode()
    r = act(client, a, "progress", {"note": "已到现场查看", "attachments": [png_file()]})
    assert "已记录办理进展" in r.content.decode()
    assert Attachment.objects.filter(appeal=a, by_handler=True).count() == 1
    r = act(client, a, "extension", {"days": "3", "reason": "需要采购配件"})
    assert "延期申请已提交" in r.content.decode()
    assert ExtensionRequest.objects.filter(appeal=a, status="pending", days=3).exists()
    r = act(
        client,
        a,
        "resolve",
        {
            "outcome_kind": "long_term",
            "outcome": "需要整体改造线路",
            "roadmap": "先临时照明后改造",
            "timetable": "月底完成",
            "explanation": "需要停电施工",
            "measures": "更换线路",
            "responsible_office": "城建科",
            "responsible_person": "李四",
        },
    )
    assert "已办结" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.RESOLVED and a.outcome_kind == "long_term"
    assert a.roadmap == "先临时照明后改造" and a.responsible_person == "李四"
    r = act(client, a, "reply", {"text": "您好，路灯线路将在月底前改造完成。"})
    assert "已答复群众" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.REPLIED


def test_return_goes_back_to_centre(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal())
    r = act(login(org.s1_handler), a, "return", {"reason": "不属于本街道职责"})
    assert "已退回调度中心" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.RETURNED and a.lead_unit is None


def test_whistle_report_answer(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    r = act(
        login(org.s1_leader),
        a,
        "whistle",
        {"departments": [org.dept1.pk, org.dept2.pk], "reason": "需要城管住建协同"},
    )
    assert "已吹哨" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.ESCALATED
    # The summoned department sees the appeal and reports.
    d1 = login(org.d1_handler)
    html = page(d1, a).content.decode()
    assert "/act/report/" in html
    r = act(d1, a, "report", {"unit_id": org.dept1.pk, "share": "负责拆除违建"})
    assert "已报到" in r.content.decode()
    r = act(d1, a, "answer", {"unit_id": org.dept1.pk, "answer": "违建已拆除"})
    assert "已反馈" in r.content.decode()
    s = Summons.objects.get(appeal=a, department=org.dept1)
    assert s.status == "answered"
    # Resolve waits for the second department: the action's message is shown inline.
    r = act(
        login(org.s1_handler),
        a,
        "resolve",
        {"outcome_kind": "coordinated", "outcome": "已处理完毕"},
    )
    assert "还有被召集部门未报到" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.ESCALATED


def test_whistling_street_withdraws_a_summons_on_page(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    actions.blow_whistle(
        a, actor=org.s1_leader, departments=[org.dept1, org.dept2], reason="需要城管住建协同"
    )
    wrong = Summons.objects.get(appeal=a, department=org.dept2)
    # The summoned department sees no withdraw button; the street does, on pending rows only.
    assert "/act/cancel_summons/" not in page(login(org.d2_handler), a).content.decode()
    actions.report_summons(a, actor=org.d1_handler, share="负责拆除违建")
    s1 = login(org.s1_handler)
    html = page(s1, a).content.decode()
    assert html.count('name="summons" value=') == 1 and f'value="{wrong.pk}"' in html
    r = act(s1, a, "cancel_summons", {"summons": wrong.pk, "reason": "x"})
    assert "撤销原因" in r.content.decode()  # too short: the error names the field
    wrong.refresh_from_db()
    assert wrong.status == "pending"
    r = act(s1, a, "cancel_summons", {"summons": wrong.pk, "reason": "召集错了部门"})
    html = r.content.decode()
    assert "已撤销对" in html and "召集错了部门" in html and "已撤销" in html
    wrong.refresh_from_db()
    assert wrong.status == "cancelled"
    # Nothing is pending any more: the street can resolve.
    r = act(s1, a, "resolve", {"outcome_kind": "coordinated", "outcome": "已协调城管处理完毕"})
    a.refresh_from_db()
    assert a.status == Status.RESOLVED


def test_centre_decides_extension_on_page(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="等待配件到货")
    client = login(org.dispatcher)
    assert "/act/decide_extension/" in page(client, a).content.decode()
    r = act(client, a, "decide_extension", {"extension": ext.pk, "approve": "1", "note": "同意"})
    assert "已批准延期" in r.content.decode()
    ext.refresh_from_db()
    a.refresh_from_db()
    assert ext.status == "approved" and a.extension_days == 2


def test_follow_up_close_and_reopen(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    cb = login(org.callback)
    r = act(
        cb,
        a,
        "follow_up",
        {
            "reached": "1",
            "contacted": "1",
            "solved": "1",
            "satisfaction": "satisfied",
            "source": "callback",
        },
    )
    assert "回访已记录" in r.content.decode()
    fu = FollowUp.objects.get(appeal=a)
    assert fu.contacted is True and fu.solved is True and fu.satisfaction == "satisfied"
    # The callback operator cannot close; the dispatcher can.
    r = act(cb, a, "close", {})
    assert "只有调度中心可以执行此操作" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.REPLIED
    r = act(login(org.dispatcher), a, "close", {"note": "群众满意"})
    assert "已销号" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.CLOSED

    b = loop.resolved(make_appeal())
    r = act(login(org.dispatcher), b, "reopen", {"reason": "办理结果不完整"})
    assert "已退回承办单位重办" in r.content.decode()
    b.refresh_from_db()
    assert b.status == Status.IN_PROGRESS and b.reopen_count == 1


def test_unsatisfied_follow_up_reopens(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    act(
        login(org.callback),
        a,
        "follow_up",
        {
            "reached": "1",
            "contacted": "0",
            "solved": "0",
            "satisfaction": "unsatisfied",
            "comment": "没修好",
        },
    )
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and a.reopen_count == 1


def test_not_reached(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    r = act(login(org.callback), a, "follow_up", {"reached": "0"})
    assert "已记录：未接通" in r.content.decode()
    fu = FollowUp.objects.get(appeal=a)
    assert fu.reached is False and fu.satisfaction == ""


def test_merge_from_page(login, org, make_appeal):
    parent = make_appeal("路灯不亮")
    child = make_appeal("路灯不亮了")
    r = act(login(org.dispatcher), child, "merge", {"parent_code": parent.code.lower()})
    assert f"已合并到 {parent.code}" in r.content.decode()
    child.refresh_from_db()
    assert child.status == Status.MERGED and child.parent == parent


# --- actions: errors inline, nothing changed ---------------------------------------------------


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("return", {"reason": "不"}, "退单理由至少4个字"),
        ("extension", {"days": "40", "reason": "需要更多时间"}, "延期天数应为1至30个工作日"),
        ("extension", {"days": "2", "reason": ""}, "延期理由至少4个字"),
        ("contact", {"note": ""}, "联系情况至少2个字"),
        ("resolve", {"outcome_kind": "", "outcome": "已经修好了"}, "请选择办理方式"),
        ("resolve", {"outcome_kind": "long_term", "outcome": "需要长期推进"}, "请填写路线图"),
        ("whistle", {"reason": "需要部门协同"}, "请选择要召集的部门"),
        ("progress", {"note": "好", "attachments": []}, "进展说明至少2个字"),
    ],
)
def test_errors_are_inline_in_chinese_and_change_nothing(
    login, org, loop, make_appeal, name, data, message
):
    a = loop.in_progress(make_appeal())
    before = snapshot(a)
    client = login(org.s1_handler)
    r = act(client, a, name, data)
    html = r.content.decode()
    assert r.status_code == 200
    assert message in html
    assert 'class="err"' in html or "form-error" in html
    assert snapshot(a) == before
    # Without htmx: the full page again, status 400.
    r = act(client, a, name, data, htmx=False)
    assert r.status_code == 400 and message in r.content.decode() and "<html" in r.content.decode()
    assert snapshot(a) == before


def test_invalid_upload_is_rejected(login, org, loop, make_appeal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = loop.in_progress(make_appeal())
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    r = act(login(org.s1_handler), a, "progress", {"note": "现场照片", "attachments": [bad]})
    assert "只能上传图片" in r.content.decode()
    assert not Attachment.objects.filter(appeal=a).exists()


@pytest.mark.parametrize(
    "user,name,data",
    [
        ("s1_handler", "dispatch", {"op": "dispatch", "urgency": "normal", "lead_unit": "S1"}),
        ("callback", "dispatch", {"op": "dispatch", "urgency": "normal", "lead_unit": "S1"}),
        ("d1_handler", "claim", {}),
        ("grid1_worker", "return", {"reason": "不是我们的事情"}),
        ("dispatcher", "resolve", {"outcome_kind": "on_spot", "outcome": "调度员想办结"}),
        ("district_leader", "reply", {"text": "区领导想直接答复群众"}),
        (
            "s1_handler",
            "follow_up",
            {"reached": "1", "contacted": "1", "solved": "1", "satisfaction": "satisfied"},
        ),
        ("s1_handler", "close", {}),
        ("s1_handler", "decide_extension", {"extension": "EXT", "approve": "1"}),
    ],
)
def test_denied_posts_change_nothing(login, org, loop, make_appeal, user, name, data):
    a = loop.in_progress(make_appeal(), assist=[org.dept1])
    if name == "dispatch":
        a = make_appeal()
    if name in ("follow_up", "close"):
        a = loop.replied(make_appeal())
    if name == "decide_extension":
        ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="等待配件到货")
        data = {**data, "extension": ext.pk}
    if name == "claim":
        a = loop.dispatched(make_appeal())  # dept1 has no assignment on this one
    data = {k: (org.street1.pk if v == "S1" else v) for k, v in data.items()}
    before = snapshot(a)
    ext_before = list(ExtensionRequest.objects.values_list("status", flat=True))
    client = login(getattr(org, user))
    r = act(client, a, name, data)
    assert r.status_code in (200, 404)
    if r.status_code == 200:
        html = r.content.decode()
        assert "flash-error" in html
        # The denied user is not shown that action's form.
        assert FORM_MARKERS.get(name, f"/act/{name}/") not in html or name == "claim"
    assert snapshot(a) == before
    assert list(ExtensionRequest.objects.values_list("status", flat=True)) == ext_before
    assert not FollowUp.objects.filter(appeal=a).exclude(actor=org.callback).exists()


def test_unknown_action_is_404(login, org, make_appeal):
    a = make_appeal()
    assert act(login(org.dispatcher), a, "explode", {}).status_code == 404


def test_get_on_action_is_not_allowed(login, org, make_appeal):
    a = make_appeal()
    r = login(org.dispatcher).get(reverse("web:appeal_action", args=[a.pk, "close"]))
    assert r.status_code == 405


def test_list_fragments_only_for_their_page(login, org, loop, make_appeal):
    """A handler posting as if from the dispatch panel gets the appeal page's sections (with
    the phone rules of the appeal page), not the centre's panel."""
    a = loop.dispatched(make_appeal(), assist=[org.dept1])
    client = login(org.d1_handler)
    r = act(client, a, "claim", {"_from": "panel", "unit_id": org.dept1.pk})
    html = r.content.decode()
    assert 'id="appeal-main"' in html and 'id="panel-body"' not in html
    assert PHONE not in html
