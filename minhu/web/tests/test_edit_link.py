"""修改信息 (edit_details) on the appeal page and 关联 (link_appeals) from the dispatch panel and
the appeal page: shown only to the roles the verbs allow, refused for others, errors inline."""

import re

import pytest
from django.urls import reverse

from minhu.appeals.models import Appeal, AppealEvent, EventKind
from minhu.routing import actions as routing_actions
from minhu.routing.models import AppealLink

from .conftest import HX, PHONE
from .test_i18n import _compiled_catalogue  # noqa: F401  (autouse: compiles a stale .mo)

pytestmark = pytest.mark.django_db

EDIT_FORM = 'data-form="edit"'
LINK_FORM = 'data-form="link"'


def page(client, a) -> str:
    r = client.get(reverse("web:appeal", args=[a.pk]))
    assert r.status_code == 200
    return r.content.decode()


def act(client, a, name, data, htmx=True):
    return client.post(
        reverse("web:appeal_action", args=[a.pk, name]), data, **(HX if htmx else {})
    )


def edit_data(a, **changes) -> dict:
    """The edit form as the browser submits it: every field pre-filled, some changed."""
    data = {
        "subject": a.subject,
        "detail": a.detail,
        "address": a.address,
        "appellant_name": a.appellant_name,
        "appellant_phone": a.appellant_phone,
        "latitude": "" if a.latitude is None else str(a.latitude),
        "longitude": "" if a.longitude is None else str(a.longitude),
        "note": "",
    }
    data.update(changes)
    return data


def field_errors(html: str, name: str) -> list[str]:
    """The inline errors rendered in the field block holding input `name` (web/_field.html)."""
    for block in html.split('<div class="field')[1:]:
        block = block.split("</div>", 1)[0]
        if f'name="{name}"' in block:
            return re.findall(r'<em class="err" role="alert">([^<]*)</em>', block)
    return []


def links_card(html: str) -> str:
    return html.split('id="links"', 1)[1].split("</section>", 1)[0] if 'id="links"' in html else ""


# --- 修改信息 ---------------------------------------------------------------------------------


def test_edit_form_only_for_the_centre_and_prefilled(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal("小区门口路灯不亮", address="东一路1号"))
    for user in (org.dispatcher, org.admin):
        html = page(login(user), a)
        assert EDIT_FORM in html and "修改信息" in html
        assert 'value="小区门口路灯不亮"' in html and 'value="东一路1号"' in html
        assert f'value="{PHONE}"' in html
    # Handler of the lead unit, the grid worker of the appeal's grid, a leader: no form.
    for user in (org.s1_handler, org.grid1_worker, org.district_leader, org.callback):
        html = page(login(user), a)
        assert EDIT_FORM not in html, user
        assert "act/edit/" not in html, user


def test_anonymous_appeal_has_no_name_or_phone_fields(login, org, make_appeal):
    a = make_appeal(appellant_kind="anonymous", appellant_name="", appellant_phone="")
    html = page(login(org.dispatcher), a)
    form = html.split(EDIT_FORM, 1)[1].split("</form>", 1)[0]
    assert 'name="subject"' in form
    assert 'name="appellant_phone"' not in form and 'name="appellant_name"' not in form


@pytest.mark.parametrize("user", ["s1_handler", "grid1_worker"])
def test_post_by_others_is_refused_and_changes_nothing(login, org, loop, make_appeal, user):
    a = loop.in_progress(make_appeal("原来的标题"))
    before = Appeal.objects.get(pk=a.pk)
    events = AppealEvent.objects.filter(appeal=a).count()
    client = login(getattr(org, user))
    r = act(client, a, "edit", edit_data(a, subject="被改掉的标题", address="别处"))
    assert r.status_code == 200
    assert "只有调度中心可以执行此操作" in r.content.decode()
    r = act(client, a, "edit", edit_data(a, subject="被改掉的标题"), htmx=False)
    assert r.status_code == 400
    after = Appeal.objects.get(pk=a.pk)
    assert (after.subject, after.address, after.updated_at) == (
        before.subject,
        before.address,
        before.updated_at,
    )
    assert AppealEvent.objects.filter(appeal=a).count() == events


