"""Training and evaluation of the category classifier (the model itself: routing.textclf).

Data comes from any CSV with columns subject, detail, label, or from the deployment's own
history: closed appeals with their final category (after any re-classification or
re-dispatch) and the appeals still open whose category a dispatcher confirmed or corrected
(every correction enters the next training).

The evaluation stored with a model is a grouped stratified cross-validation (near-duplicate
texts kept in one fold; textclf.evaluate), with the calibration and automatic-dispatch figures;
data too small for it gets a plain stratified holdout, or none."""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db.models import Q

from minhu.appeals.models import Appeal, Status

REQUIRED_COLUMNS = ("subject", "detail", "label")
HOLDOUT = 0.2
MIN_PER_CLASS_FOR_HOLDOUT = 2
CV_FOLDS = 5
# below this many rows per class (or rows overall) cross-validation says little: holdout
MIN_PER_CLASS_FOR_CV = 3
MIN_ROWS_FOR_CV = 50


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


@dataclass
class HistoryRows:
    """Training rows from the deployment's history, in registration order."""

    subjects: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    # the appeal's own (second-level, when it has a parent) category code, for per-category
    # figures when the labels are first-level codes
    subcategories: list[str] = field(default_factory=list)
    created: list[datetime] = field(default_factory=list)
    closed: int = 0
    reviewed_open: int = 0  # still open, category confirmed or corrected by a dispatcher
    corrected: int = 0  # rows whose machine proposal a dispatcher corrected

    def take(self, keep: list[int]) -> HistoryRows:
        out = HistoryRows(
            subjects=[self.subjects[i] for i in keep],
            details=[self.details[i] for i in keep],
            labels=[self.labels[i] for i in keep],
            subcategories=[self.subcategories[i] for i in keep],
            created=[self.created[i] for i in keep],
        )
        return out


def history_rows(
    level: str = "leaf", *, since: datetime | None = None, until: datetime | None = None
) -> HistoryRows:
    """Appeals with a final or human-reviewed category: closed ones (not merged children) and
    open ones whose category a dispatcher confirmed or corrected (a confirmed / correction
    routing decision). Label: the category's code, or its first-level category's code with
    level="top". since / until bound the registration time (since inclusive, until
    exclusive). May be empty."""
    from .models import DecisionKind, RoutingDecision

    reviewed = RoutingDecision.objects.filter(
        kind__in=[DecisionKind.CONFIRMED, DecisionKind.CORRECTION]
    ).values("appeal_id")
    corrected = set(
        RoutingDecision.objects.filter(kind=DecisionKind.CORRECTION).values_list(
            "appeal_id", flat=True
        )
    )
    qs = Appeal.objects.filter(category__isnull=False).filter(
        Q(status=Status.CLOSED) | (~Q(status=Status.MERGED) & Q(pk__in=reviewed))
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = (
        qs.select_related("category__parent")
        .only(
            "subject", "detail", "status", "created_at", "category__code", "category__parent__code"
        )
        .order_by("created_at", "pk")
    )
    out = HistoryRows()
    for a in rows.iterator(chunk_size=2000):
        cat = a.category.parent if level == "top" and a.category.parent_id else a.category
        out.subjects.append(a.subject)
        out.details.append(a.detail)
        out.labels.append(cat.code)
        out.subcategories.append(a.category.code)
        out.created.append(a.created_at)
        if a.status == Status.CLOSED:
            out.closed += 1
        else:
            out.reviewed_open += 1
        if a.pk in corrected:
            out.corrected += 1
    return out


def history(level: str = "leaf") -> tuple[list[str], list[str], list[str]]:
    """(subjects, details, labels) of `history_rows`; DataError when there is none."""
    rows = history_rows(level)
    if not rows.labels:
        raise DataError("还没有已销号且有分类的诉求 / no closed, categorised appeals yet")
    return rows.subjects, rows.details, rows.labels


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
    subgroups: list[str] | None = None,
    threshold: float | None = None,
    folds: int = CV_FOLDS,
    evaluation_extra: dict | None = None,
):
    """Evaluate by grouped stratified cross-validation (near-duplicates kept in one fold), or
    on a stratified holdout when the data is too small for it, then fit on everything, store
    the model with that evaluation (calibration, operating curve, the point at `threshold`,
    default the routing's effective threshold; per `subgroups` figures when given) and
    activate it. Returns the ClassifierModel. `unlabeled`: optional (subjects, details) of
    texts without labels (semi-supervised)."""
    from . import textclf
    from .actions import store_model
    from .models import RoutingConfig

    check_trainable(labels)
    log = log or (lambda msg: None)
    if threshold is None:
        threshold = RoutingConfig.get().effective_threshold
    evaluation: dict = {}
    counts = Counter(labels)
    n_folds = min(int(folds), min(counts.values()))
    split = _split(labels, seed)
    if n_folds >= MIN_PER_CLASS_FOR_CV and len(labels) >= MIN_ROWS_FOR_CV:
        started = time.perf_counter()
        report = textclf.evaluate(
            textclf.TextClassifier,
            subjects,
            details,
            labels,
            folds=n_folds,
            seed=seed,
            latency_samples=50,
            unlabeled=unlabeled,
            grouped=True,
            threshold=threshold,
            subgroups=subgroups,
            log=log,
        )
        evaluation = dict(report)
        gi = report.get("group_info") or {}
        evaluation.update(
            method=f"grouped stratified {n_folds}-fold cross-validation",
            cv_seconds=round(time.perf_counter() - started, 2),
            report=format_training_report(report),
        )
        log(evaluation["report"])
        log(
            f"near-duplicate groups: {gi.get('rows_in_groups', 0)} rows in groups of 2 or more, "
            f"largest {gi.get('largest', 0)}"
        )
    elif split is None:
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
            clf,
            [subjects[i] for i in te],
            [details[i] for i in te],
            [labels[i] for i in te],
            threshold=threshold,
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
    evaluation["threshold"] = threshold
    evaluation["temperature"] = float(clf.temperature)
    if evaluation_extra:
        evaluation.update(evaluation_extra)
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


