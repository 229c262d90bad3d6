"""Hotspots: clusters of appeals on one problem, rising in a period.

Clustering is incremental (leader–follower): appeals are taken in time order within each area
(street); each joins the cluster whose centroid is most similar (TF-IDF cosine of character
n-grams ≥ threshold) or starts a new one. Cosines to centroids come from the pairwise
similarity matrix, so a centroid never has to be materialised.

A cluster's volume counts its appeals in the period (merged children included), its growth
compares that with the previous period of the same length, and its support counts the appeals
merged into or linked to its appeals (on the benchmark: the `likes` column). They are ranked by
heat = volume + max(0, volume − previous) + log2(1 + support)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext
from scipy import sparse

from minhu.appeals.models import Appeal, Status

from .models import AppealLink, RoutingConfig
from .text import appeal_counts, appeal_text, normalize, weigh

MAX_ITEMS = 6000
MAX_GROUP = 3000
CACHE_SECONDS = 300


@dataclass
class Item:
    id: int
    subject: str
    text: str
    created_at: dt.datetime
    area_key: object = None
    area_name: str = ""
    weight: int = 1  # 1 + merged children
    support: int = 0


@dataclass
class Cluster:
    items: list[Item]
    area_key: object
    area_name: str
    title: str = ""
    terms: list[str] = field(default_factory=list)
    volume: int = 0
    previous: int = 0
    support: int = 0
    heat: float = 0.0

    @property
    def growth(self) -> float:
        return (self.volume - self.previous) / max(self.previous, 1)

    @property
    def rising(self) -> bool:
        return self.volume > self.previous

    @property
    def appeal_ids(self) -> list[int]:
        return [i.id for i in self.items]

    @property
    def key(self) -> str:
        ids = ",".join(str(i) for i in sorted(self.appeal_ids))
        return hashlib.sha1(ids.encode()).hexdigest()[:12]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "terms": self.terms,
            "area_name": self.area_name,
            "volume": self.volume,
            "previous": self.previous,
            "growth": round(self.growth, 3),
            "support": self.support,
            "heat": round(self.heat, 3),
            "appeal_ids": self.appeal_ids,
        }


def incremental_clusters(sim: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster index of each row, rows taken in order (leader–follower on centroids).
    `sim` is the cosine matrix of L2-normalised rows."""
    n = sim.shape[0]
    assign = np.full(n, -1, dtype=np.int64)
    norm2: list[float] = []  # squared norm of each cluster's sum vector
    for i in range(n):
        if norm2:
            num = np.bincount(assign[:i], weights=sim[i, :i], minlength=len(norm2))
            cos = num / np.sqrt(np.asarray(norm2))
            best = int(np.argmax(cos))
            if cos[best] >= threshold:
                assign[i] = best
                norm2[best] += 2.0 * num[best] + float(sim[i, i])
                continue
        assign[i] = len(norm2)
        norm2.append(float(sim[i, i]) or 1.0)
    return assign


def merge_pass(sim: np.ndarray, assign: np.ndarray, threshold: float, rounds: int = 5):
    """Leader–follower depends on the order: two clusters of one problem may start apart.
    Merge clusters whose centroids are at least `threshold` similar (mutual best matches,
    a few rounds). Returns the new assignment (cluster indices renumbered)."""
    assign = assign.copy()
    for _ in range(rounds):
        labels, assign = np.unique(assign, return_inverse=True)
        k = len(labels)
        if k < 2:
            break
        n = len(assign)
        onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), assign)), shape=(n, k))
        block = np.asarray(onehot.T @ np.asarray(onehot.T @ sim).T)  # member similarity sums
        norms = np.sqrt(np.clip(np.diag(block), 1e-12, None))
        cos = block / np.outer(norms, norms)
        np.fill_diagonal(cos, -1.0)
        best = cos.argmax(axis=1)
        merged = False
        target = np.arange(k)
        for a in range(k):
            b = best[a]
            if a < b and best[b] == a and cos[a, b] >= threshold:
                target[b] = a
                merged = True
        if not merged:
            break
        assign = target[assign]
    return np.unique(assign, return_inverse=True)[1]


def _grams3(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)} or {text}


def key_terms(subjects: list[str], k: int = 5) -> list[str]:
    """Maximal character n-grams (2–12) shared by many of the subjects: a shorter one is
    dropped when a longer one containing it is nearly as frequent; no two terms overlap.
    Ranked by frequency × length."""
    df: Counter = Counter()
    for s in subjects:
        t = normalize(s)
        grams = {t[i : i + n] for n in range(2, 13) for i in range(len(t) - n + 1)}
        df.update(g for g in grams if not g.isdigit())
    floor = max(2, math.ceil(0.3 * len(subjects)))
    frequent = sorted((g for g, c in df.items() if c >= floor), key=lambda g: (-len(g), g))
    kept: list[str] = []
    for g in frequent:
        if any(g in longer and df[longer] >= 0.8 * df[g] for longer in kept):
            continue
        kept.append(g)
    kept.sort(key=lambda g: (-df[g] * len(g), g))
    out: list[str] = []
    for g in kept:
        if any(g in t or t in g or _grams3(g) & _grams3(t) for t in out):
            continue
        out.append(g)
        if len(out) == k:
            break
    return out


