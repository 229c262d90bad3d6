"""公开阅卷: the public figures page and its API (no login): the district only, ended periods
only, rate-limited per client address (one counter for the page and the API), cached, and at
375 px on a phone without sideways scrolling."""

from __future__ import annotations

import pytest
from django.test import override_settings

from minhu.evaluation import actions as ev_actions
from minhu.evaluation.periods import current_period, last_ended_period

from .helpers import follow_up

pytestmark = pytest.mark.django_db


def test_only_districts_and_ended_periods_are_public(client, org):
    assert client.get(f"/evaluation/public/{org.street1.pk}/").status_code == 404
    r = client.get(f"/api/v1/evaluation/public/exam/{org.street1.pk}/")
    assert r.status_code == 404
    assert client.get("/api/v1/evaluation/public/exam/999999/").status_code == 404

    running = current_period().key
    r = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/?period={running}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "period_not_ended"
    r = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/?period=2025-13")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_period"
    # The page says so in Chinese and shows the last ended period instead.
    r = client.get(f"/evaluation/public/{org.district.pk}/?period={running}")
    assert r.status_code == 400
    assert "尚未结束，结束后公布" in r.content.decode()
    assert r.context["period"] == last_ended_period()


def test_an_empty_period_says_so(client, org):
    r = client.get(f"/evaluation/public/{org.district.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "本期排名尚未发布" in html and "本期暂无受理" in html
    data = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/").json()
    assert data["period"]["key"] == last_ended_period().key
    assert data["rankings"] == [] and data["volume"]["registered"] == 0
    assert {f["key"]: f["value"] for f in data["rates"]}["satisfaction_rate"] is None


@override_settings(MINHU_H5_LIMITS={"page": (3, 600)})
def test_page_and_api_share_one_rate_limit(client, org):
    assert client.get(f"/evaluation/public/{org.district.pk}/").status_code == 200
    assert client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/").status_code == 200
    assert client.get("/api/v1/evaluation/public/redblack/").status_code == 200
    r = client.get(f"/api/v1/evaluation/public/exam/{org.district.pk}/")
    assert r.status_code == 429 and r.json()["error"]["code"] == "throttled"
    r = client.get(f"/evaluation/public/{org.district.pk}/")
    assert r.status_code == 429 and "操作过于频繁" in r.content.decode()
    assert client.get("/evaluation/public/redblack/").status_code == 429


def test_the_figures_are_cached_and_a_new_ranking_version_shows_at_once(
    client, org, django_assert_max_num_queries
):
    period = last_ended_period()
    follow_up(org, org.street1, when=period.start.replace(day=3, hour=10))
    url = f"/api/v1/evaluation/public/exam/{org.district.pk}/"
    first = client.get(url).json()
    assert first["rankings"] == []
    with django_assert_max_num_queries(6):
        assert client.get(url).json() == first  # from the cache
    ev_actions.publish_ranking(actor=org.district_leader, period=period)
    published = client.get(url).json()
    groups = {g["group"]: g for g in published["rankings"]}
    assert set(groups) == {"street", "department"}
    row = next(r for r in groups["street"]["rows"] if r["unit_name"] == org.street1.name)
    assert (row["rank"], row["satisfaction_rate"]) == (1, "100.00")
    assert groups["street"]["frozen_at"].endswith("+08:00")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_exam_fits_a_phone(phone_page, org):
    period = last_ended_period()
    follow_up(org, org.street1, when=period.start.replace(day=3, hour=10))
    ev_actions.publish_ranking(actor=org.district_leader, period=period)
    page = phone_page
    page.goto(page.base + "/evaluation/public/")
    assert page.locator("h1").inner_text().startswith(org.district.name)
    assert page.locator("[data-figure=satisfaction_rate] b").inner_text() == "100.00%"
    assert page.locator("[data-group=street] tbody tr").count() == 2
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width


def test_the_public_page_in_english(client, org):
    from django.core.management import call_command

    call_command("compilemessages", locale=["en"], verbosity=0)
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    html = client.get(
        f"/evaluation/public/{org.district.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for text in ("Public results", "Follow-up rates", "Interviews and public promises"):
        assert text in html, text
    for text in ("公开阅卷", "群众回访三率", "约谈与公开承诺", "本期排名尚未发布"):
        assert text not in html, text
