"""Dispatch centre: queues, the classify-and-dispatch panel, duplicates and merging, extension
requests, hotline intake."""

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import Appeal, ExtensionRequest, Status
from minhu.web.duplicates import candidates, keywords

from .conftest import HX, PHONE

pytestmark = pytest.mark.django_db


def centre(client, query=""):
    return client.get(reverse("web:dispatch") + query)


def queue(html: str) -> str:
    """The queue table alone (the panel also names other appeals)."""
    return html.split('id="queue"', 1)[1].split("</table>", 1)[0]


def test_only_the_centre_may_open_it(login, org):
    for user in (org.s1_handler, org.callback, org.district_leader, org.grid1_worker):
        assert centre(login(user)).status_code == 403
    for user in (org.dispatcher, org.admin):
        assert centre(login(user)).status_code == 200


def test_queues_with_counts(login, org, loop, make_appeal):
    new = [make_appeal(f"新诉求{i}号路灯") for i in range(3)]
    returned = loop.dispatched(make_appeal("退回的诉求"))
    actions.return_appeal(returned, actor=org.s1_handler, reason="不属于本街道")
    dispatched = loop.dispatched(make_appeal("待签收的诉求"))
    escalated = loop.in_progress(make_appeal("吹哨的诉求"))
    actions.blow_whistle(
        escalated, actor=org.s1_handler, departments=[org.dept1], reason="需要城管协助"
    )
    ext_appeal = loop.in_progress(make_appeal("要延期的诉求"))
    actions.request_extension(ext_appeal, actor=org.s1_handler, days=2, reason="等待配件")
    client = login(org.dispatcher)
    html = centre(client).content.decode()
    assert 'id="count-new">3<' in html
    assert 'id="count-returned">1<' in html
    assert 'id="count-dispatched">1<' in html
    assert 'id="count-escalated">1<' in html
    assert 'id="count-extensions">1<' in html
    for a in new:
        assert a.code in queue(html)
    assert dispatched.code not in queue(html)
    # The first row's panel is open with the dispatch form and duplicates section.
    assert 'id="panel-body"' in html and "/act/dispatch/" in html and "疑似重复" in html
    html = queue(centre(client, "?tab=returned").content.decode())
    assert returned.code in html and new[0].code not in html
    html = queue(centre(client, "?tab=escalated").content.decode())
    assert escalated.code in html and "0/1" in html
    html = centre(client, "?tab=extensions").content.decode()
    assert ext_appeal.code in html and "等待配件" in html


def test_urgent_first(login, org, make_appeal):
    normal = make_appeal("普通诉求")
    critical = make_appeal("特急诉求", urgency="critical")
    html = queue(centre(login(org.dispatcher)).content.decode())
    assert html.index(critical.code) < html.index(normal.code)


def test_filters_on_queue(login, org, make_appeal):
    a = make_appeal("路灯不亮", grid=org.grid1)
    b = make_appeal("噪音扰民", grid=org.grid2)
    client = login(org.dispatcher)
    html = queue(centre(client, "?tab=new&q=噪音").content.decode())
    assert b.code in html and a.code not in html
    html = centre(client, "?tab=new&q=没有这种诉求").content.decode()
    assert "暂无数据" in html


def test_panel_and_dispatch_with_oob_updates(login, org, make_appeal):
    a = make_appeal()
    client = login(org.dispatcher)
    r = client.get(reverse("web:dispatch_panel", args=[a.pk]), **HX)
    assert r.status_code == 200 and a.subject in r.content.decode()
    data = {
        "_from": "panel",
        "op": "dispatch",
        "category": org.category.pk,
        "urgency": "normal",
        "grid": org.grid1.pk,
        "lead_unit": org.street1.pk,
        "assist_units": [org.dept1.pk],
        "note": "请尽快处理",
    }
    r = client.post(reverse("web:appeal_action", args=[a.pk, "dispatch"]), data, **HX)
    html = r.content.decode()
    assert "已派单至东街道" in html
    assert f'id="row-{a.pk}" hx-swap-oob="delete"' in html
    assert 'id="count-new" hx-swap-oob="true">0<' in html
    a.refresh_from_db()
    assert a.status == Status.DISPATCHED and a.lead_unit == org.street1


