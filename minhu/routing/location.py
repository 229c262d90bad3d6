"""Location: address text → grid / community / street through a gazetteer, and coordinates →
grid through polygons (plain Python, no GIS).

The gazetteer holds the names of the organisation's areas (streets/towns, communities/villages,
grids), each also without its suffix (街道/社区/村 ...), and the registry of places (roads,
estates, buildings, landmarks) with their aliases. Matching scans the text and keeps, at each
position, the longest name found; the most specific match wins, and a match that contradicts a
more specific one (another street) is ignored."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Max

from minhu.orgs.models import Unit, UnitKind

from .geometry import point_in_polygon, validate_polygon  # noqa: F401  (re-exported)
from .models import GridArea, Place

UNIT_SUFFIXES = (
    "街道办事处",
    "街道办",
    "居民委员会",
    "村民委员会",
    "居委会",
    "村委会",
    "街道",
    "社区",
    "网格",
    "镇",
    "村",
    "乡",
)
AREA_UNIT_KINDS = {
    UnitKind.STREET,
    UnitKind.TOWN,
    UnitKind.COMMUNITY,
    UnitKind.VILLAGE,
    UnitKind.GRID,
}
# Specificity of what a name resolves to.
LEVEL = {"grid": 3, "community": 2, "street": 1}
MIN_NAME_LEN = 2


@dataclass
class Target:
    grid_id: int | None
    community_id: int | None
    street_id: int | None
    source: str  # "unit" or "place"
    label: str  # the canonical name
    kind: str  # unit kind or place kind

    @property
    def level(self) -> int:
        if self.grid_id:
            return LEVEL["grid"]
        if self.community_id:
            return LEVEL["community"]
        return LEVEL["street"] if self.street_id else 0


@dataclass
class LocationMatch:
    grid_id: int | None = None
    community_id: int | None = None
    street_id: int | None = None
    matched: list[str] = field(default_factory=list)  # the texts found
    source: str = ""  # "text", "polygon", "appeal"
    label: str = ""

    @property
    def found(self) -> bool:
        return bool(self.grid_id or self.community_id or self.street_id)

    @property
    def area_ids(self) -> list[int]:
        """Most specific first: community, street (the areas of the dispatch catalogue)."""
        return [i for i in (self.community_id, self.street_id) if i]

    def as_dict(self) -> dict:
        names = dict(
            Unit.objects.filter(
                pk__in=[i for i in (self.grid_id, self.community_id, self.street_id) if i]
            ).values_list("pk", "name")
        )
        return {
            "grid_id": self.grid_id,
            "grid_name": names.get(self.grid_id, ""),
            "community_id": self.community_id,
            "community_name": names.get(self.community_id, ""),
            "street_id": self.street_id,
            "street_name": names.get(self.street_id, ""),
            "matched": self.matched,
            "source": self.source,
        }


def strip_suffix(name: str) -> str:
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_NAME_LEN:
            return name[: -len(suffix)]
    return name


class Gazetteer:
    """Name → targets, built from units and places."""

    def __init__(self, units: list[dict], places: list[dict]):
        self.names: dict[str, list[Target]] = {}
        by_id = {u["id"]: u for u in units}

        def chain(unit_id: int | None) -> tuple[int | None, int | None, int | None]:
            grid = community = street = None
            u = by_id.get(unit_id)
            while u is not None:
                kind = u["kind"]
                if kind == UnitKind.GRID and grid is None:
                    grid = u["id"]
                elif kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) and community is None:
                    community = u["id"]
                elif kind in (UnitKind.STREET, UnitKind.TOWN) and street is None:
                    street = u["id"]
                u = by_id.get(u["parent_id"])
            return grid, community, street

        self.chain = chain
        for u in units:
            if u["kind"] not in AREA_UNIT_KINDS:
                continue
            g, c, s = chain(u["id"])
            target = Target(g, c, s, "unit", u["name"], u["kind"])
            for name in {u["name"], strip_suffix(u["name"])}:
                self._add(name, target)
        for p in places:
            g, c, s = chain(p["grid_id"] or p["area_id"])
            if not (g or c or s):
                continue
            target = Target(g, c, s, "place", p["name"], p["kind"])
            for name in [p["name"], *p["aliases"]]:
                self._add(name, target)
        self.max_len = max((len(n) for n in self.names), default=0)

    def _add(self, name: str, target: Target) -> None:
        name = name.strip()
        if len(name) < MIN_NAME_LEN:
            return
        targets = self.names.setdefault(name, [])
        if target not in targets:
            targets.append(target)

    def scan(self, text: str) -> list[tuple[str, list[Target]]]:
        """Longest names found in `text`, left to right, not overlapping."""
        found = []
        i, n = 0, len(text)
        while i < n:
            hit = None
            for length in range(min(self.max_len, n - i), MIN_NAME_LEN - 1, -1):
                piece = text[i : i + length]
                if piece in self.names:
                    hit = piece
                    break
            if hit:
                found.append((hit, self.names[hit]))
                i += len(hit)
            else:
                i += 1
        return found

    def match(self, text: str) -> LocationMatch:
        hits = self.scan(text or "")
        if not hits:
            return LocationMatch()
        # Every (name, target) candidate; ambiguous names (several targets) are kept only if
        # another hit confirms one of their targets.
        candidates: list[tuple[str, Target]] = []
        for name, targets in hits:
            for t in targets:
                candidates.append((name, t))

        def consistent(a: Target, b: Target) -> bool:
            for x, y in ((a.street_id, b.street_id), (a.community_id, b.community_id)):
                if x and y and x != y:
                    return False
            return not (a.grid_id and b.grid_id and a.grid_id != b.grid_id)

        def support(t: Target) -> int:
            return sum(1 for _, o in candidates if o is not t and consistent(t, o))

        def ambiguous(name: str) -> bool:
            return len(self.names[name]) > 1

        ranked = sorted(
            candidates,
            key=lambda c: (
                not ambiguous(c[0]) or support(c[1]) > 0,  # unambiguous or confirmed
                support(c[1]),
                c[1].level,
                c[1].source == "place",
                len(c[0]),
            ),
            reverse=True,
        )
        best_name, best = ranked[0]
        if ambiguous(best_name) and support(best) == 0:
            # Several areas share the name and nothing else tells them apart: keep only what
            # they have in common.
            targets = self.names[best_name]
            streets = {t.street_id for t in targets}
            communities = {t.community_id for t in targets}
            street = streets.pop() if len(streets) == 1 else None
            community = communities.pop() if len(communities) == 1 else None
            return LocationMatch(
                grid_id=None,
                community_id=community,
                street_id=street,
                matched=[best_name] if (street or community) else [],
                source="text" if (street or community) else "",
                label=best_name,
            )
        grid, community, street = best.grid_id, best.community_id, best.street_id
        matched = [best_name]
        # Fill what the best one lacks from consistent, less specific hits.
        for name, t in ranked[1:]:
            if not consistent(best, t):
                continue
            if name not in matched:
                matched.append(name)
            street = street or t.street_id
            community = community or t.community_id
        return LocationMatch(grid, community, street, matched, "text", best.label)


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple, Gazetteer, float]] = {}
GAZETTEER_TTL = 300


def _signature() -> tuple:
    u = Unit.objects.filter(kind__in=AREA_UNIT_KINDS).aggregate(n=Count("id"), m=Max("id"))
    p = Place.objects.aggregate(n=Count("id"), m=Max("updated_at"))
    return (u["n"], u["m"], p["n"], p["m"])


def build_gazetteer() -> Gazetteer:
    units = list(Unit.objects.filter(active=True).values("id", "name", "kind", "parent_id"))
    places = [
        {
            "name": p.name,
            "kind": p.kind,
            "grid_id": p.grid_id,
            "area_id": p.area_id,
            "aliases": p.alias_list(),
        }
        for p in Place.objects.filter(active=True).only(
            "name", "kind", "grid_id", "area_id", "aliases"
        )
    ]
    return Gazetteer(units, places)


def gazetteer() -> Gazetteer:
    """The gazetteer, rebuilt when places or area units were added or edited (checked with two
    aggregate queries), and at least every GAZETTEER_TTL seconds (unit renames)."""
    sig = _signature()
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get("g")
        if cached and cached[0] == sig and now - cached[2] < GAZETTEER_TTL:
            return cached[1]
    g = build_gazetteer()
    with _cache_lock:
        _cache["g"] = (sig, g, now)
    return g


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- polygons -------------------------------------------------------------------------------


def grid_at(lng: float, lat: float) -> int | None:
    """The grid whose polygon contains the point (the smallest one if polygons overlap)."""
    lng, lat = float(lng), float(lat)
    rows = GridArea.objects.filter(
        min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
    ).values_list("grid_id", "polygon", "min_lng", "max_lng", "min_lat", "max_lat")
    hits = [
        ((x2 - x1) * (y2 - y1), grid_id)
        for grid_id, polygon, x1, x2, y1, y2 in rows
        if point_in_polygon(lng, lat, polygon)
    ]
    return min(hits)[1] if hits else None


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


# --- the appeal -----------------------------------------------------------------------------


def match_text(text: str) -> LocationMatch:
    return gazetteer().match(text)


def locate(
    *,
    address: str = "",
    subject: str = "",
    detail: str = "",
    latitude=None,
    longitude=None,
) -> LocationMatch:
    """Coordinates first (a polygon is exact), then the address, then the appeal's text."""
    if latitude is not None and longitude is not None:
        grid_id = grid_at(float(longitude), float(latitude))
        if grid_id:
            g, c, s = gazetteer().chain(grid_id)
            return LocationMatch(g, c, s, [], "polygon", "")
    g = gazetteer()
    for text in (address, f"{subject} {detail}"):
        if text and text.strip():
            m = g.match(text)
            if m.found:
                return m
    return LocationMatch()


def locate_appeal(appeal) -> LocationMatch:
    """Where the appeal is: its grid if already set, else located from coordinates and text."""
    if appeal.grid_id:
        g, c, s = gazetteer().chain(appeal.grid_id)
        return LocationMatch(g, c, s or appeal.street_id, [], "appeal", "")
    m = locate(
        address=appeal.address,
        subject=appeal.subject,
        detail=appeal.detail,
        latitude=appeal.latitude,
        longitude=appeal.longitude,
    )
    if not m.found and appeal.street_id:
        return LocationMatch(street_id=appeal.street_id, source="appeal")
    return m
