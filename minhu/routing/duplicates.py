"""Likely duplicates of an appeal: the same problem (character n-gram TF-IDF cosine), at the same
or a near place (grid / community / street, or within a radius when both have coordinates),
raised recently (30 days by default) and still open.

The pool is the open appeals of the window in the appeal's street (or not located yet; all of
them when the appeal's street is unknown), the most recent POOL_LIMIT of them.

The pool comes from `OpenIndex`, a per-process copy of what the search needs of the open appeals
of the last 2 × duplicate_days (hashed n-gram counts, place, time), kept current by reading only
the appeals changed since the last search (`updated_at`): a search no longer reads and
vectorises the whole pool from the database, so its cost no longer follows the open backlog
(the scores are the same: same pool, same counts, IDF over the pool). Older appeals and
searches scoped to a user who does not see every unit read the pool from the database.
score = 0.75 × text similarity + 0.25 × place score; a pair is a candidate when the text
similarity is at least MIN_TEXT and the score at least RoutingConfig.duplicate_min_score (a
near-identical text, ≥ NEAR_IDENTICAL, whatever its place score)."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import heapq
import itertools
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from minhu.appeals.models import OPEN_STATUSES, Appeal

from .location import distance_m, locate_appeal
from .models import RoutingConfig
from .text import N_FEATURES, appeal_counts, appeal_text, counts, tfidf, weigh

MIN_TEXT = 0.35
NEAR_IDENTICAL = 0.9
# Two subjects alike say "same problem" even when the details are written differently: the
# text similarity is at least SUBJECT_WEIGHT × the subjects' similarity, capped below
# NEAR_IDENTICAL (short subjects like "路灯不亮" need the place to agree).
SUBJECT_WEIGHT, SUBJECT_CAP = 0.9, 0.85
TEXT_WEIGHT = 0.75
POOL_LIMIT = 3000
CACHE_SECONDS = 120


@dataclass
class Doc:
    id: int
    text: str
    subject: str = ""
    created_at: dt.datetime | None = None
    grid_id: int | None = None
    community_id: int | None = None
    street_id: int | None = None
    lat: float | None = None
    lng: float | None = None


def place_score(a: Doc, b: Doc, radius_m: float) -> tuple[float, str]:
    """(score in 0..1, reason) for how close two appeals are."""
    if a.lat is not None and b.lat is not None:
        d = distance_m(a.lat, a.lng, b.lat, b.lng)
        if d <= 100:
            return 1.0, _("相距约%(m)d米") % {"m": int(round(d))}
        if d <= radius_m:
            return 0.7, _("相距约%(m)d米") % {"m": int(round(d))}
        if d > 5 * radius_m:
            return 0.0, _("相距约%(km)s公里") % {"km": f"{d / 1000:.1f}"}
    if a.grid_id and a.grid_id == b.grid_id:
        return 1.0, _("同一网格")
    if a.community_id and a.community_id == b.community_id:
        return 0.7, _("同一社区")
    if a.street_id and a.street_id == b.street_id:
        return 0.4, _("同一街道")
    if a.street_id and b.street_id:
        return 0.0, _("不同街道")
    return 0.25, ""


def text_similarity(full, subject):
    """Per pair: the full-text cosine, or the subjects' cosine scaled and capped if higher."""
    return np.maximum(full, np.minimum(SUBJECT_CAP, SUBJECT_WEIGHT * np.asarray(subject)))


def combine(text_sim: float, place: float) -> float:
    return TEXT_WEIGHT * text_sim + (1 - TEXT_WEIGHT) * place


def is_candidate(text_sim: float, score: float, min_score: float) -> bool:
    return text_sim >= NEAR_IDENTICAL or (text_sim >= MIN_TEXT and score >= min_score)