def test_panel_dispatch_without_lead_unit_shows_error_and_keeps_classification(
    login, org, make_appeal
):
    a = make_appeal()
    client = login(org.dispatcher)
    data = {"_from": "panel", "op": "dispatch", "category": org.category.pk, "urgency": "urgent"}
    r = client.post(reverse("web:appeal_action", args=[a.pk, "dispatch"]), data, **HX)
    html = r.content.decode()
    assert "请选择主办单位" in html and 'class="err"' in html
    a.refresh_from_db()
    # One transaction: the classification is not saved either.
    assert a.status == Status.NEW and a.category is None and a.urgency == "normal"


def test_dispatch_to_inactive_unit_is_refused(login, org, make_appeal):
    a = make_appeal()
    org.dept3.active = False
    org.dept3.save()
    data = {"_from": "panel", "op": "dispatch", "urgency": "normal", "lead_unit": org.dept3.pk}
    r = login(org.dispatcher).post(
        reverse("web:appeal_action", args=[a.pk, "dispatch"]), data, **HX
    )
    assert "选择一个有效的选项" in r.content.decode() or "不能承办" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.NEW


def test_suggested_lead_unit_from_category(login, org, make_appeal):
    org.category.default_lead_unit = org.dept1
    org.category.save()
    a = make_appeal(category=org.category)
    html = login(org.dispatcher).get(reverse("web:dispatch_panel", args=[a.pk])).content.decode()
    assert f'<option value="{org.dept1.pk}" selected>' in html


def test_merge_into_candidate_from_panel(login, org, make_appeal):
    parent = make_appeal("东门路灯不亮")
    child = make_appeal("东门路灯不亮了好几天")
    client = login(org.dispatcher)
    html = client.get(reverse("web:dispatch_panel", args=[child.pk])).content.decode()
    assert parent.code in html and "合并到此" in html
    r = client.post(
        reverse("web:appeal_action", args=[child.pk, "merge"]),
        {"_from": "panel", "parent_code": parent.code},
        **HX,
    )
    assert f"已合并到 {parent.code}" in r.content.decode()
    child.refresh_from_db()
    assert child.status == Status.MERGED and child.parent_id == parent.pk


def test_merge_unknown_code_is_inline_error(login, org, make_appeal):
    a = make_appeal()
    r = login(org.dispatcher).post(
        reverse("web:appeal_action", args=[a.pk, "merge"]),
        {"_from": "panel", "parent_code": "ZZZZZZZZZZ"},
        **HX,
    )
    assert "未找到该编号的诉求" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.NEW