def test_edit_writes_event_with_old_values(login, org, loop, make_appeal):
    a = loop.dispatched(make_appeal("路灯坏了", address="东一路1号"))
    client = login(org.dispatcher)
    r = act(
        client,
        a,
        "edit",
        edit_data(
            a,
            subject="东一路路灯坏了",
            address="东一路3号",
            appellant_phone="13900001111",
            latitude="39.9",
            longitude="116.4",
            note="来电人更正地址",
        ),
    )
    html = r.content.decode()
    assert r.status_code == 200 and "信息已修改" in html
    a.refresh_from_db()
    assert a.subject == "东一路路灯坏了" and a.address == "东一路3号"
    assert a.appellant_phone == "13900001111" and float(a.latitude) == 39.9
    ev = AppealEvent.objects.filter(appeal=a, kind=EventKind.EDIT).get()
    assert ev.actor == org.dispatcher and ev.note == "来电人更正地址"
    assert ev.data["fields"] == sorted(
        ["subject", "address", "appellant_phone", "latitude", "longitude"]
    )
    assert ev.data["old"] == {
        "subject": "路灯坏了",
        "address": "东一路1号",
        "appellant_phone": PHONE[:3] + "****" + PHONE[-4:],  # masked: units read events
        "latitude": None,
        "longitude": None,
    }
    # The status is untouched; the timeline names the fields (not the old values).
    assert a.status == "dispatched"
    assert "修改：" in html and "标题" in html
    # The form is shown again with the new values.
    assert 'value="东一路路灯坏了"' in html


def test_edit_plain_post_redirects(login, org, make_appeal):
    a = make_appeal()
    r = act(login(org.dispatcher), a, "edit", edit_data(a, address="西二路8号"), htmx=False)
    assert r.status_code == 302 and r["Location"] == reverse("web:appeal", args=[a.pk])
    assert Appeal.objects.get(pk=a.pk).address == "西二路8号"


def test_invalid_input_shows_chinese_error_inline(login, org, make_appeal):
    a = make_appeal("路灯不亮了")
    client = login(org.dispatcher)
    events = AppealEvent.objects.filter(appeal=a).count()
    r = act(client, a, "edit", edit_data(a, subject="灯"))
    html = r.content.decode()
    assert field_errors(html, "subject") == ["标题至少2个字"]
    assert 'id="act-edit" open' in html  # the form stays open with what was typed
    assert 'value="灯"' in html
    r = act(client, a, "edit", edit_data(a, appellant_phone="12345"), htmx=False)
    assert r.status_code == 400
    assert field_errors(r.content.decode(), "appellant_phone") == ["联系电话格式不正确"]
    r = act(client, a, "edit", edit_data(a, latitude="39.9"))
    assert field_errors(r.content.decode(), "latitude") == ["经纬度需同时填写"]
    r = act(client, a, "edit", edit_data(a, latitude="91", longitude="116"))
    assert field_errors(r.content.decode(), "latitude") == ["经纬度超出范围"]
    r = act(client, a, "edit", edit_data(a))
    assert "没有修改任何信息" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).subject == "路灯不亮了"
    assert AppealEvent.objects.filter(appeal=a).count() == events


def test_untouched_fields_are_not_revalidated(login, org, make_appeal):
    """An old value the verb would now refuse does not block correcting another field."""
    a = make_appeal()
    Appeal.objects.filter(pk=a.pk).update(appellant_phone="138-1234-5678")
    a.refresh_from_db()
    r = act(login(org.dispatcher), a, "edit", edit_data(a, address="东一路5号"))
    assert "信息已修改" in r.content.decode()
    ev = AppealEvent.objects.get(appeal=a, kind=EventKind.EDIT)
    assert ev.data["fields"] == ["address"]


# --- 关联 -------------------------------------------------------------------------------------


def test_link_from_the_dispatch_panel(login, org, make_appeal):
    first = make_appeal("东门路灯不亮")
    second = make_appeal("东门路灯不亮了好几天")
    client = login(org.dispatcher)
    html = client.get(reverse("web:dispatch_panel", args=[second.pk])).content.decode()
    assert first.code in html and 'data-action="link"' in html and "合并到此" in html
    r = client.post(
        reverse("web:appeal_action", args=[second.pk, "link"]),
        {"_from": "panel", "other_code": first.code},
        **HX,
    )
    html = r.content.decode()
    assert f"已关联 {first.code}" in html
    # The panel stays (the appeal is still to be dispatched) and marks the candidate linked.
    assert 'id="panel-body"' in html and f'data-linked="{first.pk}"' in html
    assert AppealLink.objects.filter(from_appeal=first, to_appeal=second).count() == 1
    for a in (first, second):
        assert Appeal.objects.get(pk=a.pk).status == "new"
        assert AppealEvent.objects.filter(appeal=a, kind=EventKind.LINK).count() == 1
    # Both appeal pages list the other in the 关联诉求 card, linking to it.
    card = links_card(page(client, first))
    assert second.code in card and reverse("web:appeal", args=[second.pk]) in card
    card = links_card(page(client, second))
    assert first.code in card and reverse("web:appeal", args=[first.pk]) in card
    assert f"关联 {first.code}" in page(client, second)  # the timeline says so


