import pytest

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import EventKind, Status
from minhu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from minhu.routing import actions, duplicates
from minhu.routing.duplicates import Doc, place_score
from minhu.routing.models import AppealLink, RoutingConfig

from .helpers import days_ago, register

PARKING = "阳光小区东门长期有车辆乱停乱放，堵塞消防通道，居民出行困难，希望尽快整治"


def test_similar_recent_open_appeal_in_same_grid_is_a_candidate(org):
    first = register(org, "阳光小区东门车辆乱停放堵塞消防通道", PARKING, grid=org.grid1)
    register(org, "西街道菜市场噪音扰民", "菜市场凌晨四点开始装卸货物，噪音很大", grid=org.grid2)
    register(org, "学校门口交通拥堵", "放学时间学校门口车辆拥堵严重", grid=org.grid1)
    new = register(
        org, "阳光小区东门乱停车堵消防通道", "东门车辆乱停乱放，消防通道被堵住", grid=org.grid1
    )
    found = duplicates.candidates(new)
    assert [a for a, _, _ in found] == [first]
    appeal, score, reasons = found[0]
    assert 0.45 <= score <= 1
    assert reasons[0].startswith("内容相似度") and "同一网格" in reasons


def test_old_closed_and_merged_appeals_are_not_candidates(org):
    old = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1, created_at=days_ago(45))
    merged = register(org, "阳光小区东门车辆乱停乱放", PARKING, grid=org.grid1)
    parent = register(org, "阳光小区门口车辆乱停放问题", PARKING, grid=org.grid1)
    appeal_actions.merge(merged, actor=org.dispatcher, parent=parent)
    new = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    ids = [a.pk for a, _, _ in duplicates.candidates(new)]
    assert old.pk not in ids and merged.pk not in ids and parent.pk in ids
    # The window is configurable.
    actions.update_config(actor=org.dispatcher, duplicate_days=60)
    assert old.pk in [a.pk for a, _, _ in duplicates.candidates(new)]


def test_candidates_respect_the_users_scope(org):
    other = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    new = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    assert [a for a, _, _ in duplicates.candidates(new, user=org.dispatcher)] == [other]
    assert duplicates.candidates(new, user=org.s2_handler) == []


def test_place_score():
    a = Doc(1, "", grid_id=1, community_id=10, street_id=100)
    assert place_score(a, Doc(2, "", grid_id=1, community_id=10, street_id=100), 500)[0] == 1
    assert place_score(a, Doc(2, "", grid_id=2, community_id=10, street_id=100), 500) == (
        0.7,
        "同一社区",
    )
    assert place_score(a, Doc(2, "", street_id=100), 500) == (0.4, "同一街道")
    assert place_score(a, Doc(2, "", street_id=200), 500) == (0.0, "不同街道")
    assert place_score(a, Doc(2, ""), 500) == (0.25, "")
    near = Doc(1, "", lat=32.0, lng=118.0)
    score, reason = place_score(near, Doc(2, "", lat=32.0027, lng=118.0), 500)
    assert score == 0.7 and reason == "相距约300米"
    assert place_score(near, Doc(2, "", lat=32.1, lng=118.0), 500)[0] == 0.0


def test_same_text_in_another_street_is_not_a_duplicate(org):
    there = register(org, "小区路灯不亮", "小区里的路灯坏了一个星期没人修", grid=org.grid2)
    here = register(org, "小区路灯不亮", "小区里的路灯坏了一个星期没人修", grid=org.grid1)
    new = register(org, "小区路灯不亮", "小区里的路灯坏了一个星期没人修", grid=org.grid1)
    found = duplicates.candidates(new)
    # Appeals located in another street are not searched: the same problem elsewhere is
    # another problem (hotspots group those).
    assert [a for a, _, _ in found] == [here]
    assert there.street_id != new.street_id


def test_link_verb_appends_an_event_on_both(org):
    a = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    b = register(org, "阳光小区消防通道被占", PARKING, grid=org.grid1)
    link = actions.link_appeals(b, actor=org.dispatcher, other=a, note="同一问题不同诉求人")
    assert (link.from_appeal, link.to_appeal) == (a, b)  # stored smaller id first
    for appeal, other in ((a, b), (b, a)):
        ev = appeal.events.get(kind=EventKind.LINK)
        assert ev.data["other"] == other.code and ev.note == "同一问题不同诉求人"
        assert ev.actor == org.dispatcher
    assert actions.linked_appeals(a) == [b] and actions.linked_appeals(b) == [a]
    with pytest.raises(Conflict):
        actions.link_appeals(a, actor=org.dispatcher, other=b)
    with pytest.raises(InvalidInput):
        actions.link_appeals(a, actor=org.dispatcher, other=a)
    with pytest.raises(PermissionDenied):
        actions.link_appeals(a, actor=org.s1_handler, other=b)
    actions.unlink_appeals(a, actor=org.dispatcher, other=b)
    assert not AppealLink.objects.exists()
    assert a.events.filter(kind=EventKind.LINK).count() == 2
    assert a.events.filter(kind=EventKind.LINK).last().data["removed"] is True
    with pytest.raises(NotFound):
        actions.unlink_appeals(a, actor=org.dispatcher, other=b)


