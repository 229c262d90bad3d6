"""Text helpers shared by duplicates, hotspots and the reply check: normalisation and character
n-gram TF-IDF (no word segmentation needed for Chinese).

Counts are hashed (2^20 features, no vocabulary to fit), so the vectors of appeals can be cached
per process and an intake only vectorises the new appeal; the IDF is computed on the set at
hand."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
N_FEATURES = 2**20
CACHE_SIZE = 50_000
MIN_IDF_DOCS = 200


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation and spaces removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _NON_WORD.sub("", text)


def appeal_text(subject: str, detail: str, detail_chars: int = 400) -> str:
    """The subject counts twice: it is the densest statement of the problem."""
    return f"{subject} {subject} {(detail or '')[:detail_chars]}"


def char_ngrams(text: str) -> list[str]:
    """Character bigrams and trigrams of the normalised text."""
    s = normalize(text)
    return [s[i : i + 2] for i in range(len(s) - 1)] + [s[i : i + 3] for i in range(len(s) - 2)]


_hasher = HashingVectorizer(
    analyzer=char_ngrams,
    n_features=N_FEATURES,
    alternate_sign=False,
    norm=None,
    dtype=np.float32,
)


def counts(texts: list[str]) -> sparse.csr_matrix:
    """Hashed n-gram counts, one row per text."""
    return _hasher.transform(texts).tocsr()


def weigh(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear TF × smoothed IDF (computed on these rows), L2-normalised rows. A small set
    counts as MIN_IDF_DOCS documents (the others lacking every n-gram): a few appeals that all
    share their topic words must not have those words weighed down to nothing."""
    x = matrix.astype(np.float32, copy=True).tocsr()
    n = x.shape[0]
    if n == 0 or x.nnz == 0:
        return x
    df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float32)
    idf = np.log((1.0 + max(n, MIN_IDF_DOCS)) / (1.0 + df)) + 1.0
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(x).tocsr()


def tfidf(texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised character n-gram TF-IDF rows for `texts`."""
    if not texts:
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    return weigh(counts(texts))


class CountCache:
    """Per-process LRU of hashed counts by key (e.g. appeal id): an appeal's text is vectorised
    once per process."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._rows: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def matrix(self, items: list[tuple[object, str]]) -> sparse.csr_matrix:
        """Counts for [(key, text)], in order; keys are (id, version) pairs or similar."""
        rows: list = [None] * len(items)
        missing = []
        with self._lock:
            for i, (key, _) in enumerate(items):
                row = self._rows.get(key)
                if row is not None:
                    self._rows.move_to_end(key)
                    rows[i] = row
                else:
                    missing.append(i)
        if missing:
            fresh = counts([items[i][1] for i in missing])
            with self._lock:
                for j, i in enumerate(missing):
                    rows[i] = fresh[j]
                    self._rows[items[i][0]] = fresh[j]
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        if not rows:
            return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
        return sparse.vstack(rows, format="csr")

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


appeal_counts = CountCache()


def bigrams(text: str) -> list[str]:
    t = normalize(text)
    return [t[i : i + 2] for i in range(len(t) - 1)]
