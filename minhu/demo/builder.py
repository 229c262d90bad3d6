"""`minhu demo`: build the demo district 云湖区 on an empty database.

The organisation, accounts, taxonomy, time limits, calendar overrides and collection points are
written in one transaction. Appeals follow, in batches of `BATCH` stories, each story driven
through the real verbs of `minhu.appeals.actions` with the right actor at a frozen moment of
the last ~60 days (see `clock.py`), so every appeal has its full event log, assignments,
whistles, follow-ups, deadline misses and notifications.

Each story's random generator is derived from (seed, story index), so the same seed and count
give the same district, and a run interrupted between batches resumes where it stopped."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TextIO
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals import models as appeal_models
from minhu.appeals.models import (
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    AppellantKind,
    Channel,
    CollectionPoint,
    FollowUp,
    FollowUpSource,
    OutcomeKind,
    Satisfaction,
    Status,
    Urgency,
)
from minhu.categories.models import Category
from minhu.deadlines.models import CalendarOverride, TimeLimitPolicy
from minhu.notifications.models import DeliveryStatus, Notification, NotificationChannel
from minhu.orgs.models import Membership, Role, Unit, UnitKind, User
from minhu.routing import actions as routing_actions
from minhu.routing import classifier, intake, training
from minhu.routing.models import (
    ClassifierModel,
    DecisionKind,
    DispatchRule,
    LeadLocal,
    RoutingDecision,
)

from . import district as D
from .clock import DemoClock
from .texts import (
    CLOSE_NOTES,
    CLOSE_NOTES_UNREACHED,
    CONTACT_NOTES,
    DEFAULT_WHISTLE,
    DISPATCH_NOTES,
    EXTENSION_APPROVALS,
    EXTENSION_DENIALS,
    EXTENSION_REASONS,
    JOINT_DISPATCH_NOTES,
    MEASURES,
    MERGE_NOTES,
    OPENERS,
    REDISPATCH_NOTES,
    REOPEN_REASONS,
    RESPONSIBLE_PEOPLE,
    RETURN_REASONS,
    WHISTLE_DEPARTMENTS,
    Place,
    TextMaker,
)

BATCH = 25
HISTORY_DAYS = 60


class DemoError(Exception):
    """The database is not in a state the demo can be built on."""


# --- the organisation -----------------------------------------------------------------------


@dataclass
class DemoOrg:
    district: Unit
    centre: Unit
    streets: list[Unit]
    communities: list[Unit]
    grids: list[Unit]
    departments: dict[str, Unit]
    units: dict[str, Unit]
    users: dict[str, User]
    handlers: dict[int, User]  # unit id -> its handler
    leaders: dict[int, User]  # unit id -> its leader (where there is one)
    dispatchers: list[User]
    callbacks: list[User]
    categories: dict[str, Category]
    subcategories: list[Category]
    points: list[CollectionPoint]
    enterprise_points: list[CollectionPoint]
    grid_street: dict[int, Unit] = field(default_factory=dict)
    grid_community: dict[int, Unit] = field(default_factory=dict)
    grid_place: dict[int, Place] = field(default_factory=dict)
    grid_coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    grid_workers: dict[int, User] = field(default_factory=dict)
    dept_office: dict[int, str] = field(default_factory=dict)
    dept_code: dict[int, str] = field(default_factory=dict)


def expected_counts() -> dict[str, int]:
    """Units per kind and accounts, as documented in docs/demo.md."""
    villages = sum(len(s.communities) for s in D.STREETS if s.kind == UnitKind.TOWN)
    communities = sum(len(s.communities) for s in D.STREETS) - villages
    grids = sum(
        D.grid_count(si, ci) for si, s in enumerate(D.STREETS) for ci in range(len(s.communities))
    )
    return {
        UnitKind.DISTRICT: 1,
        UnitKind.CENTER: 1,
        UnitKind.DEPARTMENT: len(D.DEPARTMENTS),
        UnitKind.STREET: sum(1 for s in D.STREETS if s.kind == UnitKind.STREET),
        UnitKind.TOWN: sum(1 for s in D.STREETS if s.kind == UnitKind.TOWN),
        UnitKind.COMMUNITY: communities,
        UnitKind.VILLAGE: villages,
        UnitKind.GRID: grids,
        "accounts": len(D.accounts()),
        "categories_top": len(D.CATEGORIES),
        "categories_sub": sum(len(c.children) for c in D.CATEGORIES),
    }


def _create_org() -> None:
    """Units, accounts, taxonomy, time limits, calendar overrides, collection points."""
    units: dict[str, Unit] = {}

    def unit(name: str, code: str, kind: str, parent: Unit | None, phone: str = "") -> Unit:
        u = Unit(name=name, code=code, kind=kind, parent=parent, phone=phone)
        u.save()
        units[code] = u
        return u

    district = unit(D.DISTRICT[0], D.DISTRICT[1], UnitKind.DISTRICT, None, "029-8861-0000")
    unit(D.CENTRE[0], D.CENTRE[1], UnitKind.CENTER, district, "12345")
    for d in D.DEPARTMENTS:
        unit(d.name, d.code, UnitKind.DEPARTMENT, district, d.phone)
    communities = []
    for si, s in enumerate(D.STREETS):
        street = unit(s.name, s.code, s.kind, district, f"029-8862-{si + 1:02d}00")
        child_kind = UnitKind.COMMUNITY if s.kind == UnitKind.STREET else UnitKind.VILLAGE
        for ci, c in enumerate(s.communities):
            community = unit(c.name, c.code, child_kind, street)
            communities.append(community)
            for g in range(1, D.grid_count(si, ci) + 1):
                unit(f"{c.name}第{g}网格", f"{c.code}-g{g}", UnitKind.GRID, community)
    # 结对: every community is paired with one department, every department with one or two.
    through = Unit.paired_communities.through
    depts = [units[d.code] for d in D.DEPARTMENTS]
    through.objects.bulk_create(
        [
            through(from_unit_id=depts[i % len(depts)].pk, to_unit_id=c.pk)
            for i, c in enumerate(communities)
        ]
    )

    password = make_password(D.PASSWORD)  # hashed once: 172 PBKDF2 runs would take a minute
    accounts = D.accounts()
    rng = random.Random("demo-phones")
    users = User.objects.bulk_create(
        [
            User(
                username=a.username,
                password=password,
                display_name=a.display_name,
                phone="1390000" + f"{rng.randint(0, 9999):04d}",
                is_staff=a.superuser,
                is_superuser=a.superuser,
            )
            for a in accounts
        ]
    )
    if not all(u.pk for u in users):  # backends without RETURNING
        users = list(User.objects.filter(username__in=[a.username for a in accounts]))
    by_name = {u.username: u for u in users}
    Membership.objects.bulk_create(
        [
            Membership(user=by_name[a.username], unit=units[a.unit_code], role=a.role)
            for a in accounts
        ]
    )

    sort = 0
    for top in D.CATEGORIES:
        sort += 10
        parent = Category.objects.create(name=top.name, code=top.code, sort=sort)
        for sub in top.children:
            sort += 1
            Category.objects.create(
                name=sub.name,
                code=sub.code,
                parent=parent,
                default_lead_kind=sub.lead_kind,
                default_lead_unit=units[sub.lead_dept] if sub.lead_dept else None,
                keywords=sub.keywords,
                sort=sort,
            )
    cats = {c.code: c for c in Category.objects.all()}
    TimeLimitPolicy.objects.bulk_create(
        [
            TimeLimitPolicy(
                step=p.step,
                category=cats[p.category] if p.category else None,
                urgency=p.urgency,
                amount=p.amount,
                measure=p.measure,
            )
            for p in D.POLICIES
        ]
    )
    CalendarOverride.objects.bulk_create(
        [CalendarOverride(date=d, is_workday=w, name=n) for d, w, n in D.CALENDAR_OVERRIDES]
    )
    CollectionPoint.objects.bulk_create(
        [
            CollectionPoint(
                name=p.name,
                code=p.code,
                unit=units[p.unit_code],
                channel=Channel.ENTERPRISE if p.enterprise else Channel.H5,
                is_service_hall=p.service_hall,
                address=p.address,
            )
            for p in D.collection_points()
        ]
    )


def load_org() -> DemoOrg:
    """The demo organisation as objects (from the database, so a resumed run sees the same)."""
    units = {u.code: u for u in Unit.objects.all()}
    by_pk = {u.pk: u for u in units.values()}
    users = {u.username: u for u in User.objects.all()}
    handlers: dict[int, User] = {}
    leaders: dict[int, User] = {}
    grid_workers: dict[int, User] = {}
    dispatchers, callbacks = [], []
    for m in Membership.objects.select_related("user").order_by("user__username"):
        if m.role == Role.HANDLER:
            handlers.setdefault(m.unit_id, m.user)
        elif m.role == Role.UNIT_LEADER:
            leaders.setdefault(m.unit_id, m.user)
        elif m.role == Role.GRID_WORKER:
            grid_workers.setdefault(m.unit_id, m.user)
        elif m.role == Role.DISPATCHER:
            dispatchers.append(m.user)
        elif m.role == Role.CALLBACK:
            callbacks.append(m.user)
    # One object per user, so each caches its scope once for the whole run.
    for mapping in (handlers, leaders, grid_workers):
        for k, u in mapping.items():
            mapping[k] = users[u.username]
    dispatchers = [users[u.username] for u in dispatchers]
    callbacks = [users[u.username] for u in callbacks]

    cats = {c.code: c for c in Category.objects.select_related("parent", "default_lead_unit")}
    points = list(CollectionPoint.objects.select_related("unit").order_by("id"))
    org = DemoOrg(
        district=units[D.DISTRICT[1]],
        centre=units[D.CENTRE[1]],
        streets=[units[s.code] for s in D.STREETS],
        communities=[units[c.code] for s in D.STREETS for c in s.communities],
        grids=[u for u in units.values() if u.kind == UnitKind.GRID],
        departments={d.code: units[d.code] for d in D.DEPARTMENTS},
        units=units,
        users=users,
        handlers=handlers,
        leaders=leaders,
        dispatchers=dispatchers,
        callbacks=callbacks,
        categories=cats,
        subcategories=[c for c in cats.values() if c.parent_id],
        points=[p for p in points if p.channel == Channel.H5],
        enterprise_points=[p for p in points if p.channel == Channel.ENTERPRISE],
        grid_workers=grid_workers,
    )
    org.grids.sort(key=lambda g: g.code)
    for d in D.DEPARTMENTS:
        org.dept_office[units[d.code].pk] = d.office
        org.dept_code[units[d.code].pk] = d.code
    for si, s in enumerate(D.STREETS):
        street = units[s.code]
        for ci, c in enumerate(s.communities):
            community = units[c.code]
            place = Place(s.name, c.name, c.compounds, s.roads, s.kind == UnitKind.TOWN)
            for g in range(1, D.grid_count(si, ci) + 1):
                grid = units[f"{c.code}-g{g}"]
                org.grid_street[grid.pk] = street
                org.grid_community[grid.pk] = community
                org.grid_place[grid.pk] = place
                org.grid_coords[grid.pk] = (
                    float(D.BASE_LAT) + s.offset[0] + (ci - 2) * 0.006 + (g - 2) * 0.0015,
                    float(D.BASE_LNG) + s.offset[1] + ((ci * 7) % 5 - 2) * 0.006 + g * 0.001,
                )
    for g in org.grids:
        g.parent = by_pk[g.parent_id]
    return org


# --- planning -------------------------------------------------------------------------------

# Share of each final status among the appeals (merged children are counted in MERGED).
STATUS_WEIGHTS: dict[str, float] = {
    Status.NEW: 0.07,
    Status.DISPATCHED: 0.08,
    Status.RETURNED: 0.04,
    Status.IN_PROGRESS: 0.15,
    Status.ESCALATED: 0.06,
    Status.RESOLVED: 0.07,
    Status.REPLIED: 0.08,
    Status.CLOSED: 0.40,
    Status.MERGED: 0.05,
}
CHANNEL_WEIGHTS: dict[str, float] = {
    Channel.HOTLINE: 0.44,
    Channel.H5: 0.14,
    Channel.MINIPROGRAM: 0.12,
    Channel.WECHAT_GROUP: 0.07,
    Channel.VISIT: 0.08,
    Channel.CONSULTATION: 0.03,
    Channel.DEPUTY: 0.02,
    Channel.QUESTIONNAIRE: 0.03,
    Channel.ENTERPRISE: 0.07,
}
TOP_WEIGHTS: dict[str, float] = {
    "urban": 0.26,
    "environment": 0.15,
    "commerce": 0.10,
    "transport": 0.09,
    "security": 0.08,
    "labour": 0.08,
    "education": 0.06,
    "health": 0.06,
    "business": 0.06,
    "welfare": 0.06,
}
# What enterprises raise besides the business environment itself.
ENTERPRISE_OTHER = ("social-insurance", "employment", "water-supply", "road-damage", "wage-arrears")
RESIDENT_CHANNELS = {Channel.H5, Channel.MINIPROGRAM, Channel.ENTERPRISE, Channel.QUESTIONNAIRE}


@dataclass
class Story:
    """How one appeal (and any duplicates merged into it) will live."""

    index: int
    target: str
    days_ago: float
    lead: str = "auto"  # "auto", "street" (needed for whistles)
    wrong_first: bool = False  # dispatched to the wrong unit and returned before the right one
    claim_then_return: bool = False
    redispatch: bool = False  # 改派 before anyone claimed
    assist: bool = False
    extension: str = ""  # "", "approve", "deny", "pending"
    whistle: int = 0  # departments summoned
    reports: int = 0  # of which reported
    answers: int = 0  # of which answered
    rounds: list[str] = field(default_factory=list)  # follow-up results, one per round
    stop_after_reopen: bool = False  # IN_PROGRESS after an unsatisfied rating
    centre_reopen: bool = False
    unreached: int = 0  # unanswered callbacks before the answer
    children: int = 0  # duplicates merged into this one
    outcome: str = ""  # OutcomeKind, "" = decide later
    channel: str = Channel.HOTLINE
    urgency: str = ""  # "" = decided when registering


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _age(rng: random.Random, target: str, multi_round: bool) -> float:
    """Days since registration, by the state the story ends in."""
    u = rng.uniform
    if target == Status.NEW:
        return u(0.04, 0.6) if rng.random() < 0.7 else u(0.6, 2.5)
    if target == Status.DISPATCHED:
        return u(0.1, 0.9) if rng.random() < 0.8 else u(0.9, 3.5)
    if target == Status.RETURNED:
        return u(0.3, 5)
    if target == Status.IN_PROGRESS:
        if multi_round:
            return u(12, 40)
        return u(0.5, 4) if rng.random() < 0.75 else u(4, 20)
    if target == Status.ESCALATED:
        return u(1.5, 6) if rng.random() < 0.7 else u(6, 20)
    if target == Status.RESOLVED:
        return u(1.5, 9)
    if target == Status.REPLIED:
        return u(2, 11)
    return u(25, HISTORY_DAYS) if multi_round else u(9, HISTORY_DAYS)


def _closed_rounds(rng: random.Random) -> tuple[list[str], int]:
    x = rng.random()
    if x < 0.72:
        return ["satisfied"], 0
    if x < 0.86:
        return ["basic"], 0
    if x < 0.90:
        return ["unsatisfied", "satisfied"], 0
    if x < 0.92:
        return ["unsatisfied", "basic"], 0
    if x < 0.95:
        return ["unreached"], 3
    return ["satisfied"], rng.randint(1, 2)


def plan(seed: int, count: int) -> list[Story]:
    """The stories for `count` appeals, oldest first. Deterministic in (seed, count)."""
    rng = random.Random(f"plan:{seed}")
    max_reopens = settings.MINHU_MAX_REOPENS
    # Variants every demo should show (when there is room for them).
    must: list[dict[str, Any]] = [
        {"target": Status.NEW},
        {"target": Status.DISPATCHED},
        {"target": Status.DISPATCHED, "redispatch": True},
        # Just dispatched as 特急: its claim is due within the hour, whatever the time of day.
        {"target": Status.DISPATCHED, "urgency": Urgency.CRITICAL, "days_ago": 0.005},
        # Dispatched almost four weeks ago and still open: overdue (even at 15 working days).
        {"target": Status.IN_PROGRESS, "extension": "", "rounds": [], "days_ago": 26.0},
        {"target": Status.RETURNED},
        {"target": Status.RETURNED, "claim_then_return": True},
        {"target": Status.IN_PROGRESS, "extension": "pending"},
        {"target": Status.IN_PROGRESS, "rounds": ["unsatisfied"], "stop_after_reopen": True},
        {"target": Status.IN_PROGRESS, "centre_reopen": True, "rounds": [""]},
        {"target": Status.ESCALATED, "whistle": 2, "reports": 1, "answers": 0},
        {"target": Status.ESCALATED, "whistle": 3, "reports": 2, "answers": 1},
        {"target": Status.RESOLVED, "outcome": OutcomeKind.LONG_TERM},
        {"target": Status.REPLIED},
        {"target": Status.CLOSED, "rounds": ["satisfied"]},
        {"target": Status.CLOSED, "rounds": ["basic"]},
        {"target": Status.CLOSED, "rounds": ["unsatisfied", "satisfied"]},
        {"target": Status.CLOSED, "rounds": ["unsatisfied"] * (max_reopens + 1)},
        {"target": Status.CLOSED, "rounds": ["unreached"], "unreached": 3},
        {"target": Status.CLOSED, "rounds": ["satisfied"], "whistle": 2, "reports": 2},
        {"target": Status.CLOSED, "rounds": ["satisfied"], "wrong_first": True},
        {"target": Status.CLOSED, "rounds": ["satisfied"], "extension": "approve"},
        {"target": Status.MERGED},
    ]
    specs = must[:count]
    targets_left = count - len(specs)
    specs += [{"target": _weighted(rng, STATUS_WEIGHTS)} for _ in range(targets_left)]

    stories: list[Story] = []
    merged = 0
    for spec in specs:
        target = spec["target"]
        if target == Status.MERGED:
            merged += 1
            continue
        s = Story(index=0, target=target, days_ago=0)
        for k, v in spec.items():
            setattr(s, k, v)
        if "rounds" not in spec:
            if target == Status.CLOSED:
                s.rounds, s.unreached = _closed_rounds(rng)
            elif target in (Status.RESOLVED, Status.REPLIED):
                s.rounds = [""]
                if target == Status.REPLIED and rng.random() < 0.25:
                    s.unreached = 1
                if rng.random() < 0.06:
                    s.rounds = ["unsatisfied", ""]
        if target in (Status.IN_PROGRESS, Status.CLOSED, Status.RESOLVED, Status.REPLIED):
            if "extension" not in spec and rng.random() < 0.12:
                s.extension = rng.choice(["approve", "approve", "deny", "pending"])
            if s.extension == "pending" and target != Status.IN_PROGRESS:
                s.extension = "approve"
        if target in (Status.CLOSED, Status.RESOLVED, Status.REPLIED) and "whistle" not in spec:
            if rng.random() < 0.1:
                s.whistle = rng.randint(1, 3)
                s.reports = s.whistle
                s.answers = rng.randint(0, s.whistle)
        if target == Status.ESCALATED and "whistle" not in spec:
            s.whistle = rng.randint(1, 3)
            s.reports = rng.randint(0, s.whistle)
            s.answers = rng.randint(0, s.reports)
        if target == Status.IN_PROGRESS and "rounds" not in spec and rng.random() < 0.07:
            s.rounds, s.stop_after_reopen = ["unsatisfied"], True
        if s.extension == "pending" and (s.stop_after_reopen or s.centre_reopen):
            s.extension = "approve"  # decided before the appeal was resolved
        if s.whistle:
            s.lead = "street"
        if target not in (Status.NEW, Status.RETURNED) and "wrong_first" not in spec:
            s.wrong_first = rng.random() < 0.06
        if target == Status.DISPATCHED and "redispatch" not in spec:
            s.redispatch = rng.random() < 0.15
        if target == Status.RETURNED and "claim_then_return" not in spec:
            s.claim_then_return = rng.random() < 0.4
        s.assist = target not in (Status.NEW, Status.RETURNED) and rng.random() < 0.18
        multi = len(s.rounds) > 1 or s.stop_after_reopen or s.centre_reopen
        s.days_ago = spec.get("days_ago") or _age(rng, target, multi)
        if s.whistle and target != Status.ESCALATED:
            s.days_ago = max(s.days_ago, rng.uniform(10, 30))  # whistles take their time
        stories.append(s)
    # Duplicates go to stories that are dispatched by then and not returned.
    hosts = [s for s in stories if s.target not in (Status.NEW, Status.RETURNED)]
    for _ in range(merged):
        if hosts:
            rng.choice(hosts).children += 1
        else:  # nothing to merge into: keep the count with a plain new appeal
            stories.append(Story(index=0, target=Status.NEW, days_ago=rng.uniform(0.05, 1)))
    # Channels: every channel at least once (when there are enough stories), then by weight.
    channels = list(CHANNEL_WEIGHTS)[: len(stories)]
    channels += [_weighted(rng, CHANNEL_WEIGHTS) for _ in range(len(stories) - len(channels))]
    rng.shuffle(channels)
    for s, channel in zip(stories, channels, strict=True):
        s.channel = channel
    stories.sort(key=lambda s: -s.days_ago)
    for i, s in enumerate(stories):
        s.index = i
    return stories


def appeals_in(stories: list[Story]) -> int:
    return sum(1 + s.children for s in stories)


# --- running one story ----------------------------------------------------------------------


class StoryRunner:
    """Plays one story through the verbs."""

    def __init__(self, org: DemoOrg, story: Story, seed: int, clock: DemoClock):
        self.org = org
        self.s = story
        self.rng = random.Random(f"story:{seed}:{story.index}")
        self.clock = clock
        self.text = TextMaker(self.rng)
        self.clock.rng = self.rng
        self.a: Appeal | None = None
        self.category: Category | None = None
        self.slots: dict[str, str] = {}
        self.urgency = Urgency.NORMAL
        self.body = ""
        self.outcome_text = ""
        self.children: list[Appeal] = []

    # who ---------------------------------------------------------------------------------------
    def dispatcher(self) -> User:
        return self.rng.choice(self.org.dispatchers)

    def handler(self, unit: Unit) -> User:
        return self.org.handlers[unit.pk]

    def handler_or_leader(self, unit: Unit, leader_share: float = 0.3) -> User:
        leader = self.org.leaders.get(unit.pk)
        if leader and self.rng.random() < leader_share:
            return leader
        return self.org.handlers[unit.pk]

    # what --------------------------------------------------------------------------------------
    def _pick_category(self, channel: str) -> Category:
        org, rng = self.org, self.rng
        if channel == Channel.ENTERPRISE and rng.random() < 0.3:
            return org.categories[rng.choice(ENTERPRISE_OTHER)]
        if channel == Channel.ENTERPRISE:
            top = "business"
        else:
            top = _weighted(rng, TOP_WEIGHTS)
        if self.s.whistle:
            # Whistles happen on matters streets lead but cannot solve alone.
            code = rng.choice(sorted(WHISTLE_DEPARTMENTS))
            return org.categories[code]
        options = [c for c in org.subcategories if org.categories[top].pk == c.parent_id]
        return rng.choice(options)

    def _grid(self, point: CollectionPoint | None, urban: bool = False) -> Unit:
        """Where it happens: near the collection point if any; in an urban community (not
        a village) when the category's stories need residential compounds."""
        org = self.org
        grids = org.grids
        if urban:
            grids = [g for g in grids if not org.grid_place[g.pk].rural]
        if point is not None and point.unit.kind != UnitKind.DISTRICT:
            near = [g for g in grids if g.path.startswith(point.unit.path)]
            if near:
                return self.rng.choice(near)
        return self.rng.choice(grids)

    def right_unit(self, grid: Unit, category: Category) -> Unit:
        org, rng = self.org, self.rng
        street, community = org.grid_street[grid.pk], org.grid_community[grid.pk]
        if self.s.lead == "street":
            return street
        if category.default_lead_kind == UnitKind.COMMUNITY:
            return community if rng.random() < 0.7 else street
        if category.default_lead_kind in (UnitKind.STREET, UnitKind.TOWN):
            return street
        dept = category.default_lead_unit
        if dept is None:
            return street
        if category.parent.code == "business" or rng.random() < 0.6:
            return dept
        return street

    def wrong_unit(self, right: Unit, grid: Unit) -> Unit:
        org, rng = self.org, self.rng
        if right.kind == UnitKind.DEPARTMENT or rng.random() < 0.5:
            options = [d for d in org.departments.values() if d.pk != right.pk]
        else:
            own = org.grid_street[grid.pk]
            options = [s for s in org.streets if s.pk not in (own.pk, right.pk)]
        return rng.choice(options)

    # the story ---------------------------------------------------------------------------------
    def run(self, start: dt.datetime) -> Appeal:
        s, rng, clock, org = self.s, self.rng, self.clock, self.org
        clock.set(start)
        self.register()
        a = self.a
        if s.target == Status.NEW:
            return a  # the routing step proposes (or dispatches) after the history is built
        if a.category_id is None or rng.random() < 0.08:
            clock.after_minutes(3, 50)
            urgency = None
            if a.category_id and a.urgency == Urgency.NORMAL and rng.random() < 0.5:
                urgency = self.urgency = Urgency.URGENT
            actions.classify(a, actor=self.dispatcher(), category=self.category, urgency=urgency)
        right = self.right_unit(a.grid, self.category)
        if s.wrong_first or s.target == Status.RETURNED:
            wrong = self.wrong_unit(right, a.grid)
            clock.after_minutes(10, 150)
            actions.dispatch(a, actor=self.dispatcher(), lead_unit=wrong)
            if s.claim_then_return:
                clock.after_work_hours(0.2, 3)
                actions.claim(a, actor=self.handler(wrong))
            clock.after_work_hours(0.5, 6)
            actions.return_appeal(
                a,
                actor=self.handler_or_leader(wrong),
                reason=self.text.pick(RETURN_REASONS, 正确单位=right.name),
            )
            if s.target == Status.RETURNED:
                return a
            clock.after_minutes(10, 120)
            self.dispatch(right, note=rng.choice(REDISPATCH_NOTES))
        else:
            clock.after_minutes(10, 180)
            self.dispatch(right)
        if s.redispatch:
            # 改派: from a department to the street, or from a street to a department.
            if right.kind == UnitKind.DEPARTMENT:
                other = org.grid_street[a.grid.pk]
            else:
                depts = [d for d in org.departments.values() if d.pk != right.pk]
                other = self.category.default_lead_unit or rng.choice(depts)
            clock.after_minutes(20, 240)
            actions.dispatch(a, actor=self.dispatcher(), lead_unit=other, note="改派")
            right = other
        for _ in range(s.children):
            self.merge_duplicate()
        if s.target == Status.DISPATCHED:
            return a
        self.claim(right)
        self.handle(right)
        if s.whistle:
            self.whistle(right)
        if s.target == Status.ESCALATED:
            return a
        if s.target == Status.IN_PROGRESS and not (s.stop_after_reopen or s.centre_reopen):
            return a
        return self.finish(right)

    def register(self) -> None:
        org, rng = self.org, self.rng
        channel = self.s.channel
        point = None
        if channel == Channel.H5 and rng.random() < 0.75:
            point = rng.choice(org.points)
        elif channel == Channel.ENTERPRISE:
            point = rng.choice(org.enterprise_points)
        self.category = self._pick_category(channel)
        grid = self._grid(point, urban=not self.text.fits_rural(self.category.code))
        kind = AppellantKind.PERSON
        enterprise = ""
        if channel == Channel.ENTERPRISE or (
            self.category.parent.code == "business" and rng.random() < 0.5
        ):
            kind = AppellantKind.ENTERPRISE
            enterprise = self.text.enterprise()
        elif channel in (Channel.H5, Channel.MINIPROGRAM) and rng.random() < 0.08:
            kind = AppellantKind.ANONYMOUS
        subject, detail, self.body, address, slots = self.text.appeal(
            self.category.code, org.grid_place[grid.pk], channel, enterprise
        )
        self.slots = slots
        urgency = Urgency.NORMAL
        x = rng.random()
        if x < 0.03 or (x < 0.12 and self.category.code in ("water-supply", "fire-safety")):
            urgency = Urgency.CRITICAL
        elif x < 0.14:
            urgency = Urgency.URGENT
        urgency = self.s.urgency or urgency
        self.urgency = urgency
        if channel in (Channel.HOTLINE, Channel.DEPUTY, Channel.CONSULTATION):
            actor = self.dispatcher()
        elif channel in (Channel.WECHAT_GROUP, Channel.VISIT):
            actor = org.grid_workers[grid.pk]
        else:
            actor = None
        # The hotline operator often picks the category while on the phone.
        category = self.category if channel == Channel.HOTLINE and rng.random() < 0.5 else None
        lat = lng = None
        if channel in (Channel.H5, Channel.MINIPROGRAM, Channel.VISIT, Channel.WECHAT_GROUP):
            if rng.random() < 0.8:
                base_lat, base_lng = org.grid_coords[grid.pk]
                lat = Decimal(f"{base_lat + rng.uniform(-0.0012, 0.0012):.6f}")
                lng = Decimal(f"{base_lng + rng.uniform(-0.0012, 0.0012):.6f}")
        about = None
        if kind == AppellantKind.ENTERPRISE and self.category.default_lead_unit_id:
            if rng.random() < 0.5:
                about = self.category.default_lead_unit
        hour = timezone.localtime(self.clock.t).hour
        if hour < 6 and channel != Channel.HOTLINE:
            # Residents rarely write at night: move it to the evening before.
            self.clock.set(self.clock.t - dt.timedelta(hours=hour + rng.uniform(0.5, 2.5)))
        self.a = actions.register_appeal(
            actor=actor,
            channel=channel,
            subject=subject,
            detail=detail,
            appellant_kind=kind,
            appellant_name="" if kind == AppellantKind.ANONYMOUS else self.text.person(),
            appellant_phone="" if kind == AppellantKind.ANONYMOUS else self.text.phone(),
            enterprise_name=enterprise,
            address=address,
            grid=grid,
            latitude=lat,
            longitude=lng,
            category=category,
            urgency=urgency,
            collection_point=point,
            about_unit=about,
        )

    def dispatch(self, lead: Unit, note: str | None = None) -> None:
        org, rng, a = self.org, self.rng, self.a
        assist: list[Unit] = []
        if self.s.assist:
            if lead.kind == UnitKind.DEPARTMENT:
                assist = [org.grid_street[a.grid.pk]]
            else:
                code = WHISTLE_DEPARTMENTS.get(self.category.code, DEFAULT_WHISTLE)[0]
                dept = self.category.default_lead_unit or org.departments[code]
                assist = [dept] if dept.pk != lead.pk else []
                if rng.random() < 0.4:
                    assist.append(org.grid_community[a.grid.pk])
        actions.dispatch(
            a,
            actor=self.dispatcher(),
            lead_unit=lead,
            assist_units=assist,
            note=rng.choice(JOINT_DISPATCH_NOTES if assist else DISPATCH_NOTES)
            if note is None
            else note,
        )

    def merge_duplicate(self) -> None:
        """Another resident reports the same thing; the centre merges it into this appeal."""
        rng, parent, clock = self.rng, self.a, self.clock
        clock.after_hours(0.5, 20)
        channel = rng.choice([Channel.HOTLINE, Channel.HOTLINE, Channel.MINIPROGRAM, Channel.H5])
        actor = self.dispatcher() if channel == Channel.HOTLINE else None
        opener = rng.choice(OPENERS[channel]).format_map(self.slots)
        child = actions.register_appeal(
            actor=actor,
            channel=channel,
            subject=parent.subject,
            detail=opener + self.body + self.text.closer(self.body),
            appellant_name=self.text.person(),
            appellant_phone=self.text.phone(),
            address=parent.address,
            grid=parent.grid,
        )
        self.children.append(child)
        clock.after_minutes(5, 60)
        actions.merge(child, actor=self.dispatcher(), parent=parent, note=rng.choice(MERGE_NOTES))

    def claim(self, lead: Unit) -> None:
        rng, clock, a = self.rng, self.clock, self.a
        # Units keep a duty roster (7×24 for urgent matters), so claims come on weekends too.
        if rng.random() < 0.08:
            clock.after_work_hours(4, 20)  # a late claim
        elif self.urgency != Urgency.NORMAL:
            clock.after_minutes(3, 50)
        else:
            clock.after_duty_hours(0.1, 1.8)
        actions.claim(a, actor=self.handler_or_leader(lead, 0.15))
        for assignment in a.assignments.filter(active=True, role="assist"):
            clock.after_duty_hours(0.2, 5)
            actions.claim(a, actor=self.handler(assignment.unit), unit_id=assignment.unit_id)

    def handle(self, lead: Unit) -> None:
        s, rng, clock, a = self.s, self.rng, self.clock, self.a
        if a.appellant_phone:
            if rng.random() < 0.07:
                clock.after_work_hours(20, 40)  # a late first contact
            elif self.urgency != Urgency.NORMAL:
                clock.after_minutes(5, 40)
            else:
                clock.after_duty_hours(0.1, 4)
            actions.contact_appellant(
                a, actor=self.handler(lead), note=self.text.pick(CONTACT_NOTES, 日="明天")
            )
        for _ in range(rng.choice((0, 1, 1, 2))):
            clock.after_work_hours(1, 12)
            actions.add_progress(
                a, actor=self.handler(lead), note=self.text.progress(self.category.parent.code)
            )
        if s.extension:
            clock.after_work_days(0.5, 2)
            days = rng.choice((2, 3, 5, 10))
            ext = actions.request_extension(
                a,
                actor=self.handler(lead),
                days=days,
                reason=self.text.pick(EXTENSION_REASONS, n=str(days)),
            )
            if s.extension != "pending":
                clock.after_work_hours(0.5, 6)
                approve = s.extension == "approve"
                actions.decide_extension(
                    ext,
                    actor=self.dispatcher(),
                    approve=approve,
                    note=rng.choice(EXTENSION_APPROVALS if approve else EXTENSION_DENIALS),
                )
        if s.assist:
            for assignment in a.assignments.filter(active=True, role="assist", status="claimed"):
                if rng.random() < 0.6:
                    clock.after_work_hours(2, 20)
                    actions.add_progress(
                        a,
                        actor=self.handler(assignment.unit),
                        note=self.text.progress(self.category.parent.code),
                    )

    def whistle(self, street: Unit) -> None:
        s, rng, clock, a, org = self.s, self.rng, self.clock, self.a, self.org
        codes = list(WHISTLE_DEPARTMENTS.get(self.category.code, DEFAULT_WHISTLE))
        rng.shuffle(codes)
        depts = [org.departments[c] for c in codes[: s.whistle]]
        if len(depts) < s.whistle:
            extra = [org.departments[c] for c in DEFAULT_WHISTLE if org.departments[c] not in depts]
            depts += extra[: s.whistle - len(depts)]
        clock.after_work_hours(2, 30)
        actions.blow_whistle(
            a,
            actor=self.handler_or_leader(street, 0.6),
            departments=depts,
            reason=self.text.whistle_reason(
                [d.name for d in depts], "镇" if street.kind == UnitKind.TOWN else "街道"
            ),
        )
        reported = depts[: s.reports]
        for d in reported:
            clock.after_work_hours(0.5, 12 if rng.random() < 0.8 else 30)
            actions.report_summons(
                a,
                actor=self.handler_or_leader(d, 0.3),
                share=self.text.summons_share(org.dept_code[d.pk], org.dept_office[d.pk]),
                unit_id=d.pk,
            )
        for d in reported[: s.answers]:
            clock.after_work_days(0.5, 3)
            actions.answer_summons(
                a,
                actor=self.handler(d),
                answer=self.text.summons_answer(org.dept_code[d.pk]),
                unit_id=d.pk,
            )
            if rng.random() < 0.5:
                clock.after_work_hours(1, 8)
                actions.add_progress(
                    a, actor=self.handler(d), note=self.text.progress(self.category.parent.code)
                )

    def resolve(self, lead: Unit, round_no: int) -> None:
        s, rng, clock, a = self.s, self.rng, self.clock, self.a
        kind = s.outcome if round_no == 0 and s.outcome else ""
        if not kind:
            x = rng.random()
            kind = (
                OutcomeKind.ON_SPOT
                if x < 0.3
                else (OutcomeKind.COORDINATED if x < 0.93 else OutcomeKind.LONG_TERM)
            )
        if kind == OutcomeKind.ON_SPOT and round_no == 0 and not s.whistle:
            clock.after_work_hours(1, 8)
        elif rng.random() < 0.15:
            clock.after_work_days(2, 6)  # late
        else:
            clock.after_work_days(0.2, 1.8)
        extra = self.text.long_term() if kind == OutcomeKind.LONG_TERM else {}
        outcome = self.text.outcome(self.category.code, self.category.parent.code, kind, self.slots)
        office = self.org.dept_office.get(lead.pk) or rng.choice(("综合办", "城建办", "社区办"))
        actions.resolve(
            a,
            actor=self.handler(lead),
            outcome_kind=kind,
            outcome=outcome,
            measures=rng.choice(MEASURES) if rng.random() < 0.6 else "",
            responsible_office=office,
            responsible_person=rng.choice(RESPONSIBLE_PEOPLE),
            **extra,
        )
        self.outcome_text = outcome

    def finish(self, lead: Unit) -> Appeal:
        s, rng, clock, a, org = self.s, self.rng, self.clock, self.a, self.org
        rounds = s.rounds or [""]
        for round_no, result in enumerate(rounds):
            last = round_no == len(rounds) - 1
            self.resolve(lead, round_no)
            if s.centre_reopen and round_no == 0:
                clock.after_hours(1, 20)
                actions.reopen(a, actor=self.dispatcher(), reason=rng.choice(REOPEN_REASONS))
                if s.target == Status.IN_PROGRESS:
                    clock.after_work_hours(1, 10)
                    actions.add_progress(
                        a,
                        actor=self.handler(lead),
                        note=self.text.progress(self.category.parent.code),
                    )
                    return a
                self.resolve(lead, 1)
            if s.target == Status.RESOLVED and last:
                return a
            clock.after_work_hours(0.3, 8)
            actions.reply(
                a,
                actor=self.handler_or_leader(lead, 0.2),
                text=self.text.reply(a.subject, lead.name, self.outcome_text),
            )
            if s.target == Status.REPLIED and last:
                for _ in range(s.unreached):
                    clock.after_work_hours(2, 30)
                    actions.record_follow_up(a, actor=rng.choice(org.callbacks), reached=False)
                return a
            self.follow_up(result, last)
            if s.stop_after_reopen and last:
                a.refresh_from_db()
                if a.status == Status.IN_PROGRESS and rng.random() < 0.6:
                    clock.after_work_hours(1, 20)
                    actions.add_progress(
                        a,
                        actor=self.handler(lead),
                        note=self.text.progress(self.category.parent.code),
                    )
                return a
        clock.after_hours(0.5, 24)
        note = rng.choice(CLOSE_NOTES_UNREACHED if rounds[-1] == "unreached" else CLOSE_NOTES)
        # Every merged appellant is called back too before 销号 (their answer follows the
        # main appellant's; no draw from the random stream, so the rest of the plan is as it was).
        last_answer = (
            FollowUp.objects.filter(appeal=a, rated_appeal=None, reached=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        for child in Appeal.objects.filter(
            parent=a, status=Status.MERGED, replied_at__isnull=False
        ).exclude(appellant_phone=""):
            if last_answer is None:
                for _ in range(3):
                    actions.record_follow_up(child, actor=org.callbacks[0], reached=False)
                continue
            actions.record_follow_up(
                child,
                actor=org.callbacks[0],
                contacted=bool(last_answer.contacted),
                solved=bool(last_answer.solved),
                satisfaction=last_answer.satisfaction or Satisfaction.SATISFIED,
            )
        actions.close(a, actor=self.dispatcher(), note=note)
        return a

    def follow_up(self, result: str, last: bool) -> None:
        """One round's answer from the appellant: by the callback operator, or their own
        rating through the tracking code."""
        s, rng, clock, a, org = self.s, self.rng, self.clock, self.a, self.org
        a.refresh_from_db()
        if result == "unreached":
            for _ in range(max(s.unreached, 3)):
                clock.after_work_hours(2, 24)
                actions.record_follow_up(a, actor=rng.choice(org.callbacks), reached=False)
            return
        satisfaction = result or rng.choice(["satisfied", "satisfied", "basic"])
        solved = satisfaction != Satisfaction.UNSATISFIED
        comment = self.text.follow_up_comment(satisfaction)
        # Merged duplicates' appellants may rate too (only good news, so as not to reopen).
        for child in self.children:
            if solved and rng.random() < 0.5:
                clock.after_hours(1, 30)
                actions.rate(
                    child.code,
                    phone=child.appellant_phone,
                    satisfaction=rng.choice(["satisfied", "basic"]),
                    comment="",
                )
        resident = a.channel in RESIDENT_CHANNELS and (not a.appellant_phone or rng.random() < 0.55)
        if resident:
            clock.after_hours(1, 40)
            actions.rate(
                a.code,
                phone=a.appellant_phone or None,
                satisfaction=satisfaction,
                solved=solved,
                comment=comment,
            )
            return
        if last and s.unreached and result != "unreached":
            for _ in range(s.unreached):
                clock.after_work_hours(2, 24)
                actions.record_follow_up(a, actor=rng.choice(org.callbacks), reached=False)
        clock.after_work_hours(3, 40)
        actions.record_follow_up(
            a,
            actor=rng.choice(org.callbacks),
            contacted=rng.random() < 0.93,
            solved=solved,
            satisfaction=satisfaction,
            comment=comment,
            source=FollowUpSource.VISIT if rng.random() < 0.1 else FollowUpSource.CALLBACK,
        )


# --- state of the database and the whole build ----------------------------------------------


def builder_appeals():
    """The appeals of the builder's own stories: resident appeals through the built-in
    channels. Demo parts (minhu.demo.parts) add work items of their own kinds or channels
    (an Open311 request, a visit problem), which do not count towards the plan."""
    return Appeal.objects.filter(kind="appeal", channel__in=Channel.values)


def demo_state(seed: int, count: int) -> tuple[str, int]:
    """("empty" | "partial" | "complete" | "foreign" | "mismatch", stories already done)."""
    if not Unit.objects.exists():
        return "empty", 0
    if not Unit.objects.filter(code=D.DISTRICT[1], kind=UnitKind.DISTRICT).exists():
        return "foreign", 0
    stories = plan(seed, count)
    # Only the resident appeals the plan makes: demo parts add work items of their own kinds.
    have = builder_appeals().count()
    total = 0
    for i, s in enumerate(stories):
        if total == have:
            return "partial", i
        total += 1 + s.children
    if total == have:
        if not DispatchRule.objects.exists():  # the routing step has not run yet
            return "partial", len(stories)
        return "complete", len(stories)
    return "mismatch", 0


class _Out:
    def __init__(self, stdout: TextIO | None):
        self.stdout = stdout

    def __call__(self, line: str = "") -> None:
        if self.stdout is not None:
            self.stdout.write(line + "\n")
            flush = getattr(self.stdout, "flush", None)
            if flush:
                flush()


def _deterministic_codes(seed: int, index: int):
    """Tracking codes from the story's own generator (same seed, same codes)."""
    rng = random.Random(f"code:{seed}:{index}")
    if not hasattr(appeal_models, "secrets"):  # the code generator changed: leave it alone
        return contextlib.nullcontext()
    return mock.patch.object(appeal_models, "secrets", SimpleNamespace(choice=rng.choice))


def build_demo(seed: int = 0, appeals: int = 300, stdout: TextIO | None = None) -> dict:
    """Build (or finish building) the demo district. Returns a summary dict."""
    out = _Out(stdout)
    started = time.monotonic()
    state, done = demo_state(seed, appeals)
    if state == "foreign":
        raise DemoError("数据库中已有非演示数据（单位），请先清空（minhu demo --flush）")
    if state == "mismatch":
        raise DemoError(
            "数据库中的诉求数量与本次参数（--seed/--appeals）不符，无法续建；"
            "请使用 minhu demo --flush --yes-really 重建"
        )
    if state == "complete":
        from minhu.demo.parts import build_parts, buildable_parts

        # The appeals are all there; only other apps' parts may be missing (resume). A part
        # that waits for another (DemoPart.needs) stays pending: nothing to do then.
        if not buildable_parts():
            raise DemoError("演示数据已经存在")
        return {"parts": build_parts(seed, timezone.now(), out)}
    if state == "empty":
        with transaction.atomic():
            _create_org()
        c = expected_counts()
        out(
            f"组织架构：1个区、1个调度中心、{c[UnitKind.DEPARTMENT]}个区直部门、"
            f"{c[UnitKind.STREET] + c[UnitKind.TOWN]}个街道/镇、"
            f"{c[UnitKind.COMMUNITY] + c[UnitKind.VILLAGE]}个社区/村、"
            f"{c[UnitKind.GRID]}个网格、{c['accounts']}个账号、"
            f"{c['categories_top']}个一级分类/{c['categories_sub']}个二级分类"
        )
    elif done < len(plan(seed, appeals)):
        out(f"续建：已有 {done} 个故事的诉求，从第 {done + 1} 个继续")
    else:
        out("续建：诉求已全部生成，补做智能分拨")

    org = load_org()
    stories = plan(seed, appeals)
    total = appeals_in(stories)
    real_now = timezone.now()
    ceiling = real_now - dt.timedelta(minutes=10)
    old_hooks = getattr(settings, "MINHU_INTAKE_HOOKS", [])
    # Intake hooks (auto-classify, auto-dispatch, ...) would move the story on by themselves.
    settings.MINHU_INTAKE_HOOKS = []
    built = appeals_in(stories[:done])
    compressed = 0
    try:
        for batch_start in range(done, len(stories), BATCH):
            batch = stories[batch_start : batch_start + BATCH]
            with transaction.atomic(), DemoClock(random.Random(seed), ceiling) as clock:
                for story in batch:
                    with _deterministic_codes(seed, story.index):
                        start = real_now - dt.timedelta(days=story.days_ago)
                        StoryRunner(org, story, seed, clock).run(start)
                    built += 1 + story.children
                compressed += clock.compressed
            out(f"诉求：{built}/{total}")
        routing = set_up_routing(org, seed, ceiling)
    finally:
        settings.MINHU_INTAKE_HOOKS = old_hooks
    _settle_notifications(real_now)
    # Accountability: last period's published rankings, reviews, a recorded talk, the red/black
    # lists and supervision, all through the evaluation verbs.
    from minhu.evaluation.demo import populate as populate_evaluation

    evaluation = populate_evaluation(seed=seed)
    out(f"考核评价：{evaluation}")
    # Other apps' shares of the demo (minhu.demo.parts), each in its own transaction.
    from minhu.demo.parts import build_parts

    parts_built = build_parts(seed, real_now, out)
    summary = summarize(real_now)
    summary["routing"] = routing
    summary["evaluation"] = evaluation
    summary["parts"] = parts_built
    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["resumed_from"] = done
    summary["compressed_steps"] = compressed
    print_summary(summary, out)
    return summary


# --- smart routing --------------------------------------------------------------------------

# A category seen only once among the closed appeals cannot be learnt (and the classifier can
# calibrate its probabilities only when every class has at least two rows): such categories are
# left out of training. Below these sizes the demo keeps the keyword rules.
MIN_PER_CATEGORY = 2
MIN_TRAINING_APPEALS = 50
MIN_TRAINING_CATEGORIES = 5


def create_dispatch_rules(org: DemoOrg, actor: User | None) -> int:
    """派单目录: each second-level category to the unit the centre usually sends it to: its
    department district-wide; a street-type category to each street's (town's) own street,
    one rule per street; a community-type one to the appeal's own community (属地社区)."""
    n = 0
    for cat in sorted(org.subcategories, key=lambda c: (c.sort, c.pk)):
        kind = cat.default_lead_kind
        if cat.default_lead_unit_id:
            rules = [{"lead_unit": cat.default_lead_unit}]
        elif kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE):
            rules = [{"lead_local": LeadLocal.COMMUNITY}]
        else:  # street / town, or no default: the street of the area
            rules = [{"area": street, "lead_unit": street} for street in org.streets]
        for kwargs in rules:
            routing_actions.save_dispatch_rule(
                actor=actor, category=cat, note="演示：按分类默认承办单位", **kwargs
            )
            n += 1
    return n


def train_from_history(before: dt.datetime) -> ClassifierModel | None:
    """What `minhu route-train --from-history` does, for the appeals closed before `before`:
    closed appeals (not merged) with their final category train the classifier, which is
    stored with its evaluation (grouped cross-validation, or a holdout when small) and
    activated. None when there are too few of them."""
    rows = list(
        Appeal.objects.filter(status=Status.CLOSED, category__isnull=False, closed_at__lt=before)
        .order_by("pk")
        .values_list("subject", "detail", "category__code")
    )
    per_label = Counter(label for _s, _d, label in rows)
    rows = [r for r in rows if per_label[r[2]] >= MIN_PER_CATEGORY]
    labels = [label for _s, _d, label in rows]
    if len(rows) < MIN_TRAINING_APPEALS or len(set(labels)) < MIN_TRAINING_CATEGORIES:
        return None
    if not training.textclf_ready():
        return None
    model = training.train(
        [r[0] for r in rows], [r[1] for r in rows], labels, trained_on="history", actor=None
    )
    classifier.clear_cache()  # a rebuilt demo in the same process reuses version numbers
    return model


def set_up_routing(org: DemoOrg, seed: int, ceiling: dt.datetime) -> dict:
    """After the history: the dispatch catalogue, a model trained on the closed appeals, and
    the intake hook for every appeal still waiting (as it would have run a minute after each
    came in): confident proposals are dispatched automatically, the others are stored for the
    dispatcher's form. All in one transaction (the catalogue marks the step as done)."""
    waiting = list(Appeal.objects.filter(status=Status.NEW).order_by("created_at", "id"))
    rng = random.Random(f"routing:{seed}")
    first = waiting[0].created_at if waiting else ceiling
    trained_at = min(first - dt.timedelta(hours=rng.uniform(1, 3)), ceiling)
    with transaction.atomic(), DemoClock(rng, ceiling) as clock:
        clock.set(trained_at - dt.timedelta(minutes=rng.uniform(20, 60)))
        rules = create_dispatch_rules(org, org.dispatchers[0] if org.dispatchers else None)
        clock.set(trained_at)
        model = train_from_history(trained_at)
        last_event = dict(
            AppealEvent.objects.filter(appeal__in=waiting)
            .values_list("appeal_id")
            .annotate(at=Max("created_at"))
        )
        for a in waiting:
            clock.set(last_event.get(a.pk, a.created_at) + dt.timedelta(seconds=rng.uniform(5, 60)))
            intake.on_register(a.pk)  # the hook itself: a failure leaves the appeal waiting
    decisions = RoutingDecision.objects.filter(appeal__in=waiting)
    return {
        "rules": rules,
        "model_version": f"v{model.version}" if model else "",
        "trained_on": model.n_samples if model else 0,
        "macro_f1": (model.evaluation or {}).get("macro_f1") if model else None,
        "auto_dispatched": decisions.filter(kind=DecisionKind.AUTO).count(),
        "proposed": decisions.filter(kind=DecisionKind.PROPOSAL).count(),
    }


def _settle_notifications(now: dt.datetime) -> None:
    """The delivery worker would long have sent the history's notifications and staff would
    have read the older ones; only the last hour's stay pending."""
    Notification.objects.filter(
        status=DeliveryStatus.PENDING, created_at__lt=now - dt.timedelta(hours=1)
    ).update(status=DeliveryStatus.SENT, sent_at=F("created_at"), attempts=1)
    Notification.objects.filter(
        channel=NotificationChannel.IN_APP,
        read_at__isnull=True,
        created_at__lt=now - dt.timedelta(days=3),
    ).update(read_at=F("created_at") + dt.timedelta(hours=2))


def summarize(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    soon = now + dt.timedelta(hours=settings.MINHU_DUE_SOON_HOURS)
    by_status = dict(Appeal.objects.values_list("status").annotate(n=Count("id")))
    open_q = Appeal.objects.filter(status__in=OPEN_STATUSES).exclude(current_due_at=None)
    return {
        "appeals": sum(by_status.values()),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_channel": dict(Appeal.objects.values_list("channel").annotate(n=Count("id"))),
        "events": AppealEvent.objects.count(),
        "follow_ups": dict(
            FollowUp.objects.filter(reached=True)
            .values_list("satisfaction")
            .annotate(n=Count("id"))
        ),
        "reopened": Appeal.objects.filter(reopen_count__gt=0).count(),
        "overdue": open_q.filter(current_due_at__lt=now).count(),
        "due_soon": open_q.filter(current_due_at__gte=now, current_due_at__lt=soon).count(),
        "units": dict(Unit.objects.values_list("kind").annotate(n=Count("id"))),
        "users": User.objects.count(),
        "categories": Category.objects.count(),
    }


def print_summary(summary: dict, out) -> None:
    out("")
    out(f"演示数据已就绪：{summary['appeals']} 条诉求，{summary['events']} 条事件")
    for status in Status:
        out(f"  {status.label:<8} {status.value:<12} {summary['by_status'][status.value]:>5}")
    fu = summary["follow_ups"]
    out(
        f"  回访/评价：满意 {fu.get('satisfied', 0)}，基本满意 {fu.get('basic', 0)}，"
        f"不满意 {fu.get('unsatisfied', 0)}；重办过的诉求 {summary['reopened']} 条"
    )
    out(f"  在办诉求：已超时 {summary['overdue']}，即将超时 {summary['due_soon']}")
    routing = summary.get("routing")
    if routing:
        model = (
            f"模型 {routing['model_version']}（{routing['trained_on']} 条已销号诉求训练）"
            if routing["model_version"]
            else "已销号诉求太少，未训练模型，使用关键词规则"
        )
        out(
            f"  智能分拨：派单目录 {routing['rules']} 条，{model}；"
            f"自动派单 {routing['auto_dispatched']} 件，"
            f"待调度员确认的建议 {routing['proposed']} 件"
        )
    if "seconds" in summary:
        out(f"  用时 {summary['seconds']} 秒")
    out("  登录账号：minhu demo --logins（统一密码 " + D.PASSWORD + "）")


# --- logins ---------------------------------------------------------------------------------


def logins_table(full: bool = False) -> list[tuple[str, str, str, str]]:
    """(username, password, role, unit) rows. Without `full`, community and grid accounts are
    summarised in one row each."""
    names = {}
    for s in D.STREETS:
        names[s.code] = s.name
        for si_c in s.communities:
            names[si_c.code] = si_c.name
    for d in D.DEPARTMENTS:
        names[d.code] = d.name
    names[D.DISTRICT[1]] = D.DISTRICT[0]
    names[D.CENTRE[1]] = D.CENTRE[0]
    rows = []
    community_rows, grid_rows = [], []
    for a in D.accounts():
        role = Role(a.role).label
        unit_name = names.get(a.unit_code)
        if unit_name is None:  # grids
            base, g = a.unit_code.rsplit("-g", 1)
            unit_name = f"{names[base]}第{g}网格"
        row = (a.username, D.PASSWORD, str(role), unit_name)
        if a.role == Role.GRID_WORKER:
            grid_rows.append(row)
        elif a.unit_code in {c.code for s in D.STREETS for c in s.communities}:
            community_rows.append(row)
        else:
            rows.append(row)
    from minhu.demo.parts import part_logins

    extra = part_logins()
    if full:
        return rows + community_rows + grid_rows + extra
    first_c, first_g = community_rows[0], grid_rows[0]
    rows.append(
        (
            f"{first_c[0]} 等",
            D.PASSWORD,
            first_c[2],
            f"{first_c[3]}等{len(community_rows)}个社区/村，各一个：<社区拼音>-handler",
        )
    )
    rows.append(
        (
            f"{first_g[0]} 等",
            D.PASSWORD,
            first_g[2],
            f"{first_g[3]}等{len(grid_rows)}个网格，各一个：<社区拼音>-grid<N>",
        )
    )
    return rows + extra


def resident_example() -> Appeal | None:
    """An answered appeal a visitor can look up and rate on the residents' H5 pages."""
    return (
        Appeal.objects.filter(
            status=Status.REPLIED, channel__in=RESIDENT_CHANNELS, parent=None, reopen_count=0
        )
        .exclude(appellant_phone="")
        .order_by("created_at", "id")
        .first()
    )


def format_logins(full: bool = False) -> str:
    rows = [("用户名", "密码", "角色", "单位"), *logins_table(full)]

    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    widths = [max(width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for i, r in enumerate(rows):
        cells = [r[j] + " " * (widths[j] - width(r[j])) for j in range(3)] + [r[3]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 10)
    return "\n".join(lines)
