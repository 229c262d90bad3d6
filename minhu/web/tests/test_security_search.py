"""Issue 14 item 1: a masked phone cannot be recovered through search; staff pages are
rate-limited."""

import pytest

from minhu.appeals.access import appeals_visible_to, can_see_phone
from minhu.appeals.tests.factories import dispatched, register

pytestmark = pytest.mark.django_db

PHONE = "13912345841"


def _codes(client, user, q, path="/appeals/"):
    client.force_login(user)
    r = client.get(path, {"q": q})
    assert r.status_code == 200
    return r.content.decode()


def test_phone_search_only_where_the_phone_is_visible(client, org):
    a = dispatched(org, phone=PHONE)  # lead street1, assisting dept2
    a.refresh_from_db()
    register(org, phone="13800000000", subject="别的诉求")
    for user, may in [
        (org.dispatcher, True),
        (org.callback, True),
        (org.s1_handler, True),
        (org.s1_leader, True),
        (org.district_leader, False),  # sees the appeal, phone masked
        (org.d2_handler, False),  # assisting unit: sees it, phone masked
        (org.grid1_worker, False),
    ]:
        assert appeals_visible_to(user).filter(pk=a.pk).exists()
        assert can_see_phone(user, a) is may
        for q in ("12345841", "1391234", PHONE, "139-1234-5841"):
            html = _codes(client, user, q)
            assert (a.code in html) is may, (user.username, q)


def test_masked_phone_digit_by_digit_guessing_finds_nothing(client, org):
    """The attack of the issue: `q=NNN5841` for every NNN as a leader."""
    a = dispatched(org, phone=PHONE)
    client.force_login(org.district_leader)
    for prefix in ("000", "123", "234", "345"):
        r = client.get("/appeals/", {"q": prefix + "5841"})
        assert a.code not in r.content.decode()


def test_workbench_dispatch_and_follow_up_search_masked_too(client, org):
    a = dispatched(org, phone=PHONE)
    for path in ("/workbench/", "/dispatch/", "/follow-up/"):
        client.force_login(org.d2_handler)
        r = client.get(path, {"q": "12345841"})
        assert a.code not in r.content.decode(), path


def test_staff_search_rate_limit(client, org, settings):
    settings.MINHU_RATE_LIMITS = {"staff_search": (3, 600)}
    client.force_login(org.district_leader)
    for _ in range(3):
        assert client.get("/appeals/", {"q": "路灯"}).status_code == 200
    r = client.get("/appeals/", {"q": "路灯"})
    assert r.status_code == 429
    assert "请求过于频繁" in r.content.decode() and r["Retry-After"] == "600"
    assert client.get("/appeals/").status_code == 200  # browsing without search still works
    client.force_login(org.dispatcher)  # per user
    assert client.get("/appeals/", {"q": "路灯"}).status_code == 200


def test_staff_page_rate_limit(client, org, settings):
    settings.MINHU_RATE_LIMITS = {"staff_page": (5, 60)}
    client.force_login(org.s1_handler)
    codes = [client.get("/appeals/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
