"""有事好商量's API: scope (a property company and another street see no rooms; 404 outside),
members' phones masked by role, topic search, meetings with their decisions' work items."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from minhu.consultation import actions

from .test_consultation import _held, _media, room  # noqa: F401  (fixtures)


def _get(user, url):
    c = APIClient()
    c.force_authenticate(user)
    return c.get(url)


def test_rooms_topics_meetings_scoped(org, room):  # noqa: F811
    topic, meeting = _held(org, room)
    due = timezone.localdate() + dt.timedelta(days=5)
    d = actions.decide(
        meeting, actor=org.c1_handler, text="物业公司重新布线", unit=org.prop, due_on=due
    )

    body = _get(org.c1_handler, "/api/v1/consultation/rooms/").json()
    [r] = body["results"]
    assert r["name"] == room.name and r["figures"]["meetings_held"] == 1
    assert "13700001001" in {m["phone"] for m in r["members"]}
    r = _get(org.s1_leader, f"/api/v1/consultation/rooms/{room.pk}/").json()
    assert "137****1001" in {m["phone"] for m in r["members"]}

    for outsider in (org.s2_handler, org.prop_handler):
        assert _get(outsider, "/api/v1/consultation/rooms/").json()["results"] == []
        assert _get(outsider, f"/api/v1/consultation/rooms/{room.pk}/").status_code == 404
        assert _get(outsider, f"/api/v1/consultation/meetings/{meeting.pk}/").status_code == 404

    actions.raise_topic(room, actor=org.c1_handler, title="小区快递柜", detail="快递堆在门卫室。")
    rows = _get(org.c1_handler, "/api/v1/consultation/topics/?q=快递").json()["results"]
    assert [t["title"] for t in rows] == ["小区快递柜"]
    m = _get(org.c1_handler, f"/api/v1/consultation/meetings/{meeting.pk}/").json()
    [dec] = m["decisions"]
    assert dec["item"]["code"] == d.item.code and dec["unit"]["id"] == org.prop.pk
    assert len(m["photos"]) == 1 and m["photos"][0].startswith("/consultation/photos/")
    assert topic.title == m["topic"]["title"]
