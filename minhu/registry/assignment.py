"""Cadre links (联户) in three tiers (seed 004): district leaders 联系 (each 包联 a town, recorded
as `LeaderTownLink`), district departments 帮包 the communities they are paired with (the orgs
pairing 结对/双报到, `Unit.paired_communities`), streets/towns 兜底 everything left.

`pool_for(grid)` says which cadres cover a grid and in which tier; `plan(...)` splits the grid's
unlinked households among them, balanced by load and keeping each building with one cadre;
`coverage(...)` lists the gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

from .models import CadreLink, CadreTier, Household, LeaderTownLink

CADRE_ROLES = {Role.HANDLER, Role.UNIT_LEADER, Role.GRID_WORKER}
DEFAULT_MAX_LOAD = 30


@dataclass
class Pool:
    tier: str
    # (user, unit the user acts for)
    cadres: list[tuple[User, Unit]]


def _members(units) -> list[tuple[User, Unit]]:
    rows = (
        Membership.objects.filter(
            unit__in=units, role__in=CADRE_ROLES, active=True, user__is_active=True
        )
        .select_related("user", "unit")
        .order_by("unit__path", "user_id")
    )
    seen, out = set(), []
    for m in rows:
        if m.user_id not in seen:
            seen.add(m.user_id)
            out.append((m.user, m.unit))
    return out


def pool_for(grid: Unit) -> Pool:
    community = grid.parent
    departments = list(
        Unit.objects.filter(
            kind=UnitKind.DEPARTMENT, active=True, paired_communities=community
        ).order_by("path")
    )
    if departments:
        cadres = _members(departments)
        if cadres:
            return Pool(CadreTier.SUPPORT, cadres)
    street = community.parent if community else None
    area = [u for u in (grid, community, street) if u is not None]
    return Pool(CadreTier.BACKSTOP, _members(area))


def candidates(grid: Unit) -> list[tuple[User, Unit, str]]:
    """Whom a grid's household may be linked to by hand, with the tier and the unit the cadre
    acts for: the paired departments' cadres (帮包), the grid's, community's and street's staff
    (兜底), and the district leader who 包联 the street/town (联系)."""
    community = grid.parent
    street = community.parent if community else None
    out: list[tuple[User, Unit, str]] = []
    departments = list(
        Unit.objects.filter(
            kind=UnitKind.DEPARTMENT, active=True, paired_communities=community
        ).order_by("path")
    )
    out += [(u, unit, CadreTier.SUPPORT) for u, unit in _members(departments)]
    area = [u for u in (grid, community, street) if u is not None]
    out += [(u, unit, CadreTier.BACKSTOP) for u, unit in _members(area)]
    leader = town_leader(street) if street is not None else None
    if leader is not None and leader.is_active:
        m = (
            Membership.objects.filter(user=leader, role=Role.DISTRICT_LEADER, active=True)
            .select_related("unit")
            .first()
        )
        if m is not None:
            out.append((leader, m.unit, CadreTier.CONTACT))
    return out


def town_leader(town: Unit) -> User | None:
    link = LeaderTownLink.objects.filter(town=town, ended_at__isnull=True).first()
    return link.leader if link else None


def plan(households: list[Household], cadres: list[tuple[User, Unit]], load: dict[int, int]):
    """[(household, user, unit)]: households grouped by building (a building stays with one
    cadre), the biggest groups first, each to the cadre with the lowest load so far."""
    groups: dict[object, list[Household]] = defaultdict(list)
    for h in households:
        groups[("b", h.building_id) if h.building_id else ("h", h.pk)].append(h)
    out = []
    load = {u.pk: load.get(u.pk, 0) for u, _unit in cadres}
    order = {u.pk: i for i, (u, _unit) in enumerate(cadres)}
    by_id = {u.pk: (u, unit) for u, unit in cadres}
    for _key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        uid = min(load, key=lambda k: (load[k], order[k]))
        user, unit = by_id[uid]
        for h in members:
            out.append((h, user, unit))
        load[uid] += len(members)
    return out


def current_load(user_ids) -> dict[int, int]:
    return dict(
        CadreLink.objects.filter(cadre_id__in=list(user_ids), ended_at__isnull=True)
        .values("cadre_id")
        .annotate(n=Count("id"))
        .values_list("cadre_id", "n")
    )


@dataclass
class Coverage:
    households: int
    linked: int
    unlinked: int
    overloaded: list[tuple[User, int]]
    left: list[tuple[User, int]]

    @property
    def percent(self) -> float:
        return round(100 * self.linked / self.households, 1) if self.households else 100.0


def coverage(households_qs, *, max_load: int = DEFAULT_MAX_LOAD) -> Coverage:
    active = households_qs.filter(active=True)
    total = active.count()
    linked = active.filter(has_cadre()).count()
    links = CadreLink.objects.filter(household__in=active, ended_at__isnull=True)
    per_cadre = dict(links.values("cadre_id").annotate(n=Count("id")).values_list("cadre_id", "n"))
    users = User.objects.in_bulk(list(per_cadre))
    over = sorted(
        ((users[c], n) for c, n in per_cadre.items() if n > max_load), key=lambda x: -x[1]
    )
    # Cadres who left: account disabled, or no active membership any more.
    still = set(
        Membership.objects.filter(
            user_id__in=list(per_cadre), active=True, unit__active=True
        ).values_list("user_id", flat=True)
    )
    left = sorted(
        ((users[c], n) for c, n in per_cadre.items() if not users[c].is_active or c not in still),
        key=lambda x: -x[1],
    )
    return Coverage(total, linked, total - linked, over, left)


def has_cadre():
    return Exists(CadreLink.objects.filter(household=OuterRef("pk"), ended_at__isnull=True))


def unlinked(households_qs):
    return households_qs.filter(active=True).exclude(has_cadre())
