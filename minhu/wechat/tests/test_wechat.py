"""WeChat groups: the register and who keeps it, a keeper's message becoming a work item on
channel `wechat_group`, repeats joining the first item, the answer copied back into the group,
policy posts and problems settled in the group, counts per grid/community/street, the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, AppellantKind, Status
from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.core.models import ConfigChange
from minhu.orgs.models import Role
from minhu.orgs.testing import PASSWORD, make_user
from minhu.wechat import access, actions, answers, stats
from minhu.wechat.models import KIND, GroupMessage, RecordKind, WechatGroup

TEXT = "小区3栋门口的路灯坏了一个星期了，晚上老人出门看不清，麻烦处理一下。"


@pytest.fixture
def group(org):
    return actions.create_group(
        actor=org.c1_handler,
        unit=org.grid1,
        name="东一社区第1网格邻里群",
        keeper=org.grid1_worker,
        member_count=320,
    )


def _answer(org, a: Appeal, text="路灯已更换，今晚恢复照明，谢谢您的反映。") -> Appeal:
    appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
    appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1)
    appeal_actions.claim(a, actor=org.s1_handler)
    appeal_actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="路灯已经更换")
    appeal_actions.reply(a, actor=org.s1_handler, text=text)
    a.refresh_from_db()
    return a


def test_register_places_the_group_and_audits(org, group):
    assert (group.grid, group.community, group.street) == (org.grid1, org.community1, org.street1)
    assert ConfigChange.objects.filter(model="wechat.wechatgroup", object_id=group.pk).exists()
    with pytest.raises(InvalidInput) as e:
        actions.create_group(
            actor=org.c1_handler, unit=org.grid1, name=group.name, keeper=org.grid1_worker
        )
    assert e.value.code == "duplicate_group"
    with pytest.raises(InvalidInput) as e:
        actions.create_group(
            actor=org.dispatcher, unit=org.street1, name="街道群", keeper=org.s1_handler
        )
    assert e.value.code == "invalid_unit"
    # The keeper must work in the grid (or, for a community's group, the community or a grid).
    with pytest.raises(InvalidInput) as e:
        actions.create_group(
            actor=org.dispatcher, unit=org.grid1, name="另一个群", keeper=org.s2_handler
        )
    assert e.value.code == "invalid_keeper"
    with pytest.raises(InvalidInput) as e:
        actions.create_group(
            actor=org.dispatcher,
            unit=org.grid1,
            name="另一个群",
            keeper=org.grid1_worker,
            member_count=501,
        )
    assert e.value.code == "out_of_range"
    wide = actions.create_group(
        actor=org.s1_leader, unit=org.community1, name="东一社区居民群", keeper=org.grid1_worker
    )
    assert (wide.grid, wide.community) == (None, org.community1)
    # Another street's staff and departments keep no register here.
    for outsider in (org.s2_handler, org.d1_handler, org.district_leader):
        with pytest.raises(PermissionDenied):
            actions.create_group(
                actor=outsider, unit=org.grid1, name="外人的群", keeper=org.grid1_worker
            )
    actions.update_group(group, actor=org.grid1_worker, member_count=350, active=False)
    group.refresh_from_db()
    assert (group.member_count, group.active) == (350, False)
    with pytest.raises(InvalidInput) as e:
        actions.update_group(group, actor=org.dispatcher, unit=org.grid2)
    assert e.value.code == "unknown_field"


def test_scope(org, group):
    other = actions.create_group(
        actor=org.dispatcher,
        unit=org.grid2,
        name="西一社区群",
        keeper=make_user("g2w", org.grid2, Role.GRID_WORKER),
    )
    seen = lambda u: set(access.groups_visible_to(u).values_list("pk", flat=True))  # noqa: E731
    assert seen(org.dispatcher) == seen(org.district_leader) == {group.pk, other.pk}
    assert seen(org.grid1_worker) == seen(org.c1_handler) == seen(org.s1_leader) == {group.pk}
    assert seen(org.s1_handler) == {group.pk}
    assert seen(org.s2_handler) == {other.pk}
    assert seen(org.d1_handler) == set()
    with pytest.raises(NotFound):
        access.access_group(org.s2_handler, group.pk)
    with pytest.raises(NotFound):
        actions.register_message(actor=org.s2_handler, group=group, text=TEXT)


def test_message_becomes_a_work_item(org, group):
    m = actions.register_message(actor=org.grid1_worker, group=group, text=f"张阿姨 09:12\n{TEXT}")
    a = m.appeal
    assert (m.sender, timezone.localtime(m.posted_at).strftime("%H:%M")) == ("张阿姨", "09:12")
    assert m.text == TEXT
    assert (a.kind, a.channel, a.grid, a.street) == (KIND, "wechat_group", org.grid1, org.street1)
    assert (a.source_type, a.source_id) == ("wechat.GroupMessage", str(m.pk))
    assert a.appellant_kind == AppellantKind.ANONYMOUS and a.appellant_phone == ""
    assert a.subject == "小区3栋门口的路灯坏了一个星期了，晚上老人出门看不清，麻烦处理一下"[:40]
    assert group.name in a.detail and "张阿姨" in a.detail
    named = actions.register_message(
        actor=org.grid1_worker,
        group=group,
        text="东门外的下水道堵了，污水漫到人行道上。",
        sender="李先生",
        sender_phone="139 1234 5678",
        subject="东门下水道堵塞",
    )
    b = named.appeal
    assert (b.appellant_kind, b.appellant_name, b.appellant_phone, b.subject) == (
        AppellantKind.PERSON,
        "李先生",
        "13912345678",
        "东门下水道堵塞",
    )
    for bad, code in (("短", "too_short"), ("", "too_short")):
        with pytest.raises(InvalidInput) as e:
            actions.register_message(actor=org.grid1_worker, group=group, text=bad)
        assert e.value.code == code
    with pytest.raises(InvalidInput) as e:
        actions.register_message(
            actor=org.grid1_worker, group=group, text=TEXT + "x", sender_phone="12345"
        )
    assert e.value.code == "invalid_phone"
    # Nothing half-written: a refused message leaves no row and no work item.
    assert GroupMessage.objects.count() == 2 and Appeal.objects.count() == 2


def test_who_registers_messages(org, group):
    # Callback operators see the group but do not post in it; an inactive group takes none.
    with pytest.raises(PermissionDenied):
        actions.register_message(actor=org.callback, group=group, text=TEXT)
    actions.register_message(actor=org.c1_handler, group=group, text=TEXT)
    actions.update_group(group, actor=org.dispatcher, active=False)
    with pytest.raises(InvalidInput) as e:
        actions.register_message(actor=org.grid1_worker, group=group, text=TEXT + "再说一次")
    assert e.value.code == "inactive_group"


def test_parse_forwarded():
    today = dt.date(2026, 12, 8)
    p = actions.parse_forwarded("王大爷 2026-12-01 18:05\n楼道灯不亮\n第二行", today=today)
    assert (p["sender"], p["text"]) == ("王大爷", "楼道灯不亮\n第二行")
    assert timezone.localtime(p["posted_at"]).isoformat().startswith("2026-12-01T18:05")
    p = actions.parse_forwarded("王大爷：楼道灯不亮了好几天", today=today)
    assert (p["sender"], p["posted_at"], p["text"]) == ("王大爷", None, "楼道灯不亮了好几天")
    p = actions.parse_forwarded("楼道灯不亮了好几天，请处理", today=today)
    assert (p["sender"], p["text"]) == ("", "楼道灯不亮了好几天，请处理")
    # A time line without a text below is the text itself.
    assert actions.parse_forwarded("王大爷 18:05", today=today)["sender"] == ""


def test_repeats_join_the_first_item(org, group):
    first = actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    wide = actions.create_group(
        actor=org.dispatcher, unit=org.community1, name="东一社区居民群", keeper=org.c1_handler
    )
    # The same words, copied with other spaces and punctuation, in another group of the
    # community: no second work item.
    again = actions.register_message(
        actor=org.c1_handler, group=wide, text=" " + TEXT.replace("，", ",") + "  ", sender="王"
    )
    assert again.duplicate_of == first and again.appeal_id == first.appeal_id
    assert Appeal.objects.count() == 1
    # Another community's group, or once the first item is closed: a new item.
    g2w = make_user("g2w", org.grid2, Role.GRID_WORKER)
    west = actions.create_group(actor=org.dispatcher, unit=org.grid2, name="西群", keeper=g2w)
    elsewhere = actions.register_message(actor=g2w, group=west, text=TEXT)
    assert elsewhere.duplicate_of is None and Appeal.objects.count() == 2
    Appeal.objects.filter(pk=first.appeal_id).update(status=Status.CLOSED)
    later = actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    assert later.duplicate_of is None and later.appeal_id != first.appeal_id


def test_answer_goes_back_to_the_group(org, group):
    m = actions.register_message(
        actor=org.grid1_worker, group=group, text=TEXT, sender="张阿姨", sender_phone="13912345678"
    )
    repeat = actions.register_message(
        actor=org.grid1_worker, group=group, text=TEXT, sender="王大爷"
    )
    ack = answers.acknowledgement(m)
    assert ack.startswith("@张阿姨 ") and m.appeal.code in ack
    assert answers.answer(m) == ""
    with pytest.raises(InvalidInput) as e:
        actions.mark_answered(m, actor=org.grid1_worker)
    assert e.value.code == "not_replied"
    a = _answer(org, m.appeal)
    m.refresh_from_db()
    text = answers.answer(m, "https://x/h5/track/?code=" + a.code)
    assert "路灯已更换" in text and "东街道" in text and a.code in text
    assert "13912345678" not in text
    with pytest.raises(PermissionDenied):
        actions.mark_answered(m, actor=org.callback)
    assert actions.mark_answered(m, actor=org.grid1_worker) == 2
    repeat.refresh_from_db()
    assert repeat.answered_at is not None
    with pytest.raises(InvalidInput) as e:
        actions.mark_answered(m, actor=org.grid1_worker)
    assert e.value.code == "already_answered"


def test_records(org, group):
    r = actions.add_record(
        actor=org.grid1_worker, group=group, kind=RecordKind.POLICY_POST, title="转发医保缴费通知"
    )
    assert r.happened_on == timezone.localdate()
    for kwargs, code in (
        ({"kind": "gossip", "title": "闲聊内容"}, "invalid_choice"),
        ({"kind": RecordKind.SETTLED, "title": "x"}, "too_short"),
        (
            {
                "kind": RecordKind.SETTLED,
                "title": "未来的事",
                "happened_on": timezone.localdate() + dt.timedelta(days=1),
            },
            "in_future",
        ),
    ):
        with pytest.raises(InvalidInput) as e:
            actions.add_record(actor=org.grid1_worker, group=group, **kwargs)
        assert e.value.code == code
    with pytest.raises(PermissionDenied):
        actions.add_record(
            actor=org.callback, group=group, kind=RecordKind.SETTLED, title="群内答复了"
        )


def test_counts_per_grid_community_street(org, group):
    wide = actions.create_group(
        actor=org.dispatcher,
        unit=org.community1,
        name="东一社区居民群",
        keeper=org.c1_handler,
        member_count=100,
    )
    m = actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    actions.register_message(actor=org.c1_handler, group=wide, text=TEXT)
    actions.register_message(
        actor=org.c1_handler, group=wide, text="广场舞音响太吵，晚上十点还在放。"
    )
    _answer(org, m.appeal)
    actions.mark_answered(m, actor=org.grid1_worker)
    actions.add_record(actor=org.grid1_worker, group=group, kind="policy_post", title="防火提示")
    actions.add_record(actor=org.c1_handler, group=wide, kind="settled", title="群里答复了开放时间")
    [street] = stats.counts(org.dispatcher, "street")
    assert street["unit__name"] == "东街道"
    assert {k: street[k] for k in stats.FIELDS} == {
        "groups": 2,
        "members": 420,
        "messages": 3,
        "items": 2,
        "repeats": 1,
        "closed": 0,
        "answered": 1,  # posted back in the first group; the repeat's group not yet
        "policy_posts": 1,
        "settled": 1,
    }
    [community] = stats.counts(org.c1_handler, "community")
    assert (community["unit__name"], community["messages"]) == ("东一社区", 3)
    grids = {r["unit__name"]: r for r in stats.counts(org.dispatcher, "grid")}
    # The community's own group has no grid: its messages count under "no grid".
    assert grids["东一社区第1网格"]["messages"] == 1 and grids[""]["messages"] == 2
    assert stats.counts(org.s2_handler, "street") == []
    assert (
        stats.counts(org.dispatcher, "street", since=timezone.localdate() + dt.timedelta(1))[0][
            "messages"
        ]
        == 0
    )


# --- pages ---------------------------------------------------------------------------------


def _client(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_pages_register_post_and_copy_back(client, org, group):
    c = _client(client, org.grid1_worker)
    r = c.get("/wechat/")
    assert r.status_code == 200 and "我管理的群" in r.content.decode()
    r = c.post(
        f"/wechat/{group.pk}/post/",
        {"text": f"张阿姨 09:12\n{TEXT}", "sender": "", "sender_phone": ""},
    )
    assert r.status_code == 302
    m = GroupMessage.objects.get()
    assert r["Location"] == f"/wechat/m/{m.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert m.appeal.code in page and 'id="ack-text"' in page and "@张阿姨" in page
    r = c.post(f"/wechat/{group.pk}/post/", {"text": "短"})
    assert r.status_code == 400 and 'data-error="too_short"' in r.content.decode()
    _answer(org, m.appeal)
    page = c.get(f"/wechat/m/{m.pk}/").content.decode()
    assert 'id="answer-text"' in page and "路灯已更换" in page
    assert c.post(f"/wechat/m/{m.pk}/answered/").status_code == 302
    m.refresh_from_db()
    assert m.answered_at is not None
    r = c.post(
        f"/wechat/{group.pk}/record/",
        {"kind": "policy_post", "title": "转发医保缴费通知", "happened_on": "2020-01-01"},
    )
    assert r.status_code == 302 and group.records.get().happened_on == dt.date(2020, 1, 1)
    assert c.get(f"/wechat/{group.pk}/").status_code == 200
    page = c.get("/wechat/stats/?level=grid").content.decode()
    assert "东一社区第1网格" in page


def test_pages_add_group_and_scope(client, org, group):
    c = _client(client, org.c1_handler)
    r = c.post(
        "/wechat/",
        {"name": "东一社区居民群", "unit": org.community1.pk, "keeper": org.c1_handler.pk},
    )
    assert r.status_code == 302, r.content.decode()
    wide = WechatGroup.objects.get(name="东一社区居民群")
    r = c.post("/wechat/", {"name": "坏的群", "unit": org.grid2.pk, "keeper": org.c1_handler.pk})
    assert r.status_code == 400  # another street's grid is not offered: "请选择所属网格或社区"
    post = c.get(f"/wechat/{wide.pk}/post/").content.decode()
    assert 'name="grid"' in post and org.grid1.name in post
    c.logout()
    c = _client(client, org.s2_handler)
    for path in (f"/wechat/{group.pk}/", f"/wechat/{group.pk}/post/"):
        assert c.get(path).status_code == 404
    m = actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    assert c.get(f"/wechat/m/{m.pk}/").status_code == 404
    assert c.post(f"/wechat/m/{m.pk}/answered/").status_code == 404
    assert group.name not in c.get("/wechat/").content.decode()


def test_phone_masked_for_field_staff(client, org, group):
    m = actions.register_message(
        actor=org.grid1_worker, group=group, text=TEXT, sender_phone="13912345678"
    )
    page = _client(client, org.grid1_worker).get(f"/wechat/m/{m.pk}/").content.decode()
    assert "13912345678" not in page and "139****5678" in page
    client.logout()
    page = _client(client, org.dispatcher).get(f"/wechat/m/{m.pk}/").content.decode()
    assert "13912345678" in page


def test_channel_year_on_year_on_the_stats_page(client, org, group):
    from minhu.evaluation import figures
    from minhu.evaluation.tests.helpers import frozen

    now = timezone.localtime()
    actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    actions.register_message(
        actor=org.grid1_worker, group=group, text="广场舞音响太吵，晚上十点还在放。"
    )
    with frozen(now.replace(year=now.year - 1) - dt.timedelta(hours=1)):
        actions.register_message(actor=org.grid1_worker, group=group, text="去年的消息：楼道灯不亮")
    row = figures.channel_yoy("wechat_group")
    assert (row["count"], row["year_ago"], str(row["yoy"])) == (2, 1, "100.00")
    page = _client(client, org.dispatcher).get("/wechat/stats/").content.decode()
    assert 'id="channel-yoy"' in page and "+100.00%" in page
    client.logout()
    # Field staff see their own counts, not the district's volume.
    page = _client(client, org.grid1_worker).get("/wechat/stats/").content.decode()
    assert 'id="channel-yoy"' not in page


def test_pages_in_english(client, org, group):
    m = actions.register_message(actor=org.grid1_worker, group=group, text=TEXT)
    c = _client(client, org.grid1_worker)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    page = c.get("/wechat/", **en).content.decode()
    assert "My groups" in page and "Register a message" in page and "我管理的群" not in page
    page = c.get(f"/wechat/m/{m.pk}/", **en).content.decode()
    assert "Copy the receipt" in page and "Hello! What you raised in the group" in page
    assert "Public list" in c.get("/h5/happy/", **en).content.decode()