def rank(
    target: Doc,
    pool: list[Doc],
    *,
    min_score: float = 0.45,
    radius_m: float = 500,
    limit: int = 5,
    matrix=None,
    subjects=None,
) -> list[tuple[Doc, float, list[str]]]:
    """The pool's likely duplicates of `target`, best first: (doc, score, reasons). `matrix`,
    `subjects`: TF-IDF rows (full text, subject) of the target then the pool, if computed."""
    if not pool:
        return []
    if matrix is None:
        matrix = tfidf([target.text] + [d.text for d in pool])
    if subjects is None:
        subjects = tfidf([target.subject] + [d.subject for d in pool])
    full = np.asarray((matrix[1:] @ matrix[0].T).todense()).ravel()
    subj = np.asarray((subjects[1:] @ subjects[0].T).todense()).ravel()
    sims = text_similarity(full, subj)
    order = np.argsort(-sims)
    out = []
    for i in order:
        text_sim = float(sims[i])
        if text_sim < MIN_TEXT:
            break
        doc = pool[i]
        place, place_reason = place_score(target, doc, radius_m)
        score = combine(text_sim, place)
        if not is_candidate(text_sim, score, min_score):
            continue
        if full[i] >= text_sim:
            reasons = [_("内容相似度%(pct)s") % {"pct": f"{text_sim:.0%}"}]
        else:
            reasons = [_("标题相似度%(pct)s") % {"pct": f"{subj[i]:.0%}"}]
        if place_reason:
            reasons.append(place_reason)
        if target.created_at and doc.created_at:
            days = abs(target.created_at - doc.created_at).days
            reasons.append(
                _("同一天")
                if days == 0
                else ngettext("相隔%(n)d天", "相隔%(n)d天", days) % {"n": days}
            )
        out.append((doc, round(score, 4), reasons))
    out.sort(key=lambda t: -t[1])
    return out[:limit]


def _doc(appeal: Appeal, community_id: int | None = None) -> Doc:
    return Doc(
        id=appeal.pk,
        text=appeal_text(appeal.subject, appeal.detail),
        subject=appeal.subject,
        created_at=appeal.created_at,
        grid_id=appeal.grid_id,
        community_id=community_id,
        street_id=appeal.street_id,
        lat=float(appeal.latitude) if appeal.latitude is not None else None,
        lng=float(appeal.longitude) if appeal.longitude is not None else None,
    )


