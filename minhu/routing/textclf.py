"""Pure-Python text classifier for automatic routing (no Django imports).

Model (defaults in DEFAULT_PARAMS):

* features: character 1-3-gram TF-IDF (sublinear tf, smoothed idf, l2 norm) of the subject and
  of the detail, one block each, the subject block weighted 0.7; optionally jieba word n-grams;
* base models, one per "view" (the subject block, the detail block, or all blocks): one-vs-rest
  linear SVMs on naive-Bayes-scaled features (NBSVM, Wang & Manning 2012: each class' SVM sees
  the features multiplied by their smoothed log-count ratio for that class);
* stacking: a multinomial logistic regression on the base models' out-of-fold scores (inner
  stratified folds of the training data) gives the final probabilities, which sum to 1 over all
  classes. With too few rows per class for inner folds, a softmax of the summed scores.
* optional semi-supervised training with unlabelled texts (fit(..., unlabeled=...)): they join
  the TF-IDF fit, and balanced self-training adds the confident pseudo-labels with a lower weight
  (it did not improve the benchmark: docs/routing-benchmark.md).

At prediction time everything is linear: the NB scaling is folded into the SVM weights, and the
character n-grams are computed and looked up in numpy (exact int64 codes, sorted vocabulary), so
one text costs a few numpy calls and a small dense product.

Public API: TextClassifier, evaluate, holdout_report, format_report, read_labeled_csv,
read_unlabeled_csv.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from .confidence import (
    GROUP_THRESHOLD,
    coverage_at_precision,
    expected_calibration_error,
    fit_temperature,
    near_duplicate_groups,
    operating_curve,
    operating_point,
    reliability_table,
)

__all__ = [
    "DEFAULT_PARAMS",
    "TextClassifier",
    "evaluate",
    "format_report",
    "holdout_report",
    "read_labeled_csv",
    "read_unlabeled_csv",
]

FORMAT_VERSION = 1
# the precision a dispatch centre asks of automatic dispatch (issue 19): coverage is reported
# at this precision
PRECISION_TARGET = 0.98
PRECISION_TABLE = (0.9, 0.95, 0.97, 0.98, 0.99)

# base models of the stack: NBSVM on all blocks / one field's character block / the word blocks,
# or complement naive Bayes on all blocks
VIEWS = ("all", "subject", "detail", "words", "cnb")

DEFAULT_PARAMS: dict[str, Any] = {
    # character n-grams of subject and detail, each its own TF-IDF vectorizer
    "char_ngram": (1, 3),
    "subject_weight": 0.7,
    "detail_weight": 1.0,
    # jieba word n-grams (0 = off; jieba is then never loaded)
    "word_weight": 0.0,
    "word_ngram": (1, 2),
    "sublinear_tf": True,
    # min_df for corpora of at least `min_df_from_docs` documents, else 1 (robust on small data)
    "min_df": 2,
    "min_df_from_docs": 100,
    # NBSVM: Laplace smoothing of the log-count ratios, SVM regularisation
    "nb_alpha": 1.0,
    "C": 3.0,
    # stacked calibration: inner folds for out-of-fold scores, C of the multinomial LR
    "calibration_folds": 3,
    "calibration_C": 1.0,
    "calibration_class_weight": None,
    # inner folds keep near-duplicate texts together (confidence.near_duplicate_groups), so the
    # stacker does not learn from scores of texts whose copy was in the base models' training
    "calibration_grouped": True,
    "group_threshold": 0.12,
    # one temperature on the stacker's logits, fitted on its own out-of-fold probabilities
    # (cross-validated stacker over the same inner folds). Off: the stacker (a multinomial
    # logistic regression on out-of-fold scores) is already calibrated, and the temperature
    # made the grouped-CV ECE slightly worse (docs/routing-benchmark.md)
    "temperature_scaling": False,
    # one OvR model per view ("all" features, or one field's); the stacker sees all their scores
    "stack_views": ("subject", "detail"),
    "cnb_alpha": 0.3,
    # unlabelled texts given to fit(..., unlabeled=...): fit the TF-IDF vocabulary / idf on them
    # too, and self-training (0 = off): the model trained on the labelled rows pseudo-labels the
    # unlabelled texts it is at least `self_training_threshold` sure of; they are added with
    # sample weight `self_training_weight` and everything is refitted once
    "unlabeled_idf": True,
    "self_training_weight": 0.5,
    "self_training_threshold": 0.9,
    # keep the labelled class distribution among the pseudo-labels (the most confident of each
    # class, as many per labelled row of that class as the scarcest class allows)
    "self_training_balanced": True,
    "seed": 0,
}


# --- jieba (only when word features are on) -----------------------------------------------

_JIEBA: Any = None


def _jieba_tokenizer() -> Any:
    """A jieba Tokenizer with its dictionary loaded once per process, logging silenced."""
    global _JIEBA
    if _JIEBA is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        _JIEBA = tok
    return _JIEBA


def jieba_words(text: str) -> list[str]:
    """Deterministic jieba segmentation (precise mode, HMM on), whitespace tokens dropped."""
    return [w for w in _jieba_tokenizer().lcut(text, HMM=True) if w.strip()]


# --- the model ------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


_BITS = 21  # every code point + 1 fits in 21 bits: up to 3 characters fit one int64 exactly


def _char_ngram_codes(text: str, nmin: int, nmax: int) -> np.ndarray:
    """Every character n-gram (nmin <= n <= nmax <= 3) of text as an exact int64 code: the
    same n-grams as sklearn's analyzer="char" on whitespace-normalised text, in numpy."""
    c = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    size = len(c)
    parts = []
    for n in range(nmin, nmax + 1):
        if size < n:
            break
        code = c[: size - n + 1].copy()
        for k in range(1, n):
            code = (code << _BITS) | c[k : size - n + 1 + k]
        parts.append(code)
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


