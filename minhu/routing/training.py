"""Training and evaluation of the category classifier (the model itself: routing.textclf).

Data comes from any CSV with columns subject, detail, label, or from the deployment's own
closed appeals (their final category, after any re-dispatch)."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

from minhu.appeals.models import Appeal, Status

REQUIRED_COLUMNS = ("subject", "detail", "label")
HOLDOUT = 0.2
MIN_PER_CLASS_FOR_HOLDOUT = 2


class DataError(ValueError):
    """A CSV or history that cannot be used; the message says why (Chinese and English)."""


def read_csv(path: str | Path) -> tuple[list[str], list[str], list[str]]:
    """Rows of a CSV with columns subject, detail, label (any others ignored; UTF-8, BOM ok).
    Rows without a label, or without subject and detail, are skipped."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"文件不存在 / file not found: {p}")
    if p.is_dir():
        raise DataError(f"这是一个目录 / is a directory: {p}")
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            if not header:
                raise DataError(f"文件为空 / empty file: {p}")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DataError(
                    f"缺少列 / missing columns: {', '.join(missing)} "
                    f"(需要 / required: subject, detail, label; 现有 / found: {', '.join(header)})"
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
    except UnicodeDecodeError:
        raise DataError(f"文件不是UTF-8编码 / not UTF-8: {p}")
    except csv.Error as exc:
        raise DataError(f"CSV格式错误 / malformed CSV: {exc}")
    if not labels:
        raise DataError(f"没有可用的数据行 / no usable rows (subject, detail, label): {p}")
    return subjects, details, labels


def read_unlabeled_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """(subjects, details) of a CSV with columns subject, detail (unlabelled texts)."""
    from . import textclf

    p = Path(path)
    if not p.exists():
        raise DataError(f"文件不存在 / file not found: {p}")
    if p.is_dir():
        raise DataError(f"这是一个目录 / is a directory: {p}")
    try:
        return textclf.read_unlabeled_csv(p)
    except UnicodeDecodeError:
        raise DataError(f"文件不是UTF-8编码 / not UTF-8: {p}")
    except csv.Error as exc:
        raise DataError(f"CSV格式错误 / malformed CSV: {exc}")
    except ValueError as exc:
        raise DataError(f"缺少列 / {exc}")


def history(level: str = "leaf") -> tuple[list[str], list[str], list[str]]:
    """Closed appeals (not merged children) with their final category: its code, or its
    first-level category's code with level="top"."""
    rows = (
        Appeal.objects.filter(status=Status.CLOSED, category__isnull=False)
        .select_related("category__parent")
        .only("subject", "detail", "category__code", "category__parent__code")
        .order_by("pk")
    )
    subjects, details, labels = [], [], []
    for a in rows.iterator(chunk_size=2000):
        cat = a.category.parent if level == "top" and a.category.parent_id else a.category
        subjects.append(a.subject)
        details.append(a.detail)
        labels.append(cat.code)
    if not labels:
        raise DataError("还没有已销号且有分类的诉求 / no closed, categorised appeals yet")
    return subjects, details, labels


def check_trainable(labels: list[str]) -> None:
    counts = Counter(labels)
    if len(counts) < 2:
        raise DataError(
            f"至少需要两个类别 / at least two labels are needed (found: {', '.join(counts)})"
        )


def _split(labels: list[str], seed: int) -> tuple[list[int], list[int]] | None:
    """Stratified holdout indices, or None when some class is too small to hold out."""
    counts = Counter(labels)
    if min(counts.values()) < MIN_PER_CLASS_FOR_HOLDOUT or len(labels) < 10:
        return None
    from sklearn.model_selection import train_test_split

    idx = list(range(len(labels)))
    test_size = max(len(counts), int(round(HOLDOUT * len(labels))))
    if test_size >= len(labels) - len(counts):
        return None
    train_idx, test_idx = train_test_split(
        idx, test_size=test_size, stratify=labels, random_state=seed
    )
    return sorted(train_idx), sorted(test_idx)


def train(
    subjects: list[str],
    details: list[str],
    labels: list[str],
    *,
    trained_on: str,
    actor=None,
    activate: bool = True,
    seed: int = 0,
    log=None,
    unlabeled: tuple[list[str], list[str]] | None = None,
):
    """Evaluate on a stratified holdout (a model fitted on the rest), then fit on everything,
    store the model with that evaluation and activate it. Returns the ClassifierModel.
    `unlabeled`: optional (subjects, details) of texts without labels (semi-supervised)."""
    from . import textclf
    from .actions import store_model

    check_trainable(labels)
    log = log or (lambda msg: None)
    evaluation: dict = {}
    split = _split(labels, seed)
    if split is None:
        evaluation = {"note": "样本太少，未做留出评估 / too few samples per class for a holdout"}
        log("too few samples per class for a holdout evaluation; training without one")
    else:
        tr, te = split
        clf = textclf.TextClassifier()
        started = time.perf_counter()
        clf.fit(
            [subjects[i] for i in tr],
            [details[i] for i in tr],
            [labels[i] for i in tr],
            unlabeled=unlabeled,
        )
        holdout_fit = time.perf_counter() - started
        report = textclf.holdout_report(
            clf, [subjects[i] for i in te], [details[i] for i in te], [labels[i] for i in te]
        )
        evaluation = dict(report)
        evaluation.update(
            method=f"stratified holdout {len(te)}/{len(labels)}",
            n_train=len(tr),
            n_test=len(te),
            holdout_fit_seconds=round(holdout_fit, 2),
            report=textclf.format_report(report),
        )
        log(textclf.format_report(report))
    clf = textclf.TextClassifier()
    started = time.perf_counter()
    clf.fit(subjects, details, labels, unlabeled=unlabeled)
    if unlabeled is not None:
        evaluation["unlabeled"] = dict(getattr(clf, "unlabeled_stats", {}) or {})
    evaluation["fit_seconds"] = round(time.perf_counter() - started, 2)
    evaluation["label_counts"] = dict(Counter(labels))
    blob = clf.to_bytes()
    return store_model(
        actor=actor,
        blob=blob,
        labels=list(clf.labels),
        params=dict(getattr(clf, "params", {}) or {}),
        evaluation=evaluation,
        trained_on=trained_on,
        n_samples=len(labels),
        activate=activate,
    )


def textclf_ready() -> bool:
    from .classifier import textclf_available

    return textclf_available()