def build_clusters(
    items: list[Item],
    *,
    start: dt.datetime,
    end: dt.datetime,
    previous_start: dt.datetime,
    similarity: float = 0.35,
    min_size: int = 3,
    matrix=None,
) -> list[Cluster]:
    """Ranked clusters of `items` (covering [previous_start, end)) with volume in [start, end)
    of at least `min_size`. `matrix`: TF-IDF rows of `items` if already computed."""
    if not items:
        return []
    order = sorted(range(len(items)), key=lambda i: (items[i].created_at, items[i].id))
    items = [items[i] for i in order]
    if matrix is None:
        matrix = weigh(appeal_counts.matrix([((it.id, hash(it.text)), it.text) for it in items]))
    else:
        matrix = matrix[order]
    groups: dict[object, list[int]] = {}
    for idx, it in enumerate(items):
        groups.setdefault(it.area_key, []).append(idx)
    clusters: list[Cluster] = []
    for area_key, idxs in groups.items():
        idxs = idxs[-MAX_GROUP:]
        sub = matrix[idxs]
        sim = (sub @ sub.T).toarray()
        assign = merge_pass(sim, incremental_clusters(sim, similarity), similarity)
        for c in np.unique(assign):
            members = [idxs[j] for j in np.flatnonzero(assign == c)]
            volume = sum(items[m].weight for m in members if start <= items[m].created_at < end)
            if volume < min_size:
                continue
            previous = sum(
                items[m].weight for m in members if previous_start <= items[m].created_at < start
            )
            local = list(np.flatnonzero(assign == c))
            medoid = local[int(np.argmax(sim[np.ix_(local, local)].sum(axis=1)))]
            cluster_items = [items[m] for m in members]
            support = sum(i.support for i in cluster_items)
            cl = Cluster(
                items=sorted(cluster_items, key=lambda i: i.created_at, reverse=True),
                area_key=area_key,
                area_name=items[members[0]].area_name,
                title=items[idxs[medoid]].subject,
                terms=key_terms([i.subject for i in cluster_items]),
                volume=volume,
                previous=previous,
                support=support,
            )
            cl.heat = volume + max(0, volume - previous) + math.log2(1 + support)
            clusters.append(cl)
    clusters.sort(key=lambda c: (-c.heat, -c.volume, c.title))
    return clusters


# --- from the database ----------------------------------------------------------------------


def _count(model_qs, field_name: str):
    return Coalesce(
        Subquery(
            model_qs.values(field_name).annotate(c=Count("pk")).values("c")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def items_for(qs) -> list[Item]:
    """Items for the appeals of `qs` (merged children excluded: they count in their parent)."""
    qs = (
        qs.exclude(status=Status.MERGED)
        .annotate(
            children=Count("merged_children", distinct=True),
            links_a=_count(AppealLink.objects.filter(from_appeal=OuterRef("pk")), "from_appeal"),
            links_b=_count(AppealLink.objects.filter(to_appeal=OuterRef("pk")), "to_appeal"),
        )
        .order_by("-created_at")
        .values(
            "pk",
            "subject",
            "detail",
            "created_at",
            "street_id",
            "street__name",
            "children",
            "links_a",
            "links_b",
        )[:MAX_ITEMS]
    )
    return [
        Item(
            id=r["pk"],
            subject=r["subject"],
            text=appeal_text(r["subject"], r["detail"]),
            created_at=r["created_at"],
            area_key=r["street_id"] or 0,
            area_name=r["street__name"] or gettext("未定位"),
            weight=1 + r["children"],
            support=r["children"] + r["links_a"] + r["links_b"],
        )
        for r in qs
    ]


def hotspots(
    base_qs,
    *,
    start: dt.datetime,
    end: dt.datetime,
    street_id: int | None = None,
    scope_key: str = "all",
) -> list[Cluster]:
    """Ranked hotspots among `base_qs` (already scoped to the user) for [start, end), compared
    with the period of the same length before it. Cached for a few minutes (per language: the
    area of appeals not located yet is named in it)."""
    config = RoutingConfig.get()
    previous_start = start - (end - start)
    qs = base_qs.filter(created_at__gte=previous_start, created_at__lt=end)
    if street_id:
        qs = qs.filter(street_id=street_id)
    sig = qs.aggregate(n=Count("pk"), m=Max("updated_at"))
    raw = (
        f"{scope_key}|{start.isoformat()}|{end.isoformat()}|{street_id}|{sig['n']}|{sig['m']}|"
        f"{config.hotspot_similarity}|{config.hotspot_min_size}|{translation.get_language()}|"
        f"{AppealLink.objects.filter(Q(from_appeal__in=qs) | Q(to_appeal__in=qs)).count()}"
    )
    key = "routing:hotspots:" + hashlib.sha1(raw.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = build_clusters(
        items_for(qs),
        start=start,
        end=end,
        previous_start=previous_start,
        similarity=config.hotspot_similarity,
        min_size=config.hotspot_min_size,
    )
    cache.set(key, result, CACHE_SECONDS)
    return result


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(nxt, dt.time.min, tzinfo=tz),
    )


def appeals_of(cluster_ids: list[int]) -> dict[int, Appeal]:
    return Appeal.objects.select_related("street", "category").in_bulk(cluster_ids)
