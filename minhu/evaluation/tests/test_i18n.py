"""The accountability pages in English through Django i18n (Accept-Language or the language
cookie), Chinese by default; xlsx ledgers in the language active when they are generated; texts
kept in the database stay Chinese whatever the language of the request that wrote them."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from minhu.core.errors import InvalidInput
from minhu.evaluation import actions, ledgers
from minhu.evaluation.models import HarmfulConduct, Interview
from minhu.evaluation.periods import Period

from .helpers import TEN, at, follow_up

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MARCH = Period("2025-03")
CJK = re.compile(r"[\u4e00-\u9fff]")


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
def _no_language_left_over():
    translation.deactivate()
    yield
    translation.deactivate()


def seed(org) -> None:
    t = at(2025, 3, 10, 10, 0)
    for contacted, solved, sat in TEN:
        follow_up(org, org.street1, contacted=contacted, solved=solved, satisfaction=sat, when=t)
    follow_up(org, org.street2, when=t, grid=org.grid2)
    follow_up(org, org.dept1, when=t)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def assert_english(page: str, english: list[str], chinese: list[str]) -> None:
    for s in english:
        assert s in page, f"missing English {s!r}"
    for s in chinese:
        assert s not in page, f"Chinese {s!r} still shown"


def test_dashboard_in_english_and_chinese_by_default(client, org):
    seed(org)
    client.force_login(org.district_leader)
    url = reverse("evaluation:dashboard") + "?period=2025-03"
    page = html(client.get(url, **EN))
    assert_english(
        page,
        [
            "Dashboard",
            "Rankings",
            "Red and black lists",
            "Evaluations",
            "Ledgers",
            "Response rate",
            "Resolution rate",
            "Satisfaction rate",
            "Composite score",
            "Appeals received per day",
            "March 2025",
            "Whole district",
        ],
        ["数据看板", "考核排名", "响应率", "解决率", "综合得分", "每日受理量", "2025年3月"],
    )
    assert '<html lang="en">' in page
    # The charts' series names come with the data, in the page's language.
    data = json.loads(re.search(r'id="ev-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["labels"]["volume"] == "Appeals received"
    assert data["labels"]["response_rate"] == "Response rate"
    assert data["by_channel"]  # channel names translated too
    assert not any(CJK.search(name) for name, _n in data["by_channel"])

    page = html(client.get(url))
    assert "数据看板" in page and "响应率" in page and "2025年3月" in page
    assert "Dashboard" not in page and "Response rate" not in page
    data = json.loads(re.search(r'id="ev-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["labels"]["volume"] == "受理量"


def test_rankings_in_english_through_the_language_cookie(client, org):
    seed(org)
    client.force_login(org.district_leader)
    url = reverse("evaluation:rankings") + "?period=2025-03"
    page = html(client.get(url))
    assert "考核排名" in page and "Rankings" not in page

    r = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert r.status_code == 302
    page = html(client.get(url))  # no Accept-Language: the cookie decides
    assert_english(
        page,
        [
            "Rankings",
            "Street/town",
            "District department",
            "Valid follow-ups",
            "Rank change",
            "Not published (live figures)",
            "Publish and freeze the March 2025 rankings",
        ],
        ["考核排名", "有效回访", "名次变化", "未发布"],
    )
    assert "东街道" in page and "73.80" in page  # data stays as it is

    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    page = html(client.get(url))
    assert "考核排名" in page and "名次变化" in page and "Rank change" not in page


def test_public_red_black_page_in_english(client, org):
    n = actions.nominate(
        actor=org.dispatcher,
        list_kind="red",
        period=MARCH,
        unit=org.street1,
        reason="接诉即办满意率全区第一",
    )
    actions.decide_nomination(n, actor=org.district_leader, approve=True)
    url = reverse("evaluation:public_redblack")
    page = html(client.get(url, **EN))
    n_conducts = HarmfulConduct.objects.filter(active=True).count()
    assert_english(
        page,
        [
            "Business environment red and black lists",
            "Red list",
            "Black list",
            "None this period",
            f"{n_conducts} kinds of conduct harming the business environment",
        ],
        ["营商环境红黑榜", "红榜", "黑榜", "本期暂无", "类损害营商环境的行为"],
    )
    # The nomination is data: as written.
    assert "接诉即办满意率全区第一" in page and "东街道" in page

    page = html(client.get(url))
    assert "营商环境红黑榜" in page and "Red list" not in page


def test_other_staff_pages_render_in_english(client, org):
    seed(org)
    client.force_login(org.district_leader)
    expected = {
        "/evaluation/rates/?period=2025-03&metric=solved": ["Formula", "Solved", "Metric"],
        "/evaluation/evaluations/": ["Grassroots rate departments", "Residents rate services"],
        "/evaluation/interviews/": ["Interviews", "Once rankings or ratings are published"],
        "/evaluation/redblack/?period=2025-03": ["Nominate by hand", "required for the black list"],
        "/evaluation/supervision/": ["Supervise an appeal", "Put under supervision"],
        "/evaluation/ledgers/": ["Ledger export (xlsx)", "Unit ledger", "Download"],
        "/evaluation/config/": ["Evaluation rules", "Default evaluation rules", "Phone call"],
    }
    for url, english in expected.items():
        page = html(client.get(url, **EN))
        assert_english(page, english, ["数据看板", "考核规则"])


def test_domain_errors_in_english_codes_unchanged(client, org):
    seed(org)
    client.force_login(org.district_leader)
    # Publishing a period that has not ended: the flash message follows the language.
    r = client.post(reverse("evaluation:publish"), {"period": "2999-01"}, follow=True, **EN)
    assert "January 2999 has not ended yet; its rankings cannot be published" in html(r)
    r = client.post(reverse("evaluation:publish"), {"period": "2999-01"}, follow=True)
    assert "2999年1月尚未结束，不能发布排名" in html(r)

    with translation.override("en"):
        with pytest.raises(InvalidInput) as e:
            actions.flag_for_interview(
                actor=org.district_leader, unit=org.street1, period=MARCH, reason="短"
            )
    assert e.value.message == "Please fill in Reason for the interview (at least 4 characters)"
    assert e.value.code == "required"

    r = client.post(
        reverse("evaluation-publish"),
        {"period": "2999-01"},
        content_type="application/json",
        **EN,
    )
    assert r.status_code == 409
    body = r.json()["error"]
    assert body["code"] == "period_not_ended"
    assert body["message"] == "January 2999 has not ended yet; its rankings cannot be published"


def test_stored_texts_stay_chinese_when_an_english_request_writes_them(client, org):
    seed(org)
    client.force_login(org.district_leader)
    r = client.post(reverse("evaluation:publish"), {"period": "2025-03"}, **EN)
    assert r.status_code == 302
    reasons = list(Interview.objects.values_list("reason", flat=True))
    assert reasons, "the street below the interview line is flagged"
    for reason in reasons:
        assert "排名" in reason and "Street/town" not in reason and "ranking" not in reason
    # Shown as stored on the English page.
    page = html(client.get(reverse("evaluation:interviews"), **EN))
    assert reasons[0] in page and "Interview pending" in page


def test_period_labels_follow_the_language():
    assert Period("2025-03").label == "2025年3月"
    with translation.override("en"):
        assert Period("2025-03").label == "March 2025"
        assert Period("2025-03", 19).label == "March 2025 (February 19 – March 18)"
    assert Period("2025-03", 19).label == "2025年3月（02月19日—03月18日）"


def _sheet(f) -> list[list]:
    ws = openpyxl.load_workbook(f).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_xlsx_ledger_headers_in_the_language_active_at_generation(org):
    appeal = follow_up(org, org.street1).appeal
    appeal.refresh_from_db()
    with translation.override("en"):
        status_en = str(appeal.get_status_display())
        req = ledgers.build(org.s1_leader, "unit", unit_id=org.street1.pk)
        rows = _sheet(ledgers.render(req))
    assert rows[0][0].startswith("Problem ledger of 东街道 (")
    assert rows[1][:6] == ["No.", "Work order no.", "Registered", "Channel", "Appellant", "Problem"]
    assert "Lead unit" in rows[1] and "Satisfaction" in rows[1] and "Remedy deadline" in rows[1]
    assert not any(CJK.search(str(h)) for h in rows[1])
    status_col = ledgers.headers().index("状态")
    assert rows[2][status_col] == status_en and not CJK.search(status_en)  # values in English too
    assert rows[2][5] == "路灯不亮"  # data as entered

    # The same ledger in the default language.
    rows = _sheet(ledgers.render(ledgers.build(org.s1_leader, "unit", unit_id=org.street1.pk)))
    assert rows[1] == ledgers.headers() and rows[1][:3] == ["序号", "工单编号", "受理时间"]
    assert "东街道问题台账" in rows[0][0]


def test_xlsx_ledger_download_in_english(client, org):
    follow_up(org, org.street1)
    client.force_login(org.s1_leader)
    url = reverse("evaluation:ledger_download") + f"?kind=unit&unit={org.street1.pk}"
    r = client.get(url, **EN)
    assert r.status_code == 200
    assert (
        "Problem%20ledger%20of" in r["Content-Disposition"]
        or "Problem ledger of" in (r["Content-Disposition"])
    )
    rows = _sheet(io.BytesIO(b"".join(r.streaming_content)))
    assert rows[1][:3] == ["No.", "Work order no.", "Registered"]
    r = client.get(url)
    rows = _sheet(io.BytesIO(b"".join(r.streaming_content)))
    assert rows[1][:3] == ["序号", "工单编号", "受理时间"]
