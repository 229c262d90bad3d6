"""Category proposals: the active trained model (loaded once per process, cached by version) or,
when none is active, the per-category keyword rules (categories.Category.keywords).

Labels are category codes or names; `map_labels` turns them into categories of this deployment
(a LabelAlias first, then the code, then a first-level name, then a unique name). A label that
maps to nothing is kept as text (category_id None): the dispatcher still sees it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from minhu.categories.models import Category

from .models import ClassifierModel, LabelAlias

logger = logging.getLogger("minhu.routing")

RULES_VERSION = "rules"
# Probability mass kept for "none of the matched categories" in the keyword scorer: a single
# keyword hit never looks certain.
KEYWORD_PRIOR = 2.0


@dataclass
class Candidate:
    label: str
    category_id: int | None
    name: str
    prob: float

    def as_tuple(self) -> tuple[int | None, str, float]:
        return (self.category_id, self.name, self.prob)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "category_id": self.category_id,
            "name": self.name,
            "prob": round(self.prob, 4),
        }


@dataclass
class Classification:
    candidates: list[Candidate]
    source: str  # "model", "rules" or "none"
    model_version: str  # "v3", "rules" or ""
    latency_ms: float = 0.0

    @property
    def confidence(self) -> float:
        return self.candidates[0].prob if self.candidates else 0.0

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


# --- labels → categories -------------------------------------------------------------------


def map_labels(labels: list[str]) -> dict[str, tuple[int | None, str]]:
    """label → (category_id or None, display name)."""
    labels = [str(x) for x in labels]
    aliases = dict(
        LabelAlias.objects.filter(label__in=labels, category__active=True).values_list(
            "label", "category_id"
        )
    )
    cats = list(Category.objects.filter(active=True).values("id", "code", "name", "parent_id"))
    by_id = {c["id"]: c for c in cats}
    by_code = {c["code"]: c for c in cats}
    by_top_name = {c["name"]: c for c in cats if c["parent_id"] is None}
    by_name: dict[str, list[dict]] = {}
    for c in cats:
        by_name.setdefault(c["name"], []).append(c)

    def display(c: dict) -> str:
        parent = by_id.get(c["parent_id"])
        return f"{parent['name']} / {c['name']}" if parent else c["name"]

    out: dict[str, tuple[int | None, str]] = {}
    for label in labels:
        c = None
        if label in aliases and aliases[label] in by_id:
            c = by_id[aliases[label]]
        elif label in by_code:
            c = by_code[label]
        elif label in by_top_name:
            c = by_top_name[label]
        elif len(by_name.get(label, [])) == 1:
            c = by_name[label][0]
        out[label] = (c["id"], display(c)) if c else (None, label)
    return out


def category_for_label(label: str) -> Category | None:
    cid, _ = map_labels([label])[label]
    return Category.objects.filter(pk=cid).first() if cid else None


# --- keyword rules --------------------------------------------------------------------------


class KeywordScorer:
    """Scores categories by their keywords: a hit in the subject counts 2, in the detail 1 (each
    keyword once per field). prob = score / (sum of scores + KEYWORD_PRIOR)."""

    def __init__(self, categories: list[tuple[str, list[str]]]):
        # [(label, [keyword, ...])]
        self.rules = [(label, [k.lower() for k in kws if k]) for label, kws in categories if kws]

    @classmethod
    def from_db(cls) -> KeywordScorer:
        cats = Category.objects.filter(active=True).exclude(keywords="").only("code", "keywords")
        return cls([(c.code, c.keyword_list()) for c in cats])

    def scores(self, subject: str, detail: str) -> dict[str, float]:
        s, d = (subject or "").lower(), (detail or "").lower()
        out = {}
        for label, kws in self.rules:
            score = sum(2.0 for k in kws if k in s) + sum(1.0 for k in kws if k in d)
            if score:
                out[label] = score
        return out

    def predict_top(self, subject: str, detail: str, k: int = 3) -> list[tuple[str, float]]:
        scores = self.scores(subject, detail)
        if not scores:
            return []
        total = sum(scores.values()) + KEYWORD_PRIOR
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(label, score / total) for label, score in ranked]


# --- the active model -----------------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[str, object] = {}


def textclf_available() -> bool:
    try:
        from . import textclf  # noqa: F401
    except ImportError:
        return False
    return True


def load_blob(blob: bytes):
    from .textclf import TextClassifier

    return TextClassifier.from_bytes(bytes(blob))


class ModelLoadError(RuntimeError):
    """The active model's bytes cannot be read by this code (e.g. written by another version)."""


def active_model(*, strict: bool = False) -> tuple[int, object] | None:
    """(version, classifier) of the active model, loaded once per process and per version.
    A model that cannot be loaded is logged and skipped (proposals fall back to the keyword
    rules), or raises ModelLoadError with strict=True."""
    version = ClassifierModel.objects.filter(active=True).values_list("version", flat=True).first()
    if version is None:
        return None
    with _lock:
        if _loaded.get("version") == version:
            return version, _loaded["clf"]
    blob = ClassifierModel.objects.filter(version=version).values_list("blob", flat=True).first()
    if blob is None:
        return None
    try:
        clf = load_blob(blob)
    except Exception as exc:  # a model this code cannot read must not stop intake
        if strict:
            raise ModelLoadError(f"cannot load the active model v{version}: {exc!r}") from exc
        logger.exception("cannot load classifier v%s; falling back to keyword rules", version)
        return None
    with _lock:
        _loaded.clear()
        _loaded.update(version=version, clf=clf)
    return version, clf


def clear_cache() -> None:
    with _lock:
        _loaded.clear()


def classify_text(subject: str, detail: str, k: int = 3) -> Classification:
    """Top-k categories with probabilities, from the active model or the keyword rules."""
    started = time.perf_counter()
    loaded = active_model()
    if loaded is not None:
        version, clf = loaded
        top = clf.predict_top(subject, detail, k=k)
        source, model_version = "model", f"v{version}"
    else:
        top = KeywordScorer.from_db().predict_top(subject, detail, k=k)
        source, model_version = ("rules", RULES_VERSION) if top else ("none", "")
    mapping = map_labels([label for label, _ in top])
    candidates = [
        Candidate(str(label), mapping[str(label)][0], mapping[str(label)][1], float(prob))
        for label, prob in top
    ]
    return Classification(candidates, source, model_version, (time.perf_counter() - started) * 1000)
