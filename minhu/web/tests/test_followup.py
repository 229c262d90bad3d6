"""Follow-up (回访) queue and closing (销号)."""

import pytest
from django.urls import reverse

from minhu.appeals import actions
from minhu.appeals.models import Appeal, FollowUp, Status

from .conftest import HX, PHONE

pytestmark = pytest.mark.django_db


def fq(client, query=""):
    return client.get(reverse("web:follow_up") + query)


def queue(html):
    return html.split('id="queue"', 1)[1].split("</table>", 1)[0]


def post(client, a, name, data):
    return client.post(
        reverse("web:appeal_action", args=[a.pk, name]), {"_from": "fu", **data}, **HX
    )


def test_access(login, org):
    for user in (org.s1_handler, org.district_leader, org.grid1_worker):
        assert fq(login(user)).status_code == 403
    for user in (org.callback, org.dispatcher, org.admin):
        assert fq(login(user)).status_code == 200


def test_queue_and_panel(login, org, loop, make_appeal):
    a = loop.replied(make_appeal("路灯修好了吗"))
    b = loop.resolved(make_appeal("还没答复的"))
    client = login(org.callback)
    html = fq(client).content.decode()
    assert a.code in queue(html) and b.code not in queue(html)
    # The callback operator sees the full phone number to call.
    assert PHONE in html and "提交回访结果" in html
    assert 'id="count-pending">1<' in html and 'id="count-close">0<' in html


def test_follow_up_moves_to_close_tab(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    client = login(org.callback)
    r = post(
        client,
        a,
        "follow_up",
        {
            "_tab": "pending",
            "reached": "1",
            "contacted": "1",
            "solved": "1",
            "satisfaction": "basic",
            "comment": "还行",
        },
    )
    html = r.content.decode()
    assert "回访已记录" in html
    assert f'id="row-{a.pk}" hx-swap-oob="delete"' in html
    assert 'id="count-close" hx-swap-oob="true">1<' in html
    assert "/act/close/" not in html  # the callback operator does not close
    fu = FollowUp.objects.get(appeal=a)
    assert fu.satisfaction == "basic" and fu.comment == "还行" and fu.actor == org.callback
    html = fq(login(org.dispatcher), "?tab=close").content.decode()
    assert a.code in queue(html) and "/act/close/" in html


def test_incomplete_answers_are_an_inline_error(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    r = post(login(org.callback), a, "follow_up", {"reached": "1", "contacted": "1"})
    assert "请完整填写三项回访结果" in r.content.decode()
    assert not FollowUp.objects.filter(appeal=a).exists()


def test_three_unreached_calls_allow_closing(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    client = login(org.callback)
    for _ in range(2):
        r = post(client, a, "follow_up", {"_tab": "pending", "reached": "0"})
        assert "已记录：未接通" in r.content.decode()
        assert 'hx-swap-oob="delete"' not in r.content.decode()  # still waiting
    r = post(client, a, "follow_up", {"_tab": "pending", "reached": "0"})
    assert 'hx-swap-oob="delete"' in r.content.decode()
    html = fq(client, "?tab=close").content.decode()
    assert a.code in queue(html)
    r = post(login(org.dispatcher), a, "close", {"_tab": "close"})
    assert "已销号" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.CLOSED


def test_close_before_follow_up_is_refused(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    r = post(login(org.dispatcher), a, "close", {"_tab": "pending"})
    assert "尚未回访" in r.content.decode()
    assert Appeal.objects.get(pk=a.pk).status == Status.REPLIED


def test_unsatisfied_leaves_the_queue_and_reopens(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    r = post(
        login(org.callback),
        a,
        "follow_up",
        {
            "_tab": "pending",
            "reached": "1",
            "contacted": "1",
            "solved": "0",
            "satisfaction": "unsatisfied",
        },
    )
    assert 'hx-swap-oob="delete"' in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_resident_rating_counts_as_followed_up(login, org, loop, make_appeal):
    a = loop.replied(make_appeal())
    actions.rate(a.code, phone=PHONE, satisfaction="satisfied")
    html = fq(login(org.dispatcher), "?tab=close").content.decode()
    assert a.code in queue(html)
