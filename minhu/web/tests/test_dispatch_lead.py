"""Changing the category in the dispatch form looks the dispatch catalogue up again: the lead
(and assisting) units follow the new category, and the form says that the lead unit changed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from minhu.appeals import actions
from minhu.categories.models import Category
from minhu.routing import actions as routing_actions
from minhu.routing.models import LeadLocal

from .test_browser import login as browser_login
from .test_browser import register


def catalogue(org):
    """路灯照明 → the appeal's street with 区城管局 assisting; 治安隐患 → 区教育局 (a rule)."""
    security = Category.objects.create(name="治安隐患", code="security", parent=org.top_category)
    routing_actions.save_dispatch_rule(
        actor=org.dispatcher,
        category=org.category,
        lead_local=LeadLocal.STREET,
        assist_units=[org.dept1],
    )
    routing_actions.save_dispatch_rule(actor=org.dispatcher, category=security, lead_unit=org.dept3)
    return security


def lead_hint(client, appeal, **params):
    return client.get(reverse("web:dispatch_lead", args=[appeal.pk]), params)


@pytest.mark.django_db
def test_lead_follows_the_new_category(login, org, make_appeal):
    security = catalogue(org)
    appeal = make_appeal("小区门口有人聚众赌博")
    client = login(org.dispatcher)
    r = lead_hint(client, appeal, category=security.pk, lead_unit=org.street1.pk)
    html = r.content.decode()
    assert f'data-lead="{org.dept3.pk}"' in html and 'data-lead-changed="1"' in html
    assert "主办单位改为 区教育局（原为 东街道）" in html
    # Back to 路灯照明: the street of the appeal's grid, with the city management assisting.
    r = lead_hint(client, appeal, category=org.category.pk, lead_unit=org.dept3.pk)
    html = r.content.decode()
    assert f'data-lead="{org.street1.pk}"' in html and f'data-assist="{org.dept1.pk}"' in html
    # The grid chosen in the form counts: a grid of the west street gives the west street.
    r = lead_hint(client, appeal, category=org.category.pk, grid=org.grid2.pk)
    assert f'data-lead="{org.street2.pk}"' in r.content.decode()
    # Unchanged: said so, not as a change.
    r = lead_hint(client, appeal, category=security.pk, lead_unit=org.dept3.pk)
    assert (
        'data-lead-changed="0"' in r.content.decode() and "仍由 区教育局 主办" in r.content.decode()
    )


@pytest.mark.django_db
def test_no_catalogue_entry_and_returned_unit_are_said(login, org, make_appeal):
    catalogue(org)
    bare = Category.objects.create(name="其他", code="other", parent=org.top_category)
    appeal = make_appeal()
    client = login(org.dispatcher)
    html = lead_hint(client, appeal, category=bare.pk).content.decode()
    assert 'data-lead=""' in html and "派单目录中没有「其他」" in html
    # A unit that returned the appeal is not proposed again.
    actions.classify(appeal, actor=org.dispatcher, category=org.category)
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.return_appeal(appeal, actor=org.s1_handler, reason="不属于本街道管辖范围")
    html = lead_hint(client, appeal, category=org.category.pk).content.decode()
    assert 'data-lead=""' in html and "已退回过本诉求" in html


@pytest.mark.django_db
def test_lead_hint_is_for_the_centre_only(login, org, make_appeal):
    appeal = make_appeal()
    assert lead_hint(login(org.s1_handler), appeal, category=org.category.pk).status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_panel_reproposes_the_lead_unit_on_category_change(org_tx, new_desk_page):
    org = org_tx
    security = catalogue(org)
    appeal = register(
        org, "小区路灯不亮还有人夜里聚集", "东一社区北门路灯不亮，夜里常有人聚集喝酒。"
    )
    page = new_desk_page()
    browser_login(page, "dispatcher")
    page.goto(page.base + f"/dispatch/?id={appeal.pk}")
    panel = page.locator("#panel")
    panel.locator("select[data-cat-top]").select_option(str(org.top_category.pk))
    panel.locator("select[data-cat-sub]").select_option(str(org.category.pk))
    expect(panel.locator("[data-lead-hint]")).to_contain_text("东街道")
    expect(panel.locator("#id_lead_unit")).to_have_value(str(org.street1.pk))
    expect(
        panel.locator(f"input[type=checkbox][name=assist_units][value='{org.dept1.pk}']")
    ).to_be_checked()
    # 路灯照明 → 治安隐患: the lead unit changes and the form says so.
    panel.locator("select[data-cat-sub]").select_option(str(security.pk))
    expect(panel.locator("[data-lead-hint]")).to_contain_text(
        "主办单位改为 区教育局（原为 东街道）"
    )
    expect(panel.locator("#id_lead_unit")).to_have_value(str(org.dept3.pk))
    expect(
        panel.locator(f"input[type=checkbox][name=assist_units][value='{org.dept1.pk}']")
    ).not_to_be_checked()
    panel.locator("button[data-action=dispatch]").click()
    expect(page.locator("#panel")).to_contain_text("已派单")
    appeal.refresh_from_db()
    assert appeal.lead_unit_id == org.dept3.pk and appeal.category_id == security.pk