def candidates(appeal: Appeal, limit: int = 5, *, user=None) -> list[tuple[Appeal, float, list]]:
    """Likely same-issue appeals for `appeal`: [(appeal, score, reasons)], best first. With
    `user`, only appeals that user may see. Cached briefly (until a newer appeal arrives or
    CACHE_SECONDS pass): dispatch panels ask again on every render. The reasons are in the
    active language, so it is part of the cache key."""
    config = RoutingConfig.get()
    newest = Appeal.objects.aggregate(m=Max("pk"), u=Max("updated_at"))
    raw = (
        f"{appeal.pk}|{limit}|{getattr(user, 'pk', '')}|{newest['m']}|{newest['u']}|"
        f"{translation.get_language()}|"
        f"{config.duplicate_days}|{config.duplicate_radius_m}|{config.duplicate_min_score}"
    )
    key = "routing:dups:" + hashlib.sha1(raw.encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        cached = [(a.pk, s, r) for a, s, r in _candidates(appeal, limit, user, config)]
        cache.set(key, cached, CACHE_SECONDS)
    if not cached:
        return []
    appeals = Appeal.objects.select_related("street", "category").in_bulk(
        [pk for pk, _, _ in cached]
    )
    return [(appeals[pk], s, r) for pk, s, r in cached if pk in appeals]


POOL_FIELDS = (
    "pk",
    "subject",
    "detail",
    "created_at",
    "grid_id",
    "grid__parent_id",
    "street_id",
    "latitude",
    "longitude",
)


def _pool_doc(r: dict) -> Doc:
    return Doc(
        id=r["pk"],
        text=appeal_text(r["subject"], r["detail"]),
        subject=r["subject"],
        created_at=r["created_at"],
        grid_id=r["grid_id"],
        community_id=r["grid__parent_id"],
        street_id=r["street_id"],
        lat=float(r["latitude"]) if r["latitude"] is not None else None,
        lng=float(r["longitude"]) if r["longitude"] is not None else None,
    )


def _target(appeal: Appeal) -> Doc:
    loc = locate_appeal(appeal)
    target = _doc(appeal, loc.community_id)
    target.grid_id = target.grid_id or loc.grid_id
    target.street_id = target.street_id or loc.street_id
    return target


def _candidates(
    appeal: Appeal, limit: int, user, config: RoutingConfig
) -> list[tuple[Appeal, float, list]]:
    target = _target(appeal)
    if user is None or _sees_everything(user):
        found = open_index.candidates(target, limit, config)
        if found is not None:
            return found
    return _candidates_from_db(appeal, target, limit, user, config)


def _sees_everything(user) -> bool:
    from minhu.orgs.scope import scope_of

    return scope_of(user).all_units


def _rank(target: Doc, pool: list[Doc], full, subj, limit: int, config: RoutingConfig):
    return rank(
        target,
        pool,
        min_score=config.duplicate_min_score,
        radius_m=config.duplicate_radius_m,
        limit=limit,
        matrix=weigh(full),
        subjects=weigh(subj),
    )


def _candidates_from_db(
    appeal: Appeal, target: Doc, limit: int, user, config: RoutingConfig
) -> list[tuple[Appeal, float, list]]:
    window = dt.timedelta(days=config.duplicate_days)
    qs = Appeal.objects.filter(
        status__in=OPEN_STATUSES,
        created_at__gte=appeal.created_at - window,
        created_at__lte=appeal.created_at + window,
    ).exclude(pk=appeal.pk)
    if user is not None:
        from minhu.appeals.access import appeals_visible_to

        qs = qs.filter(pk__in=appeals_visible_to(user).values("pk"))
    if target.street_id:
        # The same street, or not located yet.
        qs = qs.filter(Q(street_id=target.street_id) | Q(street__isnull=True))
    rows = list(qs.order_by("-created_at").values(*POOL_FIELDS)[:POOL_LIMIT])
    pool = [_pool_doc(r) for r in rows]
    docs = [target, *pool]
    full = appeal_counts.matrix([((d.id, hash(d.text)), d.text) for d in docs])
    subj = appeal_counts.matrix([(("s", d.id, hash(d.subject)), d.subject) for d in docs])
    ranked = _rank(target, pool, full, subj, limit, config)
    if not ranked:
        return []
    appeals = Appeal.objects.in_bulk([d.id for d, _, _ in ranked])
    return [(appeals[d.id], score, reasons) for d, score, reasons in ranked if d.id in appeals]


# --- the per-process index of open appeals -----------------------------------------------------


@dataclass
class _Entry:
    doc: Doc
    updated_at: dt.datetime
    created: float  # created_at as a timestamp, for the window
    full: tuple[np.ndarray, np.ndarray]  # hashed n-gram counts: (indices, counts)
    subject: tuple[np.ndarray, np.ndarray]


def _rows_of(matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    m = matrix.tocsr()
    return [
        (m.indices[a:b].copy(), m.data[a:b].copy())
        for a, b in zip(m.indptr[:-1], m.indptr[1:], strict=True)
    ]


def _stack(rows: list[tuple[np.ndarray, np.ndarray]]):
    """A CSR matrix from (indices, counts) rows, without a Python-level vstack."""
    from scipy import sparse

    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r[0]) for r in rows])
    indices = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, np.int32)
    data = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), N_FEATURES))