def format_training_report(report: dict) -> str:
    """format_report plus the per-subgroup table (second-level categories) when present; the
    last line stays `macro-F1 0.xxxx`."""
    from . import textclf

    lines = textclf.format_report(report).splitlines()
    sub = report.get("per_subgroup") or {}
    if sub:
        extra = ["per second-level category (rows, accuracy, auto-dispatch coverage, precision):"]
        for code, row in sub.items():
            extra.append(
                f"  {code}: {row['n']}, {row['accuracy']:.4f}, "
                f"{row.get('coverage', 0.0):.4f}, {row.get('precision', 1.0):.4f}"
            )
        lines = lines[:-1] + extra + lines[-1:]
    return "\n".join(lines)


def textclf_ready() -> bool:
    from .classifier import textclf_available

    return textclf_available()


# --- scheduled retraining -------------------------------------------------------------------

RETRAIN_WINDOW_DAYS = 30
RETRAIN_MIN_WINDOW = 50
RETRAIN_TOLERANCE = 0.0


def _window_figures(clf, rows: HistoryRows, threshold: float) -> dict:
    """macro-F1, accuracy and the automatic-dispatch point of `clf` on the window rows."""
    from . import textclf

    report = textclf.holdout_report(
        clf, rows.subjects, rows.details, rows.labels, latency_samples=0, threshold=threshold
    )
    pt = report.get("operating_point") or {}
    cap = report.get("coverage_at_precision") or {}
    return {
        "macro_f1": float(report["macro_f1"]),
        "accuracy": float(report["accuracy"]),
        "ece": float(report["ece"]),
        "coverage": float(pt.get("coverage", 0.0)),
        "precision": float(pt.get("precision", 1.0)),
        "coverage_at_precision": float(cap.get("coverage", 0.0)),
    }


def not_worse(candidate: dict, current: dict | None, tolerance: float = RETRAIN_TOLERANCE) -> bool:
    """The candidate replaces the current model only if, on the same window, its macro-F1 and
    its precision at the configured threshold are each at least the current one's minus
    `tolerance` (always, without a current model)."""
    if current is None:
        return True
    return (
        candidate["macro_f1"] >= current["macro_f1"] - tolerance
        and candidate["precision"] >= current["precision"] - tolerance
    )


