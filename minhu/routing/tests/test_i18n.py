"""The routing pages and fragments in English through Django i18n (Accept-Language or the
language cookie), Chinese by default. Duplicate reasons, reply-check warnings and the reasons a
proposal was not dispatched follow the reader's language; the stored proposal stays Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from minhu.core.errors import InvalidInput
from minhu.orgs.testing import PASSWORD
from minhu.routing import actions, classifier, location, proposals
from minhu.routing.models import DispatchRule, RoutingDecision

from .helpers import days_ago, register

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CJK = re.compile(r"[\u4e00-\u9fff]")
PARKING = "阳光小区东门长期有车辆乱停乱放，堵塞消防通道，居民出行困难，希望尽快整治"
HOTSPOT = [
    ("阳光小区停车难，车位严重不足", "阳光小区车位严重不足，晚上回家找不到停车位，希望增加车位"),
    ("阳光小区车位不足停车难", "小区停车位太少，车辆只能停在消防通道上，停车难问题严重"),
    ("反映阳光小区停车难问题", "阳光小区停车难，车位不够，物业不管，希望规划停车位"),
    ("阳光小区停车位太少", "阳光小区停车位太少了，每天晚上停车难，希望增加停车位"),
]


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """The .mo is a build product (git ignores it): compile it when missing or stale."""
    po = Path(settings.BASE_DIR) / "minhu" / "locale" / "en" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        call_command("compilemessages", locale=["en"], verbosity=0)
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture(autouse=True)
def _clean():
    translation.deactivate()
    cache.clear()
    classifier.clear_cache()
    location.clear_cache()
    yield
    translation.deactivate()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_english(page: str, english: list[str], chinese: list[str]) -> None:
    for s in english:
        assert s in page, f"missing English {s!r}"
    for s in chinese:
        assert s not in page, f"Chinese {s!r} still shown"


def test_routing_admin_page_in_english_and_chinese_by_default(client, org):
    login(client, org.dispatcher)
    url = reverse("routing:admin")
    page = html(client.get(url, **EN))
    assert_english(
        page,
        [
            "Smart routing",
            "Dispatch catalogue",
            "Hotspots",
            "Routing settings",
            "Enable automatic dispatch",
            "Confidence threshold for automatic dispatch",
            "No classification model is active",
            "Places and grid boundaries",
            "Recent corrections",
        ],
        ["智能分拨", "分拨设置", "派单目录", "尚未启用分类模型", "热点问题"],
    )
    assert '<html lang="en">' in page

    page = html(client.get(url))
    assert "智能分拨" in page and "分拨设置" in page and "尚未启用分类模型" in page
    assert "Routing settings" not in page and "Smart routing" not in page


def test_routing_admin_through_the_language_cookie(client, org):
    login(client, org.dispatcher)
    url = reverse("routing:admin")
    r = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert r.status_code == 302 and r["Location"] == url
    page = html(client.get(url))
    assert "Routing settings" in page and "分拨设置" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    page = html(client.get(url))
    assert "分拨设置" in page and "Routing settings" not in page


def test_dispatch_catalogue_in_english(client, org):
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept1)
    login(client, org.dispatcher)
    page = html(client.get(reverse("routing:rules"), **EN))
    assert_english(
        page,
        ["Dispatch catalogue", "New rule", "All areas", "Whole district", "Disable this rule?"],
        ["派单目录", "全部区域", "全区", "停用这条规则"],
    )
    assert org.category.name in page and org.dept1.name in page  # data as entered
    page = html(client.get(reverse("routing:rule_new"), **EN))
    assert "New dispatch rule" in page and "Area" in page and "新建派单规则" not in page


def test_hotspots_page_in_english_and_chinese_by_default(client, org):
    appeals = [
        register(org, s, d, grid=org.grid1, created_at=days_ago(0.01 * i))
        for i, (s, d) in enumerate(HOTSPOT)
    ]
    login(client, org.district_leader)
    url = reverse("routing:hotspots")
    month = timezone.localdate().replace(day=1)
    r = client.post(
        reverse("routing:problem_mark"),
        {
            "title": "阳光小区停车难",
            "month": f"{month:%Y-%m}",
            "appeal_ids": ",".join(str(a.pk) for a in appeals),
            "street": org.street1.pk,
            "next": url,
        },
        **EN,
    )
    assert r.status_code == 302
    page = html(client.get(url, **EN))
    with translation.override("en"):
        month_en = date_format(month, "YEAR_MONTH_FORMAT")
    assert_english(
        page,
        [
            "Hotspots",
            "All streets",
            "Show 4 appeals",
            "Set as problem of the month",
            "Support",
            f"Problem of the month, {month_en}",
            "Cancel this problem of the month?",
        ],
        ["热点问题", "全部街道", "件诉求", "设为每月一题", "附议", "每月一题"],
    )
    assert "阳光小区停车难" in page  # titles and subjects are data

    page = html(client.get(url))
    assert "热点问题" in page and "设为每月一题" in page and "查看 4 件诉求" in page
    assert "Hotspots" not in page and "Show 4 appeals" not in page
    assert f"{month.year}年{month.month}月每月一题" in page


def test_proposal_fragment_duplicate_reasons_follow_the_language(client, org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    b = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    login(client, org.dispatcher)
    url = reverse("routing:proposal", args=[a.pk])
    # Chinese first: the duplicate search is cached, but not across languages.
    page = html(client.get(url))
    assert b.code in page and "疑似重复" in page and "同一网格" in page
    page = html(client.get(url, **EN))
    assert_english(
        page,
        ["Possible duplicates", "same grid", "same day", "text similarity", "Link"],
        ["疑似重复", "同一网格", "同一天", "内容相似度"],
    )
    assert b.code in page and b.subject in page


def test_stored_proposal_stays_chinese_and_is_shown_in_the_readers_language(
    org, django_capture_on_commit_callbacks
):
    # Registered during an English request: the system still writes its proposal in Chinese.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        a = register(org, "路灯不亮", "东一社区门口路灯坏了", grid=org.grid1)
    decision = RoutingDecision.objects.get(appeal=a)
    stored = decision.proposal["not_auto_reasons"]
    assert stored and all(CJK.search(r) for r in stored)
    assert "派单目录中没有对应的主办单位" in stored  # no catalogue rule

    with translation.override("en"):
        shown = proposals.proposal_for(a)["not_auto_reasons"]
    assert len(shown) == len(stored)
    assert "The dispatch catalogue has no lead unit for it" in shown
    assert not any(CJK.search(r) for r in shown)
    # The default language reads what was stored; the row itself is unchanged.
    assert proposals.proposal_for(a)["not_auto_reasons"] == stored
    decision.refresh_from_db()
    assert decision.proposal["not_auto_reasons"] == stored


def test_reply_check_warnings_in_english(client, org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    login(client, org.dispatcher)
    url = reverse("routing:reply_check", args=[a.pk])
    page = html(client.post(url, {"text": "已收悉"}, **EN))
    assert_english(
        page,
        [
            "Weak reply: consider improving it before sending",
            "The reply is too short: say what was checked and what the outcome is",
            "No contact details (such as a phone number)",
            "Relevance",
            "Timeliness",
        ],
        ["答复过于简短", "未留联系方式", "相关性"],
    )
    page = html(client.post(url, {"text": "已收悉"}))
    assert "答复过于简短" in page and "The reply is too short" not in page


def test_domain_errors_in_english_codes_unchanged(client, org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    b = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    login(client, org.dispatcher)
    link = reverse("routing:link", args=[a.pk])
    r = client.post(link, {"other": b.code}, HTTP_HX_REQUEST="true", **EN)
    assert "Linked" in html(r)
    r = client.post(link, {"other": b.code}, HTTP_HX_REQUEST="true", **EN)
    assert "These two appeals are already linked" in html(r)

    # The API: the message in English, the code as ever.
    url = reverse("routing-links", args=[a.pk])
    r = client.post(url, {"other": b.code}, content_type="application/json", **EN)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "already_linked"
    assert r.json()["error"]["message"] == "These two appeals are already linked"
    r = client.post(url, {"other": "NOPE"}, content_type="application/json", **EN)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "The appeal to link was not found"

    with translation.override("en"):
        with pytest.raises(InvalidInput) as e:
            actions.update_config(actor=org.dispatcher, threshold=2)
    assert e.value.message == "The value should be between 0.0 and 1.0"
    assert e.value.code == "out_of_range"
    with translation.override("en"):
        assert str(DispatchRule._meta.verbose_name) == "Dispatch catalogue"


def test_auto_dispatch_curve_card_in_english(client, org, tmp_path):
    from .test_commands import write_csv
    from .test_operating import varied_rows

    call_command("route-train", "--csv", str(write_csv(tmp_path / "t.csv", varied_rows(20, 1))))
    assert client.login(username=org.dispatcher.username, password=PASSWORD)
    page = client.get(reverse("routing:admin"), **EN).content.decode()
    card = page.split('id="auto-curve"', 1)[1].split("</section>", 1)[0]
    assert "Automatic dispatch: share and precision" in card and "Required precision" in card
    assert "Threshold 0.85: dispatched automatically 1.000" in card
    data = page.split('id="rt-curve-data"', 1)[1].split("</script>", 1)[0]
    assert "Dispatched automatically" in data and "Current threshold" in data
    assert not CJK.search(card.split("<script", 1)[0]), card
    page = client.get(reverse("routing:admin")).content.decode()
    assert "自动派单：比例与准确率" in page and "要求准确率" in page