class _Block:
    """One fitted feature block: a field's TF-IDF (sublinear tf x smoothed idf, l2 norm, as
    sklearn's TfidfVectorizer computes it), its weight and its columns in the joint feature space.

    Character blocks are fitted and applied in numpy: the vocabulary is a sorted array of exact
    int64 n-gram codes (compact; a lookup is one searchsorted). Word blocks (jieba) use sklearn's
    TfidfVectorizer and keep its vocabulary dict."""

    field: str
    kind: str
    weight: float
    offset: int
    size: int
    sublinear: bool
    ngram: tuple[int, int]
    idf: np.ndarray
    codes: np.ndarray
    vocab: dict[str, int] | None

    @classmethod
    def fit_char(
        cls,
        field: str,
        texts: Sequence[str],
        ngram: tuple[int, int],
        min_df: int,
        sublinear: bool,
        weight: float,
        offset: int,
    ) -> tuple[_Block, sp.csr_matrix]:
        """Fit a character n-gram block on cleaned texts; (block, weighted training matrix)."""
        self = cls()
        self.field, self.kind, self.weight, self.offset = field, "char", float(weight), offset
        self.sublinear, self.vocab = bool(sublinear), None
        self.ngram = (int(ngram[0]), int(ngram[1]))
        n = len(texts)
        grams, counts = [], []
        for text in texts:
            g, c = np.unique(_char_ngram_codes(text.lower(), *self.ngram), return_counts=True)
            grams.append(g)
            counts.append(c)
        lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=n)
        all_grams = np.concatenate(grams) if n else np.empty(0, dtype=np.int64)
        rows = np.repeat(np.arange(n), lengths)
        tf = np.concatenate(counts).astype(np.float64) if n else np.empty(0)
        vocab, inverse, df = np.unique(all_grams, return_inverse=True, return_counts=True)
        keep = df >= min_df
        column = np.cumsum(keep) - 1
        mask = keep[inverse]
        self.codes = vocab[keep]
        self.size = len(self.codes)
        self.idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        cols = column[inverse[mask]]
        rows, tf = rows[mask], tf[mask]
        values = self._weigh(tf, cols, rows, n)
        X = sp.csr_matrix((values, (rows, cols)), shape=(n, self.size), dtype=np.float32)
        return self, X

    @classmethod
    def fit_words(
        cls, field: str, vec: TfidfVectorizer, texts: Sequence[str], weight: float, offset: int
    ) -> tuple[_Block, sp.csr_matrix]:
        """Fit a word block (an unfitted TfidfVectorizer); (block, weighted training matrix)."""
        X = vec.fit_transform(texts) * float(weight)
        self = cls()
        self.field, self.kind, self.weight, self.offset = field, "word", float(weight), offset
        self.sublinear = bool(vec.sublinear_tf)
        self.ngram = (int(vec.ngram_range[0]), int(vec.ngram_range[1]))
        self.idf = np.asarray(vec.idf_, dtype=np.float64)
        self.size = len(self.idf)
        self.codes = np.empty(0, dtype=np.int64)
        self.vocab = {t: int(j) for t, j in vec.vocabulary_.items()}
        self._analyzer()
        return self, sp.csr_matrix(X, dtype=np.float32)

    def _weigh(self, tf: np.ndarray, cols: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
        """tf of (row, col) entries -> TF-IDF values, l2-normalised per row, times the weight."""
        if self.sublinear:
            tf = np.log(tf) + 1.0
        v = tf * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=v * v, minlength=n))
        norms[norms == 0] = 1.0
        return v * (self.weight / norms[rows])

    def _analyzer(self) -> Callable[[str], list[str]]:
        analyzer = self.__dict__.get("analyzer")
        if analyzer is None:
            analyzer = TfidfVectorizer(
                tokenizer=jieba_words, token_pattern=None, lowercase=True, ngram_range=self.ngram
            ).build_analyzer()
            self.analyzer = analyzer
        return analyzer

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("analyzer", None)  # rebuilt on demand
        return state

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(joint column indices, values) of one cleaned text."""
        if self.kind == "char":
            grams, tf = np.unique(_char_ngram_codes(text.lower(), *self.ngram), return_counts=True)
            if not len(grams) or not self.size:
                return np.empty(0, dtype=np.int64), np.empty(0)
            pos = np.searchsorted(self.codes, grams)
            pos[pos >= self.size] = 0
            known = self.codes[pos] == grams
            idx, tf = pos[known], tf[known].astype(np.float64)
        else:
            assert self.vocab is not None
            counts = Counter(self._analyzer()(text))
            idx = np.fromiter(map(self.vocab.get, counts, repeat(-1)), np.int64, len(counts))
            tf = np.fromiter(counts.values(), np.float64, len(counts))
            known = idx >= 0
            idx, tf = idx[known], tf[known]
        if not len(idx):
            return idx, tf
        v = self._weigh(tf, idx, np.zeros(len(idx), dtype=np.int64), 1)
        return idx + self.offset, v


def _inner_splits(
    y: np.ndarray, groups: np.ndarray | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified inner folds; with groups, near-duplicate groups stay on one side (falls back
    to plain stratified folds when grouping leaves a fold without some class)."""
    n_groups = len(np.unique(groups)) if groups is not None else 0
    if groups is not None and folds <= n_groups < len(groups):
        sgk = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        splits = list(sgk.split(np.zeros(len(y)), y, groups))
        k = len(np.unique(y))
        if all(len(np.unique(y[tr])) == k and len(te) for tr, te in splits):
            return splits
    skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(len(y)), y))


