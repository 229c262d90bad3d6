import datetime as dt

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import EventKind
from minhu.core.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from minhu.routing import actions, hotspots
from minhu.routing.hotspots import Item, build_clusters, incremental_clusters, key_terms
from minhu.routing.models import MonthlyProblem, ProblemStatus

from .helpers import days_ago, register

PARKING = [
    ("阳光小区停车难，车位严重不足", "阳光小区车位严重不足，晚上回家找不到停车位，希望增加车位"),
    ("阳光小区车位不足停车难", "小区停车位太少，车辆只能停在消防通道上，停车难问题严重"),
    ("反映阳光小区停车难问题", "阳光小区停车难，车位不够，物业不管，希望规划停车位"),
    ("阳光小区停车位太少", "阳光小区停车位太少了，每天晚上停车难，希望增加停车位"),
    ("阳光小区停车难何时解决", "阳光小区停车难问题一直没有解决，车位严重不足"),
    ("建议阳光小区增加停车位", "阳光小区停车难，建议利用空地增加停车位"),
]
NOISE = [
    ("菜市场凌晨装卸噪音扰民", "东街道菜市场每天凌晨四点装卸货物，噪音扰民严重"),
    ("菜市场噪音扰民", "菜市场凌晨装卸货物噪音很大，影响休息，噪音扰民"),
    ("投诉菜市场凌晨噪音扰民", "菜市场凌晨卸货噪音扰民，无法入睡"),
]
LIGHTS = [
    ("西街道路灯不亮", "西街道主干道路灯不亮，晚上出行不安全，路灯不亮已经一周"),
    ("路灯不亮出行不安全", "西街道路灯不亮，晚上一片漆黑，路灯不亮希望修复"),
    ("西街道多处路灯不亮", "西街道多处路灯不亮，晚上出行不便，请修复路灯"),
]


@pytest.fixture(autouse=True)
def no_cache():
    cache.clear()
    yield
    cache.clear()


def test_incremental_clusters_joins_by_centroid():
    x = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.95, 0, 0.05], [0, 0.9, 0.1]], float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    assign = incremental_clusters(x @ x.T, threshold=0.8)
    assert assign.tolist() == [0, 0, 1, 0, 1]
    assert incremental_clusters(x @ x.T, threshold=1.01).tolist() == [0, 1, 2, 3, 4]


def test_key_terms():
    terms = key_terms([s for s, _ in PARKING])
    assert "停车" in "".join(terms) and "阳光小区" in terms


def _items(rows, area, when, start_id, support=0):
    return [
        Item(
            id=start_id + i,
            subject=s,
            text=f"{s} {s} {d}",
            created_at=when - dt.timedelta(hours=i),
            area_key=area,
            area_name=str(area),
            support=support,
        )
        for i, (s, d) in enumerate(rows)
    ]


def test_build_clusters_ranks_by_volume_growth_and_support():
    now = timezone.now()
    start, end = now - dt.timedelta(days=10), now + dt.timedelta(minutes=1)
    prev = start - (end - start)
    items = (
        _items(PARKING[:5], "s1", now - dt.timedelta(days=1), 100)
        + _items(PARKING[5:], "s1", now - dt.timedelta(days=15), 200)  # previous period
        + _items(NOISE, "s1", now - dt.timedelta(days=2), 300, support=4)
        + _items(LIGHTS, "s2", now - dt.timedelta(days=3), 400)
        + _items(LIGHTS, "s2", now - dt.timedelta(days=13), 500)  # as many before: not rising
    )
    clusters = build_clusters(items, start=start, end=end, previous_start=prev, min_size=3)
    by_title = {c.title[:3]: c for c in clusters}
    parking = next(c for c in clusters if "阳光" in c.title)
    noise = next(c for c in clusters if "菜市场" in c.title)
    lights = next(c for c in clusters if "路灯" in c.title)
    assert (parking.volume, parking.previous, parking.support) == (5, 1, 0)
    assert (noise.volume, noise.previous, noise.support) == (3, 0, 12)
    assert (lights.volume, lights.previous) == (3, 3) and not lights.rising
    assert sorted(parking.appeal_ids) == [100, 101, 102, 103, 104, 200]
    # heat = volume + rise + log2(1 + support)
    assert parking.heat == pytest.approx(5 + 4)
    assert noise.heat == pytest.approx(3 + 3 + np.log2(13))
    assert lights.heat == pytest.approx(3)
    assert [c.title for c in clusters] == [noise.title, parking.title, lights.title]
    assert len(by_title) == 3
    # A cluster below the minimum size in the period is not a hotspot.
    assert build_clusters(items, start=start, end=end, previous_start=prev, min_size=6) == []