def retrain(
    *,
    level: str = "leaf",
    window_days: int = RETRAIN_WINDOW_DAYS,
    min_window: int = RETRAIN_MIN_WINDOW,
    tolerance: float = RETRAIN_TOLERANCE,
    now: datetime | None = None,
    dry_run: bool = False,
    log=None,
) -> dict:
    """Scheduled retraining from the history (for the job queue, or cron via
    `minhu route-retrain`).

    The fixed recent window is the history registered in the last `window_days` days. A
    candidate is fitted on the history before the window; it and the active model are scored
    on the window (macro-F1, precision at the configured threshold). Only if the candidate is
    `not_worse` is a model fitted on the whole history (window included) stored and activated;
    the previous one stays stored (`rollback()` re-activates it). The active model may have been
    trained on part of the window: that favours it, so the check errs on the side of keeping it.
    Returns {"status": "activated" | "kept" | "skipped" | "dry-run", "reason", "window",
    "candidate", "current", "model_version"}."""
    from datetime import timedelta

    from django.utils import timezone

    from . import classifier, feedback, textclf
    from .models import RoutingConfig

    log = log or (lambda msg: None)
    now = now or timezone.now()
    start = now - timedelta(days=int(window_days))
    feedback.reconcile()
    rows = history_rows(level)
    in_window = [i for i, t in enumerate(rows.created) if t >= start]
    before = [i for i, t in enumerate(rows.created) if t < start]
    out: dict = {"window": {"since": start.isoformat(), "rows": len(in_window)}}
    if len(in_window) < min_window:
        out.update(
            status="skipped",
            reason=f"only {len(in_window)} appeals in the last {window_days} days "
            f"(at least {min_window} are needed to compare models)",
        )
        return out
    old = rows.take(before)
    if len(set(old.labels)) < 2:
        out.update(status="skipped", reason="fewer than two labels before the window")
        return out
    window = rows.take(in_window)
    threshold = RoutingConfig.get().effective_threshold
    candidate = textclf.TextClassifier().fit(old.subjects, old.details, old.labels)
    out["candidate"] = _window_figures(candidate, window, threshold)
    log(f"candidate (fitted on {len(before)} earlier appeals) on the window: {out['candidate']}")
    current = None
    try:
        loaded = classifier.active_model(strict=True)
    except classifier.ModelLoadError as exc:
        log(f"the active model cannot be loaded ({exc}); it does not count")
        loaded = None
    if loaded is not None:
        version, clf = loaded
        current = _window_figures(clf, window, threshold)
        out["current"] = dict(current, version=version)
        log(f"active model v{version} on the window: {current}")
    if not not_worse(out["candidate"], current, tolerance):
        out.update(status="kept", reason="the candidate is worse on the recent window")
        return out
    if dry_run:
        out.update(status="dry-run", reason="the candidate would be activated")
        return out
    model = train(
        rows.subjects,
        rows.details,
        rows.labels,
        trained_on="history",
        activate=True,
        log=log,
        subgroups=rows.subcategories,
        evaluation_extra={"retrain": {k: v for k, v in out.items() if k != "status"}},
    )
    out.update(
        status="activated", reason="not worse on the recent window", model_version=model.version
    )
    return out


def rollback(*, actor=None):
    """Re-activate the model that was active before the current one (the most recently
    activated of the others). Returns it; DataError when there is none."""
    from .actions import activate_model
    from .models import ClassifierModel

    current = ClassifierModel.objects.filter(active=True).values_list("pk", flat=True).first()
    previous = (
        ClassifierModel.objects.filter(activated_at__isnull=False)
        .exclude(pk=current)
        .order_by("-activated_at", "-version")
        .defer("blob")
        .first()
    )
    if previous is None:
        raise DataError("没有可回滚的上一个模型 / no previous model to roll back to")
    return activate_model(previous.pk, actor=actor)
