"""The consultation pages through the test client: a topic raised from an appeal's page, topic
search, meeting photos through the scope-checked view, members' phones masked by role, no
有事好商量 menu for outside-party handlers."""

from __future__ import annotations

from django.urls import reverse

from minhu.appeals.tests.factories import dispatched
from minhu.consultation import actions
from minhu.consultation.models import Topic, TopicSource

from .test_consultation import _held, _media, room  # noqa: F401  (fixtures)


def test_a_topic_from_an_appeal_page(client, org, room):  # noqa: F811
    appeal = dispatched(org)
    client.force_login(org.c1_handler)
    page = client.get(reverse("web:appeal", args=[appeal.pk])).content.decode()
    link = reverse("consultation:new_topic") + f"?appeal={appeal.pk}"
    assert link in page.replace("&amp;", "&")
    form = client.get(link).content.decode()
    assert room.name in form and appeal.subject in form
    r = client.post(
        reverse("consultation:new_topic"),
        {"appeal": appeal.pk, "room": room.pk, "title": appeal.subject, "detail": appeal.detail},
    )
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"#t{topic.pk}")
    assert topic.source == TopicSource.APPEAL and topic.appeal_id == appeal.pk
    assert topic.raised_by_phone == appeal.appellant_phone
    # Someone who cannot see the appeal gets "not found".
    client.force_login(org.s2_handler)
    assert client.get(link).status_code == 404


def test_topic_search_photos_and_member_phones(client, org, room):  # noqa: F811
    topic, meeting = _held(org, room)
    actions.raise_topic(room, actor=org.c1_handler, title="小区快递柜", detail="快递堆在门卫室。")
    url = reverse("consultation:room", args=[room.pk])
    client.force_login(org.c1_handler)
    page = client.get(url + "?tq=快递").content.decode()
    assert "小区快递柜" in page and "3号楼楼道灯长期不亮" not in page.split('id="meetings"')[0]
    page = client.get(url).content.decode()
    assert "13700001001" in page  # the room's own community: the number in full
    photo = meeting.photos.get()
    src = reverse("consultation:photo", args=[photo.pk])
    assert src in page
    r = client.get(src)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"".join(r.streaming_content)[:2] == b"\xff\xd8"

    # The street's leader may open the room: the members' numbers masked.
    client.force_login(org.s1_leader)
    page = client.get(url).content.decode()
    assert "13700001001" not in page and "137****1001" in page
    # Outside the room's street: the room and its photos are not found.
    client.force_login(org.s2_handler)
    assert client.get(url).status_code == 404
    assert client.get(src).status_code == 404


def test_no_consultation_menu_for_an_outside_party(client, org, room):  # noqa: F811
    client.force_login(org.prop_handler)
    page = client.get(reverse("web:workbench")).content.decode()
    assert 'href="/consultation/"' not in page
    client.force_login(org.c1_handler)
    assert 'href="/consultation/"' in client.get(reverse("web:workbench")).content.decode()


def test_member_phone_is_masked_in_the_rooms_own_page_only_for_others(org, room):  # noqa: F811
    from minhu.consultation.views import may_see_member_phones

    assert may_see_member_phones(org.c1_handler, room)
    assert may_see_member_phones(org.dispatcher, room)
    assert not may_see_member_phones(org.s1_leader, room)
    assert not may_see_member_phones(org.district_leader, room)