def test_extension_approve_and_deny_rows(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    b = loop.in_progress(make_appeal())
    ea = actions.request_extension(a, actor=org.s1_handler, days=2, reason="等待配件到货")
    eb = actions.request_extension(b, actor=org.s1_handler, days=5, reason="需要协调施工队")
    client = login(org.dispatcher)
    url = reverse("web:appeal_action", args=[a.pk, "decide_extension"])
    r = client.post(url, {"_from": "ext", "extension": ea.pk, "approve": "1"}, **HX)
    html = r.content.decode()
    assert "已批准" in html and f'id="ext-{ea.pk}"' in html
    assert 'id="count-extensions" hx-swap-oob="true">1<' in html
    url = reverse("web:appeal_action", args=[b.pk, "decide_extension"])
    client.post(url, {"_from": "ext", "extension": eb.pk, "approve": "0", "note": "时间过长"}, **HX)
    ea.refresh_from_db()
    eb.refresh_from_db()
    assert ea.status == "approved" and eb.status == "denied" and eb.decision_note == "时间过长"
    # Deciding again: the action's message, nothing changes.
    r = client.post(url, {"_from": "ext", "extension": eb.pk, "approve": "1"}, **HX)
    assert "flash-error" in r.content.decode() and "审批" in r.content.decode()
    eb.refresh_from_db()
    assert eb.status == "denied"


def test_extension_of_another_appeal_is_not_found(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    b = loop.in_progress(make_appeal())
    eb = actions.request_extension(b, actor=org.s1_handler, days=2, reason="等待配件到货")
    url = reverse("web:appeal_action", args=[a.pk, "decide_extension"])
    r = login(org.dispatcher).post(url, {"_from": "ext", "extension": eb.pk, "approve": "1"})
    assert r.status_code == 404
    assert ExtensionRequest.objects.get(pk=eb.pk).status == "pending"


# --- intake ---------------------------------------------------------------------------------


def intake_data(**over):
    data = {
        "channel": "hotline",
        "appellant_kind": "person",
        "appellant_name": "李先生",
        "appellant_phone": "13900001111",
        "subject": "楼下烧烤油烟扰民",
        "detail": "每天晚上楼下烧烤摊油烟很大，窗户都不能开。",
        "address": "东一社区2号楼",
        "urgency": "normal",
    }
    data.update(over)
    return data


def test_hotline_intake_registers_and_opens_panel(login, org):
    client = login(org.dispatcher)
    r = client.post(reverse("web:intake"), intake_data(grid=org.grid1.pk, category=org.category.pk))
    a = Appeal.objects.get(subject="楼下烧烤油烟扰民")
    assert r.status_code == 302 and r.url == reverse("web:dispatch") + f"?tab=new&id={a.pk}"
    assert a.channel == "hotline" and a.registered_by == org.dispatcher
    assert a.street == org.street1 and a.category == org.category
    html = client.get(r.url).content.decode()
    assert f"已登记诉求 {a.code}" in html and 'id="panel-body"' in html


def test_intake_errors_are_chinese_and_register_nothing(login, org):
    client = login(org.dispatcher)
    r = client.post(reverse("web:intake"), intake_data(appellant_phone="12345"))
    assert r.status_code == 400 and "联系电话格式不正确" in r.content.decode()
    r = client.post(reverse("web:intake"), intake_data(subject="", detail="短"))
    assert r.status_code == 400
    assert "标题至少2个字" in r.content.decode()
    r = client.post(reverse("web:intake"), intake_data(appellant_kind="enterprise"))
    assert "请填写企业名称" in r.content.decode()
    assert not Appeal.objects.exists()


def test_anonymous_intake_needs_no_phone(login, org):
    r = login(org.dispatcher).post(
        reverse("web:intake"), intake_data(appellant_kind="anonymous", appellant_phone="")
    )
    assert r.status_code == 302
    assert Appeal.objects.get().appellant_phone == ""


def test_grid_worker_registers_visits_only(login, org):
    client = login(org.grid1_worker)
    html = client.get(reverse("web:intake")).content.decode()
    assert 'value="visit"' in html and 'value="hotline"' not in html
    r = client.post(reverse("web:intake"), intake_data(channel="hotline"))
    assert r.status_code == 400 and not Appeal.objects.exists()
    r = client.post(reverse("web:intake"), intake_data(channel="visit", grid=org.grid1.pk))
    a = Appeal.objects.get()
    assert r.status_code == 302 and r.url == reverse("web:appeal", args=[a.pk])


def test_callback_cannot_register(login, org):
    client = login(org.callback)
    assert client.get(reverse("web:intake")).status_code == 403
    assert client.post(reverse("web:intake"), intake_data()).status_code == 403
    assert not Appeal.objects.exists()


# --- duplicates ------------------------------------------------------------------------------


def test_keywords():
    words = keywords("小区门口路灯不亮 ABC123")
    assert "路灯" in words and "小区" not in words and "abc123" in words


def test_candidates_returns_appeals_with_scores(org, make_appeal):
    a = make_appeal("东门路灯不亮，晚上很黑", grid=org.grid1)
    b = make_appeal("东门路灯不亮，晚上很黑，请修理", grid=org.grid1)
    found = candidates(a, user=org.dispatcher)
    assert [x.pk for x in found] == [b.pk]
    assert hasattr(found[0], "dup_reasons") and hasattr(found[0], "dup_score")
    assert PHONE  # fixture phone in use