def test_link_by_code_in_panel_and_plain_post(login, org, make_appeal, loop):
    a = make_appeal()
    other = loop.in_progress(
        make_appeal("完全不同的事情：噪音扰民", detail="楼下商铺夜间噪音很大。")
    )
    client = login(org.dispatcher)
    r = client.post(
        reverse("web:appeal_action", args=[a.pk, "link"]),
        {"_from": "panel", "other_code": other.code.lower()},
    )
    assert r.status_code == 302
    assert r["Location"] == reverse("web:dispatch") + f"?tab=new&id={a.pk}"
    assert AppealLink.objects.filter(from_appeal=a, to_appeal=other).exists()


def test_link_errors_are_inline(login, org, make_appeal):
    a = make_appeal()
    b = make_appeal()
    client = login(org.dispatcher)

    def post(code, origin="panel"):
        return client.post(
            reverse("web:appeal_action", args=[a.pk, "link"]),
            {"_from": origin, "other_code": code},
            **HX,
        ).content.decode()

    assert "未找到该编号的诉求" in post("ZZZZZZZZZZ")
    assert "请填写要关联的诉求编号" in post("")
    assert "不能关联到自身" in post(a.code)
    routing_actions.link_appeals(a, actor=org.dispatcher, other=b)
    assert "这两件诉求已关联" in post(b.code)
    html = post("ZZZZZZZZZZ", origin="appeal")
    assert field_errors(html, "other_code") == ["未找到该编号的诉求"]
    assert AppealLink.objects.count() == 1