def _multiclass_coef(cal: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
    """(coef (K, d), intercept (K,)) of a fitted LR such that softmax gives its probabilities
    (binary: p(1) = sigmoid(d) = softmax([-d/2, d/2]))."""
    if cal.coef_.shape[0] == 1:
        coef = np.vstack([-cal.coef_ / 2, cal.coef_ / 2])
        return coef, np.array([-cal.intercept_[0] / 2, cal.intercept_[0] / 2])
    return cal.coef_.copy(), cal.intercept_.copy()


def _balanced(rows: np.ndarray, proba: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The subset of `rows` (confident unlabelled rows) whose predicted classes follow the
    labelled class `counts`: per class the most confident ones, round(f * count) of them with f
    the largest fraction every class can supply."""
    pred = proba[rows].argmax(axis=1)
    avail = np.bincount(pred, minlength=len(counts))
    frac = float(np.min(avail / np.maximum(counts, 1)))
    keep = []
    for k in range(len(counts)):
        mine = rows[pred == k]
        take = int(round(frac * counts[k]))
        if take:
            keep.append(mine[np.argsort(-proba[mine, k], kind="stable")[:take]])
    return np.sort(np.concatenate(keep)) if keep else rows[:0]


class TextClassifier:
    """Subject/detail text classifier; `labels` are the classes, `params` the configuration.

    Works on any label set with at least two classes, including small ones (tens of rows):
    min_df drops to 1 and the calibration folds shrink with the data.
    """

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(DEFAULT_PARAMS)
        if unknown:
            raise TypeError(f"unknown parameters: {', '.join(sorted(unknown))}")
        self.params: dict[str, Any] = {**DEFAULT_PARAMS, **params}
        lo, hi = self.params["char_ngram"]
        if not 1 <= int(lo) <= int(hi) <= 3:
            raise ValueError("char_ngram must satisfy 1 <= min <= max <= 3")
        self.labels: list[str] = []
        self._blocks: list[_Block] = []
        self._coef: np.ndarray | None = None  # (n_features, n_classes), NB scaling folded in
        self._intercept: np.ndarray | None = None
        # stacked calibration: probabilities = softmax(scores @ cal_coef.T + cal_intercept)
        self._cal_coef: np.ndarray | None = None
        self._cal_intercept: np.ndarray | None = None
        self.temperature: float = 1.0
        self.unlabeled_stats: dict[str, int] = {}

    # -- features

    def _fit_transform(self, subjects: list[str], details: list[str]) -> sp.csr_matrix:
        """Fit the feature blocks on cleaned texts; their joint (weighted) matrix."""
        p = self.params
        n = len(subjects)
        min_df = int(p["min_df"]) if n >= int(p["min_df_from_docs"]) else 1
        sublinear = bool(p["sublinear_tf"])
        fields = {"subject": subjects, "detail": details}
        self._blocks, mats, offset = [], [], 0
        plan = [("subject", float(p["subject_weight"])), ("detail", float(p["detail_weight"]))]
        for field, weight in plan:
            block, X = _Block.fit_char(
                field, fields[field], tuple(p["char_ngram"]), min_df, sublinear, weight, offset
            )
            self._blocks.append(block)
            mats.append(X)
            offset += block.size
        if float(p["word_weight"]) > 0:
            for field in ("subject", "detail"):
                vec = TfidfVectorizer(
                    tokenizer=jieba_words,
                    token_pattern=None,
                    lowercase=True,
                    ngram_range=tuple(p["word_ngram"]),
                    sublinear_tf=sublinear,
                    min_df=min_df,
                    dtype=np.float32,
                )
                block, X = _Block.fit_words(
                    field, vec, fields[field], float(p["word_weight"]), offset
                )
                self._blocks.append(block)
                mats.append(X)
                offset += block.size
        if offset == 0:
            raise ValueError("the training texts have no features (all empty?)")
        return sp.hstack(mats, format="csr", dtype=np.float32)

    def _transform(self, subjects: Sequence[str], details: Sequence[str]) -> sp.csr_matrix:
        """The joint feature matrix of cleaned texts with the fitted blocks."""
        fields = {"subject": subjects, "detail": details}
        n_features = sum(b.size for b in self._blocks)
        indptr, indices, values = [0], [], []
        for i in range(len(subjects)):
            for block in self._blocks:
                idx, v = block.features(fields[block.field][i])
                indices.append(idx)
                values.append(v)
            indptr.append(indptr[-1] + sum(len(x) for x in indices[-len(self._blocks) :]))
        data = np.concatenate(values) if values else np.empty(0)
        cols = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
        return sp.csr_matrix(
            (data.astype(np.float32), cols, np.asarray(indptr)),
            shape=(len(subjects), n_features),
        )

    def _fit_ovr(
        self, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One-vs-rest NB-scaled linear SVMs (rows weighted by w); (coef (F, K), intercept)."""
        p = self.params
        alpha = float(p["nb_alpha"])
        present = (X > 0).astype(np.float32).tocsr()
        if w is not None:
            present = sp.diags(w.astype(np.float32)) @ present
        n_features = X.shape[1]
        coef = np.zeros((n_features, len(self.labels)), dtype=np.float32)
        intercept = np.zeros(len(self.labels), dtype=np.float32)
        for k in range(len(self.labels)):
            pos = y == k
            pc = np.asarray(present[pos].sum(axis=0)).ravel() + alpha
            qc = np.asarray(present[~pos].sum(axis=0)).ravel() + alpha
            r = np.log((pc / pc.sum()) / (qc / qc.sum())).astype(np.float32)
            svm = LinearSVC(C=float(p["C"]), random_state=int(p["seed"]), max_iter=5000)
            Xr = X.copy()
            Xr.data *= r[Xr.indices]
            svm.fit(Xr, pos.astype(np.int8), sample_weight=w)
            coef[:, k] = svm.coef_.ravel().astype(np.float32) * r
            intercept[k] = float(svm.intercept_[0])
        return coef, intercept

    def _view_columns(self, view: str) -> np.ndarray:
        """Joint column indices of a view: "all" or "cnb" (every block), "subject" / "detail"
        (that field's character block), "words" (the jieba word blocks)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r} ({', '.join(VIEWS)})")

        def member(b: _Block) -> bool:
            if view in ("all", "cnb"):
                return True
            if view == "words":
                return b.kind == "word"
            return b.kind == "char" and b.field == view

        parts = [np.arange(b.offset, b.offset + b.size) for b in self._blocks if member(b)]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def _fit_cnb(
        self, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Complement naive Bayes on the TF-IDF features: its joint log-likelihood is linear,
        centred over the classes per feature (the same argmax, smaller stacker inputs)."""
        cnb = ComplementNB(alpha=float(self.params["cnb_alpha"]))
        cnb.fit(X, y, sample_weight=w)
        flp = cnb.feature_log_prob_.T  # (F, K)
        coef = np.zeros((X.shape[1], len(self.labels)), dtype=np.float32)
        coef[:, cnb.classes_] = flp - flp.mean(axis=1, keepdims=True)
        return coef, np.zeros(len(self.labels), dtype=np.float32)

    def _fit_views(
        self, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One model per view, side by side: coef (F, K * views), intercept (K * views,)."""
        coefs, intercepts = [], []
        Xc = X.tocsc()
        for view in self.params["stack_views"]:
            cols = self._view_columns(view)
            coef = np.zeros((X.shape[1], len(self.labels)), dtype=np.float32)
            if view == "all":
                coef, intercept = self._fit_ovr(X, y, w)
            elif view == "cnb":
                coef, intercept = self._fit_cnb(X, y, w)
            elif len(cols):
                part, intercept = self._fit_ovr(Xc[:, cols].tocsr(), y, w)
                coef[cols] = part
            else:
                intercept = np.zeros(len(self.labels), dtype=np.float32)
            coefs.append(coef)
            intercepts.append(intercept)
        return np.hstack(coefs), np.concatenate(intercepts)

    # -- public API

    def fit(
        self,
        subjects: list[str],
        details: list[str],
        labels: list[str],
        unlabeled: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> TextClassifier:
        """Fit on parallel lists of subjects, details and labels (>= 2 distinct labels).

        `unlabeled`: optional (subjects, details) of texts without labels from the same source
        (semi-supervised; see DEFAULT_PARAMS). Blank ones, repeats and texts identical to a
        labelled one are dropped. `self.unlabeled_stats` says how many were used."""
        if not (len(subjects) == len(details) == len(labels)):
            raise ValueError("subjects, details and labels must have the same length")
        labels = [str(x) for x in labels]
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise ValueError("at least two distinct labels are needed to train a classifier")
        index = {lab: i for i, lab in enumerate(self.labels)}
        y = np.array([index[lab] for lab in labels])
        subjects = [_clean(s) for s in subjects]
        details = [_clean(d) for d in details]
        us, ud = self._unlabeled_texts(subjects, details, unlabeled)
        p = self.params
        n = len(subjects)

        if us and bool(p["unlabeled_idf"]):
            X_all = self._fit_transform(subjects + us, details + ud)
            X, X_u = X_all[:n], X_all[n:]
        else:
            X = self._fit_transform(subjects, details)
            X_u = self._transform(us, ud) if us else None
        groups = None
        if bool(p["calibration_grouped"]):
            groups = near_duplicate_groups(
                [f"{a} {b}" for a, b in zip(subjects, details, strict=True)],
                float(p["group_threshold"]),
            )
        self._fit_supervised(X, y, groups=groups)

        weight = float(p["self_training_weight"])
        n_pseudo = 0
        if X_u is not None and weight > 0 and X_u.shape[0]:
            proba = self._proba_from_scores(np.asarray(X_u @ self._coef) + self._intercept)
            sure = np.flatnonzero(proba.max(axis=1) >= float(p["self_training_threshold"]))
            if bool(p["self_training_balanced"]) and len(sure):
                sure = _balanced(sure, proba, np.bincount(y, minlength=len(self.labels)))
            n_pseudo = len(sure)
            if n_pseudo:
                self._fit_supervised(
                    X,
                    y,
                    X_u[sure],
                    proba[sure].argmax(axis=1),
                    np.full(n_pseudo, weight),
                    groups=groups,
                )
        self.unlabeled_stats = {
            "given": 0 if unlabeled is None else len(unlabeled[0]),
            "used": len(us),
            "pseudo_labeled": n_pseudo,
        }
        return self

    @staticmethod
    def _unlabeled_texts(
        subjects: list[str],
        details: list[str],
        unlabeled: tuple[Sequence[str], Sequence[str]] | None,
    ) -> tuple[list[str], list[str]]:
        """Cleaned unlabelled texts without blanks, repeats and copies of labelled texts."""
        if unlabeled is None:
            return [], []
        u_subjects, u_details = unlabeled
        if len(u_subjects) != len(u_details):
            raise ValueError("unlabeled subjects and details must have the same length")
        seen = set(zip(subjects, details, strict=True))
        us, ud = [], []
        for s, d in zip(u_subjects, u_details, strict=True):
            pair = (_clean(s), _clean(d))
            if (pair[0] or pair[1]) and pair not in seen:
                seen.add(pair)
                us.append(pair[0])
                ud.append(pair[1])
        return us, ud

    def _fit_supervised(
        self,
        X: sp.csr_matrix,
        y: np.ndarray,
        X_extra: sp.csr_matrix | None = None,
        y_extra: np.ndarray | None = None,
        w_extra: np.ndarray | None = None,
        *,
        groups: np.ndarray | None = None,
    ) -> None:
        """Base models on all labelled rows (plus weighted pseudo-labelled ones), then the
        stacker on out-of-fold scores of the labelled rows (inner stratified folds; the extra
        rows are always on the training side). With `groups` (near-duplicate group per labelled
        row) the inner folds keep each group on one side. Then, with temperature_scaling, the
        temperature of the stacker's logits is fitted on the stacker's own out-of-fold
        probabilities (the stacker cross-validated over the same inner folds). The feature
        blocks stay as fitted: they are unsupervised."""

        def fit_on(rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
            if X_extra is None or y_extra is None or w_extra is None:
                return self._fit_views(X[rows], y[rows])
            Xt = sp.vstack([X[rows], X_extra], format="csr")
            yt = np.concatenate([y[rows], y_extra])
            wt = np.concatenate([np.ones(len(y[rows])), w_extra])
            return self._fit_views(Xt, yt, wt)

        self._coef, self._intercept = fit_on(slice(None))
        smallest = int(np.bincount(y).min())
        n_inner = min(int(self.params["calibration_folds"]), smallest)
        self._cal_coef = self._cal_intercept = None
        self.temperature = 1.0
        if n_inner >= 2:
            oof = np.zeros((len(y), len(self._intercept)), dtype=np.float64)
            splits = _inner_splits(y, groups, n_inner, int(self.params["seed"]))
            for tr, te in splits:
                coef, intercept = fit_on(tr)
                oof[te] = np.asarray(X[te] @ coef) + intercept

            def stacker() -> LogisticRegression:
                return LogisticRegression(
                    C=float(self.params["calibration_C"]),
                    class_weight=self.params["calibration_class_weight"],
                    max_iter=1000,
                )

            cal = stacker().fit(oof, y)
            self._cal_coef, self._cal_intercept = _multiclass_coef(cal)
            if bool(self.params["temperature_scaling"]):
                logits = np.zeros_like(oof[:, : len(self.labels)])
                fitted = True
                for tr, te in splits:
                    if len(np.unique(y[tr])) < len(self.labels):
                        fitted = False  # a class missing from an inner training side
                        break
                    cc, ci = _multiclass_coef(stacker().fit(oof[tr], y[tr]))
                    logits[te] = oof[te] @ cc.T + ci
                if fitted:
                    self.temperature = fit_temperature(logits, y)

    def _proba_from_scores(self, scores: np.ndarray, *, calibrated: bool = True) -> np.ndarray:
        """Calibrated probabilities: the stacker fitted on out-of-fold scores (then the
        temperature, when fitted). A plain softmax of the views' summed SVM scores with
        calibrated=False (for comparison), or when the training data was too small for
        out-of-fold calibration."""
        scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
        if calibrated and self._cal_coef is not None and self._cal_intercept is not None:
            z = scores @ self._cal_coef.T + self._cal_intercept
            if self.temperature != 1.0:
                z = z / self.temperature
        else:  # the views' scores summed
            z = scores.reshape(len(scores), -1, len(self.labels)).sum(axis=1)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def _scores_one(self, subject: str, detail: str) -> np.ndarray:
        """The per-class SVM scores of one text."""
        if self._coef is None or self._intercept is None:
            raise RuntimeError("the classifier is not fitted")
        fields = {"subject": _clean(subject), "detail": _clean(detail)}
        scores = self._intercept.astype(np.float64)
        for block in self._blocks:
            idx, v = block.features(fields[block.field])
            if len(idx):
                scores = scores + v @ self._coef[idx]
        return scores

    def predict_proba(
        self, subjects: Sequence[str], details: Sequence[str], *, calibrated: bool = True
    ) -> np.ndarray:
        """Probabilities (n, len(labels)) in the order of `labels` (calibrated=False: softmax
        of the summed SVM scores, before any calibration, for comparison)."""
        if len(subjects) != len(details):
            raise ValueError("subjects and details must have the same length")
        if not len(subjects):
            return np.zeros((0, len(self.labels)))
        scores = np.vstack([self._scores_one(s, d) for s, d in zip(subjects, details, strict=True)])
        return self._proba_from_scores(scores, calibrated=calibrated)

    def predict_top(self, subject: str, detail: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable labels with their probabilities (over all classes they sum to
        ~1), best first; ties broken by label."""
        proba = self._proba_from_scores(self._scores_one(subject, detail))[0]
        order = sorted(range(len(self.labels)), key=lambda i: (-proba[i], self.labels[i]))
        return [(self.labels[i], float(proba[i])) for i in order[: max(0, int(k))]]

    def predict_many(self, subjects: Sequence[str], details: Sequence[str]) -> list[str]:
        """The most probable label of each (subject, detail) pair."""
        proba = self.predict_proba(subjects, details)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def to_bytes(self) -> bytes:
        """Serialised model (joblib pickle). Only load blobs this deployment wrote itself."""
        buf = io.BytesIO()
        state = {
            "format": FORMAT_VERSION,
            "params": self.params,
            "labels": self.labels,
            "blocks": self._blocks,
            "coef": self._coef,
            "intercept": self._intercept,
            "cal_coef": self._cal_coef,
            "cal_intercept": self._cal_intercept,
            "temperature": self.temperature,
        }
        joblib.dump(state, buf, compress=3)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Load a model written by `to_bytes` (a pickle: trusted data only). Loads jieba's
        dictionary now when the model uses word features, so that the first prediction is as
        fast as the others."""
        state = joblib.load(io.BytesIO(bytes(data)))
        if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
            raise ValueError("not a TextClassifier model (or an unsupported format version)")
        clf = cls(**{k: v for k, v in state["params"].items() if k in DEFAULT_PARAMS})
        clf.params = dict(state["params"])
        clf.labels = list(state["labels"])
        clf._blocks = list(state["blocks"])
        clf._coef = state["coef"]
        clf._intercept = state["intercept"]
        clf._cal_coef = state["cal_coef"]
        clf._cal_intercept = state["cal_intercept"]
        clf.temperature = float(state.get("temperature", 1.0))  # models before calibration: 1
        if float(clf.params.get("word_weight", 0)) > 0:
            _jieba_tokenizer()
        return clf


# --- evaluation -----------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def _latencies(
    clf: TextClassifier,
    subjects: Sequence[str],
    details: Sequence[str],
    n: int | None,
    warmup: int = 20,
) -> list[float]:
    """Milliseconds per single-text predict_top over the first n texts (None: all), after a
    warm-up on the first `warmup` of them."""
    n = len(subjects) if n is None else min(n, len(subjects))
    for i in range(min(warmup, n)):
        clf.predict_top(subjects[i], details[i])
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        clf.predict_top(subjects[i], details[i])
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def _scores(
    y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]
) -> tuple[float, float, dict[str, float], list[list[int]]]:
    per = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    macro = float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return (
        macro,
        float(accuracy_score(y_true, y_pred)),
        {lab: float(v) for lab, v in zip(labels, per, strict=True)},
        [[int(v) for v in row] for row in cm],
    )


def evaluate(
    clf_factory: Callable[[], TextClassifier],
    subjects: list[str],
    details: list[str],
    labels: list[str],
    folds: int = 5,
    seed: int = 0,
    *,
    latency_samples: int | None = 200,
    log: Callable[[str], None] | None = None,
    unlabeled: tuple[Sequence[str], Sequence[str]] | None = None,
    grouped: bool = False,
    group_threshold: float = GROUP_THRESHOLD,
    threshold: float | None = None,
    subgroups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Stratified k-fold cross-validation of fresh classifiers from `clf_factory`.

    grouped=True: near-duplicate texts (confidence.near_duplicate_groups at group_threshold)
    are kept in one fold (StratifiedGroupKFold), the honest figure; "groups" in the result says
    how many there were. The out-of-fold confidences give the calibration figures (ECE and
    reliability table, also before the temperature step) and the automatic-dispatch operating
    curve (see `confidence_report`), with the point at `threshold` when given. `subgroups`
    (e.g. the second-level category of each row when the labels are first-level ones) adds
    per-subgroup accuracy and coverage.

    `unlabeled` (subjects, details) is passed to every fit: texts without labels, so nothing of
    the held-out fold's labels reaches training.

    macro_f1 / accuracy are the means over folds (with *_std and the per-fold values); the
    per-class F1 and the confusion matrix pool the out-of-fold predictions of all folds. Latency
    is single-text predict_top time on up to `latency_samples` held-out texts per fold, after a
    warm-up; train_seconds is the mean fit time per fold. The result is JSON-serialisable.
    """
    labels = [str(x) for x in labels]
    all_labels = sorted(set(labels))
    y = np.array(labels)
    group_info: dict[str, Any] | None = None
    if grouped:
        groups = near_duplicate_groups(
            [f"{_clean(a)} {_clean(b)}" for a, b in zip(subjects, details, strict=True)],
            group_threshold,
        )
        sizes = np.bincount(groups)
        group_info = {
            "threshold": group_threshold,
            "groups": int(len(sizes)),
            "rows_in_groups": int((sizes[groups] > 1).sum()),
            "largest": int(sizes.max()) if len(sizes) else 0,
        }
        if len(sizes) >= folds:
            splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
            split_iter = splitter.split(np.zeros(len(y)), y, groups)
        else:  # the texts are too alike to group into k folds (tiny or templated data)
            grouped = False
            group_info["fallback"] = "fewer near-duplicate groups than folds: plain folds"
    if not grouped:
        split_iter = StratifiedKFold(folds, shuffle=True, random_state=seed).split(
            np.zeros(len(y)), y
        )
    pred = np.empty(len(labels), dtype=object)
    conf = np.zeros(len(labels))
    conf_raw = np.zeros(len(labels))
    fold_f1, fold_acc, fit_times, lat, temps = [], [], [], [], []
    params: dict[str, Any] = {}
    for i, (tr, te) in enumerate(split_iter, 1):
        clf = clf_factory()
        t0 = time.perf_counter()
        clf.fit(
            [subjects[j] for j in tr],
            [details[j] for j in tr],
            [labels[j] for j in tr],
            unlabeled=unlabeled,
        )
        fit_times.append(time.perf_counter() - t0)
        params = dict(clf.params)
        s_te, d_te = [subjects[j] for j in te], [details[j] for j in te]
        proba = clf.predict_proba(s_te, d_te)
        raw = clf.predict_proba(s_te, d_te, calibrated=False)
        p = [clf.labels[k] for k in proba.argmax(axis=1)]
        pred[te] = p
        conf[te] = proba.max(axis=1)
        conf_raw[te] = raw.max(axis=1)
        temps.append(float(clf.temperature))
        f1 = float(f1_score(y[te], p, labels=all_labels, average="macro", zero_division=0))
        fold_f1.append(f1)
        fold_acc.append(float(accuracy_score(y[te], p)))
        lat += _latencies(clf, s_te, d_te, latency_samples)
        if log:
            extra = ""
            if clf.unlabeled_stats.get("used"):
                st = clf.unlabeled_stats
                extra = f" ({st['used']} unlabelled texts, {st['pseudo_labeled']} pseudo-labelled)"
            log(f"fold {i}/{folds}: macro-F1 {f1:.4f}, fit {fit_times[-1]:.1f} s{extra}")
    pooled_f1, _, per_class, cm = _scores(list(y), list(pred), all_labels)
    correct = pred == y
    report = {
        "kind": "cross-validation",
        "grouped": bool(grouped),
        "group_info": group_info,
        "n": len(labels),
        "folds": folds,
        "seed": seed,
        "labels": all_labels,
        "support": {lab: int((y == lab).sum()) for lab in all_labels},
        "macro_f1": float(np.mean(fold_f1)),
        "macro_f1_std": float(np.std(fold_f1)),
        "fold_macro_f1": fold_f1,
        "pooled_macro_f1": pooled_f1,
        "accuracy": float(np.mean(fold_acc)),
        "accuracy_std": float(np.std(fold_acc)),
        "per_class_f1": per_class,
        "confusion": {"labels": all_labels, "matrix": cm},
        "latency_p50_ms": _percentile(lat, 50),
        "latency_p99_ms": _percentile(lat, 99),
        "latency_n": len(lat),
        "train_seconds": float(np.mean(fit_times)),
        "train_seconds_folds": [float(t) for t in fit_times],
        "temperatures": temps,
        "params": _jsonable(params),
    }
    report.update(
        confidence_report(conf, correct, threshold, raw_confidence=conf_raw, predicted=pred)
    )
    if subgroups is not None:
        report["per_subgroup"] = subgroup_report(subgroups, correct, conf, threshold)
    return report


def confidence_report(
    conf: np.ndarray,
    correct: np.ndarray,
    threshold: float | None = None,
    *,
    raw_confidence: np.ndarray | None = None,
    predicted: Sequence[str] | None = None,
    precision_target: float = PRECISION_TARGET,
) -> dict[str, Any]:
    """Calibration and operating figures of top-1 confidences with their correctness: ece,
    reliability, curve (operating_curve), coverage_at_precision (at `precision_target`), the
    point at `threshold`; ece_uncalibrated from `raw_confidence`; per predicted class the
    precision at the threshold."""
    conf = np.asarray(conf, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    out: dict[str, Any] = {
        "ece": expected_calibration_error(conf, correct),
        "reliability": reliability_table(conf, correct),
        "curve": operating_curve(conf, correct),
        "coverage_at_precision": coverage_at_precision(conf, correct, precision_target),
        "coverage_at_precisions": [
            coverage_at_precision(conf, correct, t) for t in PRECISION_TABLE
        ],
    }
    if raw_confidence is not None:
        out["ece_uncalibrated"] = expected_calibration_error(raw_confidence, correct)
        out["reliability_uncalibrated"] = reliability_table(raw_confidence, correct)
    if threshold is not None:
        out["operating_point"] = operating_point(conf, correct, threshold)
        if predicted is not None:
            pred = np.asarray(predicted, dtype=object)
            out["per_class_operating"] = {
                str(lab): operating_point(conf[pred == lab], correct[pred == lab], threshold)
                for lab in sorted(set(pred.tolist()))
            }
    return out


def subgroup_report(
    subgroups: Sequence[str], correct: np.ndarray, conf: np.ndarray, threshold: float | None
) -> dict[str, dict[str, float]]:
    """Per subgroup (e.g. second-level category): n, accuracy, and with a threshold the share
    dispatched automatically (coverage) and its precision."""
    sub = np.asarray([str(x) for x in subgroups], dtype=object)
    correct = np.asarray(correct, dtype=bool)
    conf = np.asarray(conf, dtype=np.float64)
    out: dict[str, dict[str, float]] = {}
    for g in sorted(set(sub.tolist())):
        m = sub == g
        row: dict[str, float] = {"n": int(m.sum()), "accuracy": float(correct[m].mean())}
        if threshold is not None:
            pt = operating_point(conf[m], correct[m], threshold)
            row.update(coverage=pt["coverage"], precision=pt["precision"])
        out[g] = row
    return out


def holdout_report(
    clf: TextClassifier,
    subjects: list[str],
    details: list[str],
    labels: list[str],
    *,
    latency_samples: int | None = 200,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Score an already trained classifier on rows it never saw: the fields of `evaluate`
    without training time, with the calibration and operating figures of its confidences
    (`confidence_report`; the point at `threshold` when given). Labels unknown to the model
    count as errors and are listed."""
    labels = [str(x) for x in labels]
    proba = clf.predict_proba(subjects, details)
    raw = clf.predict_proba(subjects, details, calibrated=False)
    pred = [clf.labels[k] for k in proba.argmax(axis=1)] if len(labels) else []
    all_labels = sorted(set(labels) | set(clf.labels))
    macro, acc, per_class, cm = _scores(labels, pred, sorted(set(labels) | set(pred)))
    _, _, per_all, cm_all = _scores(labels, pred, all_labels)
    lat = _latencies(clf, subjects, details, latency_samples)
    return {
        "kind": "holdout",
        "n": len(labels),
        "labels": all_labels,
        "support": {lab: labels.count(lab) for lab in all_labels},
        "unknown_labels": sorted(set(labels) - set(clf.labels)),
        "macro_f1": macro,
        "accuracy": acc,
        "per_class_f1": per_all,
        "confusion": {"labels": all_labels, "matrix": cm_all},
        "latency_p50_ms": _percentile(lat, 50),
        "latency_p99_ms": _percentile(lat, 99),
        "latency_n": len(lat),
        "temperature": float(clf.temperature),
        "params": _jsonable(dict(clf.params)),
        **confidence_report(
            proba.max(axis=1) if len(labels) else np.zeros(0),
            np.asarray(pred, dtype=object) == np.asarray(labels, dtype=object),
            threshold,
            raw_confidence=raw.max(axis=1) if len(labels) else np.zeros(0),
            predicted=pred,
        ),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def format_report(report: dict[str, Any]) -> str:
    """Human-readable lines: size, accuracy, per-class F1, confusion matrix, latency, training
    time; the last line is exactly `macro-F1 0.xxxx`."""
    lines: list[str] = []
    n = report.get("n", "?")
    if report.get("kind") == "cross-validation":
        lines.append(
            f"{n} rows, stratified {report.get('folds')}-fold cross-validation "
            f"(seed {report.get('seed')})"
        )
        lines.append(
            f"macro-F1 per fold: {', '.join(f'{v:.4f}' for v in report.get('fold_macro_f1', []))}"
            f" (mean {report['macro_f1']:.4f} ± {report.get('macro_f1_std', 0.0):.4f})"
        )
        lines.append(f"accuracy {report['accuracy']:.4f} ± {report.get('accuracy_std', 0.0):.4f}")
    else:
        lines.append(f"{n} held-out rows")
        lines.append(f"accuracy {report['accuracy']:.4f}")
        if report.get("unknown_labels"):
            lines.append(f"labels unknown to the model: {', '.join(report['unknown_labels'])}")
    support = report.get("support", {})
    lines.append("per-class F1:")
    for lab, f1 in report.get("per_class_f1", {}).items():
        lines.append(f"  {f1:.4f}  {lab} (n={support.get(lab, '?')})")
    conf = report.get("confusion") or {}
    cl, matrix = conf.get("labels", []), conf.get("matrix", [])
    if cl:
        lines.append("confusion matrix (rows: true, columns: predicted):")
        width = max(5, *(len(str(v)) + 1 for row in matrix for v in row))
        lines.append("      " + "".join(f"{f'[{j}]':>{width}}" for j in range(len(cl))))
        for i, row in enumerate(matrix):
            lines.append(f"  [{i}] " + "".join(f"{v:>{width}}" for v in row) + f"  {cl[i]}")
    if "latency_p50_ms" in report:
        lines.append(
            f"latency per text (predict_top, {report.get('latency_n', '?')} texts): "
            f"p50 {report['latency_p50_ms']:.2f} ms, p99 {report['latency_p99_ms']:.2f} ms"
        )
    if "train_seconds" in report:
        lines.append(f"training {report['train_seconds']:.1f} s per fold (mean)")
    lines += confidence_lines(report)
    macro = float(report["macro_f1"])
    if math.isnan(macro):
        macro = 0.0
    lines.append(f"macro-F1 {macro:.4f}")
    return "\n".join(lines)


def confidence_lines(report: dict[str, Any]) -> list[str]:
    """Calibration (ECE, reliability table) and operating lines of a report; the last two are
    `auto-dispatch: threshold T coverage C precision P` (when the report has a threshold) and
    `coverage at precision 0.98: C`."""
    lines: list[str] = []
    if "ece" not in report:
        return lines
    before = report.get("ece_uncalibrated")
    lines.append(
        f"calibration: ECE {report['ece']:.4f}"
        + (f" (uncalibrated SVM scores {before:.4f})" if before is not None else "")
    )
    lines.append("reliability (top-1 confidence bin: rows, mean confidence, accuracy):")
    for row in report.get("reliability", []):
        if row["n"]:
            lines.append(
                f"  [{row['lo']:.2f}, {row['hi']:.2f}{']' if row['hi'] >= 1 else ')'}: "
                f"{row['n']:>5} ({row['share']:.1%}), {row['confidence']:.4f}, {row['accuracy']:.4f}"
            )
    cap = report.get("coverage_at_precision") or {}
    pt = report.get("operating_point")
    if pt:
        lines.append(
            f"auto-dispatch: threshold {pt['threshold']:.2f} coverage {pt['coverage']:.4f} "
            f"precision {pt['precision']:.4f}"
        )
    if cap:
        target = cap.get("precision_target", PRECISION_TARGET)
        lines.append(f"coverage at precision {target:.2f}: {cap.get('coverage', 0.0):.4f}")
    return lines


# --- data -----------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("subject", "detail", "label")


def read_labeled_csv(path: str | Path) -> tuple[list[str], list[str], list[str]]:
    """(subjects, details, labels) from a CSV with columns subject, detail, label (others are
    ignored; UTF-8 with or without BOM; header names case-insensitive). Rows with an empty label
    or with neither subject nor detail are skipped. Raises ValueError naming missing columns."""
    p = Path(path)
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ValueError(
                f"{p}: missing column(s) {', '.join(missing)} "
                f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {', '.join(header) or 'none'})"
            )
        reader.fieldnames = header
        subjects, details, labels = [], [], []
        for row in reader:
            label = (row.get("label") or "").strip()
            subject = (row.get("subject") or "").strip()
            detail = (row.get("detail") or "").strip()
            if not label or not (subject or detail):
                continue
            subjects.append(subject)
            details.append(detail)
            labels.append(label)
    return subjects, details, labels


def read_unlabeled_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """(subjects, details) from a CSV with columns subject and detail (others, a label among
    them, are ignored), for `TextClassifier.fit(..., unlabeled=...)`. Rows with neither are
    skipped. Raises ValueError naming missing columns."""
    p = Path(path)
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in ("subject", "detail") if c not in header]
        if missing:
            raise ValueError(
                f"{p}: missing column(s) {', '.join(missing)} "
                f"(required: subject, detail; found: {', '.join(header) or 'none'})"
            )
        reader.fieldnames = header
        subjects, details = [], []
        for row in reader:
            subject = (row.get("subject") or "").strip()
            detail = (row.get("detail") or "").strip()
            if subject or detail:
                subjects.append(subject)
                details.append(detail)
    return subjects, details