def test_merge_is_the_core_verb_children_follow_the_parent(org):
    parent = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    child = register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1)
    [(candidate, _, _)] = duplicates.candidates(child)
    appeal_actions.merge(child, actor=org.dispatcher, parent=candidate)
    child.refresh_from_db()
    assert child.status == Status.MERGED and child.parent == parent


def test_duplicate_settings_validation(org):
    with pytest.raises(InvalidInput):
        actions.update_config(actor=org.dispatcher, duplicate_days=0)
    config = actions.update_config(actor=org.dispatcher, duplicate_min_score=0.6)
    assert RoutingConfig.get().duplicate_min_score == 0.6 == config.duplicate_min_score


def _db_candidates(appeal):
    config = RoutingConfig.get()
    target = duplicates._target(appeal)
    return [
        (a.pk, s, r) for a, s, r in duplicates._candidates_from_db(appeal, target, 5, None, config)
    ]


def test_index_gives_the_database_scan_s_candidates_and_follows_changes(org, monkeypatch):
    texts = [
        ("阳光小区东门车辆乱停放", PARKING),
        ("阳光小区消防通道被占", "阳光小区东门消防通道长期被车辆占用，希望尽快整治"),
        ("小区路灯不亮", "小区里的路灯坏了一个星期没人修"),
        ("学校门口交通拥堵", "放学时间学校门口车辆拥堵严重"),
    ]
    made = [register(org, s, d, grid=g) for s, d in texts for g in (org.grid1, org.grid2)]
    made.append(register(org, "阳光小区门口乱停车", PARKING))  # not located
    new = register(org, "阳光小区东门乱停车堵消防通道", PARKING, grid=org.grid1)
    found = [(a.pk, s, r) for a, s, r in duplicates.candidates(new)]
    assert found and found == _db_candidates(new)
    assert len(duplicates.open_index) == len(made) + 1

    # The next search reads only what changed: the new appeal, the closed one.
    added = []
    original = duplicates.OpenIndex._add
    monkeypatch.setattr(
        duplicates.OpenIndex, "_add", lambda self, rows: (added.extend(rows), original(self, rows))
    )
    best = found[0][0]
    parent = next(a for a in made if a.pk != best and a.grid_id == org.grid2.pk)
    appeal_actions.merge(best, actor=org.dispatcher, parent=parent)
    again = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    ids = [a.pk for a, _, _ in duplicates.candidates(again)]
    assert best not in ids and new.pk in ids
    # Only the new appeal was vectorised (the merged one left; the parent's row is unchanged
    # unless the merge touched it).
    assert again.pk in {r["pk"] for r in added} and len(added) <= 2
    assert best not in [e.doc.id for e in duplicates.open_index._entries.values()]
    assert ids == [pk for pk, _, _ in _db_candidates(again)]
    # An edited text is read again.
    before = len(added)
    appeal_actions.edit_details(new, actor=org.dispatcher, subject="学校门口交通拥堵")
    ids = [a.pk for a, _, _ in duplicates.candidates(again)]
    assert [(r["pk"], r["subject"]) for r in added[before:]] == [(new.pk, "学校门口交通拥堵")]
    assert ids == [pk for pk, _, _ in _db_candidates(again)]


def test_old_appeals_and_scoped_users_read_the_pool_from_the_database(org, monkeypatch):
    register(org, "阳光小区东门车辆乱停放", PARKING, grid=org.grid1, created_at=days_ago(40))
    old = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1, created_at=days_ago(35))
    calls = []
    original = duplicates._candidates_from_db
    monkeypatch.setattr(
        duplicates, "_candidates_from_db", lambda *a: (calls.append(a[0]), original(*a))[1]
    )
    assert len(duplicates.candidates(old)) == 1 and calls == [old]
    new = register(org, "阳光小区东门乱停车", PARKING, grid=org.grid1)
    duplicates.candidates(new, user=org.s1_handler)
    assert calls == [old, new]
    duplicates.candidates(new, user=org.dispatcher)  # sees every unit: the index
    assert calls == [old, new]
