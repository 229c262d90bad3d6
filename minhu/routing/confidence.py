"""Honest evaluation and calibrated confidence for the routing classifier (numpy only, no Django).

* `near_duplicate_groups`: texts whose character 3-gram shingle sets have a Jaccard similarity
  of at least `threshold` are joined (transitively) into one group, so that cross-validation
  keeps re-posts, edited copies and templated messages on one side of a split.
* `fit_temperature`: one temperature for the logits of out-of-fold probabilities (minimum
  negative log-likelihood), the calibration step of the model.
* `expected_calibration_error`, `reliability_table`: how far the top-1 confidence is from the
  observed accuracy.
* `operating_curve`, `coverage_at_precision`, `operating_point`: for automatic dispatch at a
  confidence threshold, the share of appeals dispatched (coverage) and the share of those that
  were right (precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.sparse.csgraph import connected_components

__all__ = [
    "GROUP_THRESHOLD",
    "coverage_at_precision",
    "expected_calibration_error",
    "fit_temperature",
    "near_duplicate_groups",
    "operating_curve",
    "operating_point",
    "reliability_table",
]

# Jaccard similarity of character 3-gram sets from which two texts count as near-duplicates.
# Read on messages_labeled.csv (docs/routing-benchmark.md): pairs down to ~0.12 are the same
# complaint re-posted, rewritten or templated; below ~0.1 they become merely the same topic.
GROUP_THRESHOLD = 0.12
SHINGLE = 3
_CHUNK = 512


def _shingle_matrix(texts: Sequence[str], n: int) -> sp.csr_matrix:
    """Binary (texts x distinct character n-grams) matrix; lowercase, whitespace-normalised.
    An n-gram is an exact int64 code (21 bits per character, n <= 3); a text shorter than n
    is one shingle of its own."""
    if not 1 <= n <= 3:
        raise ValueError("shingle length must be 1..3")
    per_text = []
    for text in texts:
        t = " ".join((text or "").lower().split())
        c = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        if len(c) >= n:
            code = c[: len(c) - n + 1].copy()
            for k in range(1, n):
                code = (code << 21) | c[k : len(c) - n + 1 + k]
        else:
            code = np.zeros(1, dtype=np.int64) if not len(c) else c[:1] * -1 - len(c)
        per_text.append(np.unique(code) if len(c) else np.empty(0, dtype=np.int64))
    lengths = np.fromiter((len(g) for g in per_text), dtype=np.int64, count=len(per_text))
    allc = np.concatenate(per_text) if per_text else np.empty(0, dtype=np.int64)
    vocab, cols = np.unique(allc, return_inverse=True)
    rows = np.repeat(np.arange(len(per_text)), lengths)
    data = np.ones(len(cols), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(texts), max(1, len(vocab))))


def near_duplicate_groups(
    texts: Sequence[str], threshold: float = GROUP_THRESHOLD, shingle: int = SHINGLE
) -> np.ndarray:
    """Group id per text (0..g-1): connected components of the pairs whose character-shingle
    Jaccard similarity is >= threshold. Empty texts are each their own group."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    B = _shingle_matrix(texts, shingle)
    sizes = np.asarray(B.sum(axis=1)).ravel()
    BT = B.T.tocsc()
    src, dst = [], []
    for start in range(0, n, _CHUNK):
        inter = (B[start : start + _CHUNK] @ BT).tocoo()
        r, c, v = inter.row + start, inter.col, inter.data
        keep = r < c
        r, c, v = r[keep], c[keep], v[keep]
        union = sizes[r] + sizes[c] - v
        ok = (union > 0) & (v >= threshold * union)
        src.append(r[ok])
        dst.append(c[ok])
    r = np.concatenate(src)
    c = np.concatenate(dst)
    graph = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


# --- calibration ---------------------------------------------------------------------------


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T (0.05..20) minimising the negative log-likelihood of softmax(z / T) on
    out-of-fold logits z with true class indices y. 1.0 when there is nothing to fit."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if z.ndim != 2 or len(z) < 2 or z.shape[1] < 2:
        return 1.0

    def nll(log_t: float) -> float:
        return float(-_log_softmax(z / np.exp(log_t))[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x)) if res.success else 1.0


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """ECE of the top-1 confidence: sum over equal-width bins of |accuracy - mean confidence|
    weighted by the bin's share of the rows."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if not len(conf):
        return 0.0
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(ok[m].mean() - conf[m].mean())
    return float(total)


RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1.0)


def reliability_table(
    confidence: np.ndarray, correct: np.ndarray, edges: Sequence[float] = RELIABILITY_EDGES
) -> list[dict[str, Any]]:
    """Rows {lo, hi, n, share, confidence, accuracy} per confidence bin [lo, hi) (the last one
    closed); empty bins are listed with n 0."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    rows = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        last = k == len(edges) - 2
        m = (conf >= lo) & ((conf <= hi) if last else (conf < hi))
        n = int(m.sum())
        rows.append(
            {
                "lo": float(lo),
                "hi": float(hi),
                "n": n,
                "share": float(n / len(conf)) if len(conf) else 0.0,
                "confidence": float(conf[m].mean()) if n else None,
                "accuracy": float(ok[m].mean()) if n else None,
            }
        )
    return rows


# --- operating points ----------------------------------------------------------------------

CURVE_THRESHOLDS = tuple(round(0.3 + 0.01 * k, 2) for k in range(70)) + (0.995, 0.999)


def operating_point(confidence: np.ndarray, correct: np.ndarray, threshold: float) -> dict:
    """{threshold, coverage, precision, n}: the rows with confidence >= threshold (dispatched
    by themselves) and the share of them that are right (1.0 when none is dispatched)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    m = conf >= threshold
    n = int(m.sum())
    return {
        "threshold": float(threshold),
        "coverage": float(n / len(conf)) if len(conf) else 0.0,
        "precision": float(ok[m].mean()) if n else 1.0,
        "n": n,
    }


def operating_curve(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Sequence[float] = CURVE_THRESHOLDS
) -> list[dict]:
    """`operating_point` at each threshold (coverage falls, precision mostly rises)."""
    return [operating_point(confidence, correct, t) for t in thresholds]


def coverage_at_precision(
    confidence: np.ndarray, correct: np.ndarray, precision: float = 0.98
) -> dict:
    """The largest coverage whose dispatched rows reach `precision`, with the lowest threshold
    that gives it: {precision_target, threshold, coverage, precision}. Threshold None and
    coverage 0 when no threshold reaches it."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    out = {
        "precision_target": float(precision),
        "threshold": None,
        "coverage": 0.0,
        "precision": None,
    }
    if not len(conf):
        return out
    order = np.argsort(-conf, kind="stable")
    c, k = conf[order], ok[order]
    prec = np.cumsum(k) / np.arange(1, len(c) + 1)
    # only cut between distinct confidences: all rows with the same confidence go together
    last_of_value = np.r_[c[1:] != c[:-1], True]
    good = np.flatnonzero(last_of_value & (prec >= precision - 1e-12))
    if len(good):
        i = int(good[-1])
        out.update(
            threshold=float(c[i]), coverage=float((i + 1) / len(c)), precision=float(prec[i])
        )
    return out