def test_link_refused_for_units(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    b = loop.in_progress(make_appeal())
    client = login(org.s1_handler)
    html = page(client, a)
    assert LINK_FORM not in html and 'data-action="unlink"' not in html
    r = act(client, a, "link", {"other_code": b.code})
    assert "只有调度中心可以执行此操作" in r.content.decode()
    # `_from=panel` is ignored for those who may not open the dispatch centre.
    r = act(client, a, "link", {"other_code": b.code, "_from": "panel"})
    assert "只有调度中心可以执行此操作" in r.content.decode()
    assert not AppealLink.objects.exists()


def test_linked_card_is_scoped(login, org, loop, make_appeal):
    east = loop.in_progress(make_appeal("东边路灯不亮"))
    west = loop.dispatched(make_appeal("西边路灯不亮", grid=org.grid2), lead=org.street2)
    routing_actions.link_appeals(east, actor=org.dispatcher, other=west)
    assert west.code in links_card(page(login(org.dispatcher), east))
    # The east street's handler sees the east appeal, but not the west one it is linked to.
    html = page(login(org.s1_handler), east)
    assert west.code not in html
    html = page(login(org.s2_handler), west)
    assert east.code not in html


def test_unlink_on_the_appeal_page(login, org, make_appeal):
    a = make_appeal()
    b = make_appeal()
    routing_actions.link_appeals(a, actor=org.dispatcher, other=b)
    client = login(org.dispatcher)
    assert 'data-action="unlink"' in page(client, a)
    r = act(client, a, "unlink", {"other": b.pk})
    assert f"已取消与 {b.code} 的关联" in r.content.decode()
    assert not AppealLink.objects.exists()
    assert b.code not in links_card(page(client, a))
    # Again (already removed): said at the card, not a 404.
    r = act(client, a, "unlink", {"other": b.pk})
    assert r.status_code == 200 and "这两件诉求没有关联" in r.content.decode()


def test_link_from_the_appeal_page(login, org, loop, make_appeal):
    a = loop.in_progress(make_appeal())
    b = make_appeal("另一件事：井盖丢失", detail="路口井盖丢失，很危险，请尽快处理。")
    client = login(org.dispatcher)
    r = act(client, a, "link", {"other_code": b.code, "note": "同一路段"})
    html = r.content.decode()
    assert f"已关联 {b.code}" in html and b.code in links_card(html)
    assert AppealLink.objects.get().note == "同一路段"


# --- English -----------------------------------------------------------------------------------


def test_new_strings_in_english(login, org, make_appeal):
    a = make_appeal()
    b = make_appeal()
    routing_actions.link_appeals(a, actor=org.dispatcher, other=b)
    client = login(org.dispatcher)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    html = client.get(reverse("web:appeal", args=[a.pk]), **en).content.decode()
    for text in ("Save changes", "Reason for the change", "Unlink", f"Linked {b.code}"):
        assert text in html, text
    html = client.get(reverse("web:dispatch_panel", args=[a.pk]), **en).content.decode()
    assert "Link by code" in html and "Linked: " in html
    r = client.post(reverse("web:appeal_action", args=[a.pk, "edit"]), edit_data(a), **HX, **en)
    assert "Nothing was changed" in r.content.decode()


# --- query counts -----------------------------------------------------------------------------


def test_pages_with_links_stay_under_30_queries(
    client, org, loop, make_appeal, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hub = make_appeal("东门路灯不亮")
    others = [make_appeal(f"东门路灯不亮第{i}次反映") for i in range(3)]
    for o in others:
        routing_actions.link_appeals(hub, actor=org.dispatcher, other=o)
    routing_actions.link_appeals(
        hub, actor=org.dispatcher, other=loop.in_progress(make_appeal("东门路灯又坏"))
    )
    urls = [
        reverse("web:appeal", args=[hub.pk]),
        reverse("web:dispatch_panel", args=[hub.pk]),
        reverse("web:dispatch") + f"?tab=new&id={hub.pk}",
    ]
    client.force_login(org.dispatcher)

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    for url in urls:
        with django_assert_max_num_queries(30, info=url):
            client.get(url)
    before = counts()
    print("queries (appeal page, panel, centre with panel):", before)
    assert max(before) <= 30
    # More links: the same number of queries (no query per linked appeal).
    for i in range(4):
        routing_actions.link_appeals(hub, actor=org.dispatcher, other=make_appeal(f"再加{i}"))
    counts()  # the duplicates engine's cache is keyed on the newest appeal: warm it again
    assert counts() == before


# --- in a real browser --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_link_and_edit_by_clicking(org_tx, new_desk_page):
    from playwright.sync_api import expect

    from minhu.appeals import actions

    from .test_browser import login as browser_login

    org = org_tx

    def register(subject):
        return actions.register_appeal(
            actor=None,
            channel="h5",
            subject=subject,
            detail="东一社区东门路灯已经坏了两周，老人晚上出门很不方便。",
            appellant_name="王女士",
            appellant_phone=PHONE,
            grid=org.grid1,
        )

    first = register("东门路灯不亮")
    second = register("东门路灯不亮好几天了")
    page = new_desk_page()
    browser_login(page, "dispatcher")
    page.goto(page.base + f"/dispatch/?tab=new&id={second.pk}")
    row = page.locator("#panel tbody tr", has_text=first.code)
    row.locator("button[data-action=link]").click()
    expect(page.locator("#panel .flash-success")).to_contain_text(f"已关联 {first.code}")
    expect(page.locator(f"#panel [data-linked='{first.pk}']")).to_be_visible()
    expect(page.locator("#panel [data-links]")).to_contain_text(first.code)

    page.goto(page.base + f"/appeals/{first.pk}/")
    expect(page.locator("#links")).to_contain_text(second.code)
    page.locator("summary", has_text="修改信息").click()
    form = page.locator("form[data-form=edit]")
    expect(form.locator("input[name=subject]")).to_have_value("东门路灯不亮")
    form.locator("input[name=subject]").fill("灯")
    form.locator("button[data-action=edit]").click()
    expect(page.locator("form[data-form=edit] .err")).to_have_text("标题至少2个字")
    form = page.locator("form[data-form=edit]")
    form.locator("input[name=subject]").fill("东门两盏路灯不亮")
    form.locator("input[name=address]").fill("东一社区东门")
    form.locator("button[data-action=edit]").click()
    expect(page.locator("#appeal-main .flash-success")).to_contain_text("信息已修改")
    expect(page.locator(".a-title h2")).to_have_text("东门两盏路灯不亮")
    expect(page.locator(".timeline")).to_contain_text("修改：地址、标题")
