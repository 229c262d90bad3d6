"""Likely duplicates of an appeal: the same problem (character n-gram TF-IDF cosine), at the same
or a near place (grid / community / street, or within a radius when both have coordinates),
raised recently (30 days by default) and still open.

The pool is the open appeals of the window in the appeal's street (or not located yet; all of
them when the appeal's street is unknown), the most recent POOL_LIMIT of them.
score = 0.75 × text similarity + 0.25 × place score; a pair is a candidate when the text
similarity is at least MIN_TEXT and the score at least RoutingConfig.duplicate_min_score (a
near-identical text, ≥ NEAR_IDENTICAL, whatever its place score)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Max, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from minhu.appeals.models import OPEN_STATUSES, Appeal

from .location import distance_m, locate_appeal
from .models import RoutingConfig
from .text import appeal_counts, appeal_text, tfidf, weigh

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


def _candidates(
    appeal: Appeal, limit: int, user, config: RoutingConfig
) -> list[tuple[Appeal, float, list]]:
    window = dt.timedelta(days=config.duplicate_days)
    loc = locate_appeal(appeal)
    target = _doc(appeal, loc.community_id)
    target.grid_id = target.grid_id or loc.grid_id
    target.street_id = target.street_id or loc.street_id

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
    rows = list(
        qs.order_by("-created_at").values(
            "pk",
            "subject",
            "detail",
            "created_at",
            "grid_id",
            "grid__parent_id",
            "street_id",
            "latitude",
            "longitude",
        )[:POOL_LIMIT]
    )
    pool = [
        Doc(
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
        for r in rows
    ]
    docs = [target, *pool]
    matrix = weigh(appeal_counts.matrix([((d.id, hash(d.text)), d.text) for d in docs]))
    subjects = weigh(
        appeal_counts.matrix([(("s", d.id, hash(d.subject)), d.subject) for d in docs])
    )
    ranked = rank(
        target,
        pool,
        min_score=config.duplicate_min_score,
        radius_m=config.duplicate_radius_m,
        limit=limit,
        matrix=matrix,
        subjects=subjects,
    )
    if not ranked:
        return []
    appeals = Appeal.objects.in_bulk([d.id for d, _, _ in ranked])
    return [(appeals[d.id], score, reasons) for d, score, reasons in ranked if d.id in appeals]