class OpenIndex:
    """Per-process copy of the open appeals of the last 2 × duplicate_days: what the duplicate
    search needs of each (place, time, hashed n-gram counts of the text and the subject).

    Each search first reads what changed since the previous one: the ids and `updated_at` of the
    appeals updated since then (minus OVERLAP, for transactions that committed late), and the
    rows of those whose `updated_at` differs from the copy (every verb saves `updated_at`).
    Appeals that left the open statuses or the window are dropped. Everything is read again
    every RELOAD_SECONDS (what a bulk update without `updated_at` changed), or when the window
    setting changes. Candidates are re-read from the database before they are returned."""

    OVERLAP = dt.timedelta(seconds=10)
    RELOAD_SECONDS = 600
    BATCH = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self._entries: dict[int, _Entry] = {}
        # street id (None: not located) -> [(created, id)] in time order
        self._streets: dict[int | None, list[tuple[float, int]]] = {}
        self._since: dt.datetime | None = None
        self._loaded_at = 0.0
        self._days: int | None = None
        self._horizon: dt.datetime | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, row: dict, status: str) -> bool:
        return status in OPEN_STATUSES and row["created_at"] >= self._horizon

    def _add(self, rows: list[dict]) -> None:
        docs = [_pool_doc(r) for r in rows]
        full = _rows_of(counts([d.text for d in docs]))
        subj = _rows_of(counts([d.subject for d in docs]))
        for r, d, f, s in zip(rows, docs, full, subj, strict=True):
            self._drop(d.id)
            entry = _Entry(d, r["updated_at"], d.created_at.timestamp(), f, s)
            self._entries[d.id] = entry
            bisect.insort(self._streets.setdefault(d.street_id, []), (entry.created, d.id))

    def _drop(self, pk: int) -> None:
        entry = self._entries.pop(pk, None)
        if entry is not None:
            keys = self._streets[entry.doc.street_id]
            i = bisect.bisect_left(keys, (entry.created, pk))
            if i < len(keys) and keys[i][1] == pk:
                del keys[i]

    def _fetch(self, **filters) -> list[dict]:
        return list(Appeal.objects.filter(**filters).values(*POOL_FIELDS, "status", "updated_at"))

    def sync(self, days: int) -> None:
        now = timezone.now()
        reload = (
            self._days != days
            or self._since is None
            or time.monotonic() - self._loaded_at > self.RELOAD_SECONDS
        )
        if reload:
            self._entries, self._streets = {}, {}
            self._days = days
            self._horizon = now - dt.timedelta(days=2 * days)
            self._loaded_at = time.monotonic()
            rows = self._fetch(status__in=OPEN_STATUSES, created_at__gte=self._horizon)
            for i in range(0, len(rows), self.BATCH):
                self._add(rows[i : i + self.BATCH])
            self._since = max((r["updated_at"] for r in rows), default=now)
            return
        changed = list(
            Appeal.objects.filter(updated_at__gte=self._since - self.OVERLAP).values_list(
                "pk", "updated_at"
            )
        )
        stale = [
            pk
            for pk, updated in changed
            if pk not in self._entries or self._entries[pk].updated_at != updated
        ]
        for i in range(0, len(stale), self.BATCH):
            rows = self._fetch(pk__in=stale[i : i + self.BATCH])
            keep = [r for r in rows if self._keep(r, r["status"])]
            for r in rows:
                self._drop(r["pk"])
            if keep:
                self._add(keep)
        if changed:
            self._since = max(self._since, max(u for _, u in changed))
        cutoff = self._horizon.timestamp()
        for keys in self._streets.values():
            for _created, pk in keys[: bisect.bisect_left(keys, (cutoff, -1))]:
                self._drop(pk)

    def pool(self, target: Doc, days: int) -> list[_Entry] | None:
        """The target's pool as `_candidates_from_db` reads it; None when the target's window
        reaches before what the index holds."""
        window = dt.timedelta(days=days)
        if target.created_at is None or target.created_at - window < self._horizon:
            return None
        lo = (target.created_at - window).timestamp()
        hi = (target.created_at + window).timestamp()
        if target.street_id:  # the same street, or not located yet
            lists = [self._streets.get(target.street_id, []), self._streets.get(None, [])]
        else:
            lists = list(self._streets.values())
        newest_first = []
        for keys in lists:
            start = bisect.bisect_left(keys, (lo, -1))
            end = bisect.bisect_right(keys, (hi, float("inf")))
            newest_first.append(reversed(keys[max(start, end - POOL_LIMIT - 1) : end]))
        ids = (pk for _c, pk in heapq.merge(*newest_first, reverse=True) if pk != target.id)
        return [self._entries[pk] for pk in itertools.islice(ids, POOL_LIMIT)]

    def candidates(
        self, target: Doc, limit: int, config: RoutingConfig
    ) -> list[tuple[Appeal, float, list]] | None:
        [t_full] = _rows_of(counts([target.text]))
        [t_subj] = _rows_of(counts([target.subject]))
        for _attempt in range(3):
            with self._lock:
                self.sync(config.duplicate_days)
                pool = self.pool(target, config.duplicate_days)
            if pool is None:
                return None
            full = _stack([t_full] + [e.full for e in pool])
            subj = _stack([t_subj] + [e.subject for e in pool])
            ranked = _rank(target, [e.doc for e in pool], full, subj, limit, config)
            if not ranked:
                return []
            ids = [d.id for d, _, _ in ranked]
            appeals = Appeal.objects.filter(status__in=OPEN_STATUSES).in_bulk(ids)
            gone = [pk for pk in ids if pk not in appeals]
            if not gone:
                return [(appeals[d.id], score, reasons) for d, score, reasons in ranked]
            # Closed or deleted without a newer updated_at (a bulk update): drop, rank again.
            with self._lock:
                for pk in gone:
                    self._drop(pk)
        return [(appeals[d.id], score, reasons) for d, score, reasons in ranked if d.id in appeals]


open_index = OpenIndex()