def test_different_streets_never_share_a_cluster():
    now = timezone.now()
    items = _items(NOISE, "s1", now, 1) + _items(NOISE, "s2", now, 10)
    clusters = build_clusters(
        items,
        start=now - dt.timedelta(days=1),
        end=now + dt.timedelta(hours=1),
        previous_start=now - dt.timedelta(days=2),
        min_size=3,
        similarity=0.2,
    )
    assert len(clusters) == 2 and {c.area_key for c in clusters} == {"s1", "s2"}


def _seed(org):
    parking = [
        register(org, s, d, grid=org.grid1, created_at=days_ago(1 + i * 0.1))
        for i, (s, d) in enumerate(PARKING)
    ]
    noise = [register(org, s, d, grid=org.grid1, created_at=days_ago(2)) for s, d in NOISE]
    lights = [register(org, s, d, grid=org.grid2, created_at=days_ago(3)) for s, d in LIGHTS]
    return parking, noise, lights


def _window():
    now = timezone.now()
    return now - dt.timedelta(days=10), now + dt.timedelta(minutes=1)


def test_hotspots_from_the_database_count_merged_children_and_links(org):
    parking, noise, lights = _seed(org)
    appeal_actions.merge(parking[1], actor=org.dispatcher, parent=parking[0])
    actions.link_appeals(noise[0], actor=org.dispatcher, other=noise[1])
    start, end = _window()
    clusters = hotspots.hotspots(appeals_visible_to(org.dispatcher), start=start, end=end)
    p = next(c for c in clusters if "阳光" in c.title)
    n = next(c for c in clusters if "菜市场" in c.title)
    assert p.volume == 6 and p.support == 1 and parking[1].pk not in p.appeal_ids
    assert n.volume == 3 and n.support == 2  # one link counts on both appeals
    assert p.area_name == org.street1.name
    # Street filter and scope: a handler of the west street sees only its own hotspot.
    only_west = hotspots.hotspots(
        appeals_visible_to(org.s2_handler), start=start, end=end, scope_key="s2h"
    )
    assert [c.area_name for c in only_west] == [org.street2.name]
    east = hotspots.hotspots(
        appeals_visible_to(org.dispatcher), start=start, end=end, street_id=org.street1.pk
    )
    assert {c.area_name for c in east} == {org.street1.name}


def test_mark_problem_of_month(org):
    parking, _, _ = _seed(org)
    ids = [a.pk for a in parking]
    month = timezone.localdate().replace(day=1)
    problem = actions.mark_problem_of_month(
        actor=org.district_leader,
        month=month,
        title="阳光小区停车难",
        appeal_ids=ids,
        street=org.street1,
        terms=["停车难"],
        support=3,
    )
    assert problem.volume == 6 and problem.status == ProblemStatus.ACTIVE
    assert set(problem.appeals.values_list("pk", flat=True)) == set(ids)
    ev = parking[0].events.get(kind=EventKind.MONTHLY_PROBLEM)
    assert ev.data["monthly_problem"] == problem.pk and "每月一题" in ev.note
    with pytest.raises(Conflict):
        actions.mark_problem_of_month(
            actor=org.district_leader, month=month, title="阳光小区停车难", appeal_ids=ids
        )
    with pytest.raises(PermissionDenied):
        actions.mark_problem_of_month(
            actor=org.s1_handler, month=month, title="阳光小区停车难问题", appeal_ids=ids
        )
    with pytest.raises(InvalidInput):
        actions.mark_problem_of_month(
            actor=org.district_leader, month=month, title="停车", appeal_ids=ids
        )
    # A street leader may only include appeals of the street.
    west = register(org, "西街道路灯不亮", "西街道主干道路灯不亮", grid=org.grid2)
    with pytest.raises(NotFound):
        actions.mark_problem_of_month(
            actor=org.s1_leader, month=month, title="东西街道综合问题", appeal_ids=[ids[0], west.pk]
        )
    actions.cancel_problem_of_month(problem, actor=org.district_leader)
    assert MonthlyProblem.objects.get().status == ProblemStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        actions.cancel_problem_of_month(problem, actor=org.district_leader)
