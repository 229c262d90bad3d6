"""Benchmark of the routing text classifier (minhu.routing.textclf) on a labelled CSV.

    .venv/bin/python benchmarks/route_bench.py [--csv PATH] [--folds 5] [--seed 0]
        [--threshold 0.85] [--semi [--unlabeled CSV ...]]

Default data: ../shared/bench/messages_labeled.csv beside the repository (never copied into
it). Runs two stratified k-fold cross-validations of the default model: plain, and grouped
(near-duplicate texts, by character-shingle Jaccard similarity, kept in one fold:
StratifiedGroupKFold; the honest figure, the one to tune on): macro-F1, accuracy, per-class F1,
confusion matrix, single-text latency; for the grouped one also the calibration of the
confidences (ECE and reliability table, calibrated vs the uncalibrated SVM scores) and the
automatic-dispatch operating curve: coverage and precision at the threshold, coverage at
precision 0.98. With --semi, also the grouped cross-validation with unlabelled texts
(../shared/bench/messages_votes.csv and messages_replies.csv, or --unlabeled CSV). Then it
trains once on the whole file timing it, loads the model in a fresh process and measures the
resident memory it adds (load + classify) and its latency there. Everything runs on one CPU
core with one BLAS/OpenMP thread. The last lines printed are `grouped CV: macro-F1 M ECE E
coverage at precision 0.98: C` and `macro-F1 0.xxxx` (grouped cross-validated mean over
folds of the default model)."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported, here and in the child process

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minhu.routing import confidence, textclf  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench"
DEFAULT_CSV = BENCH / "messages_labeled.csv"
DEFAULT_UNLABELED = [BENCH / "messages_votes.csv", BENCH / "messages_replies.csv"]

# Run in a fresh interpreter: RSS after imports, after loading the model, after classifying.
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from minhu.routing import textclf

def rss_kib():
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

subjects, details, _ = textclf.read_labeled_csv(sys.argv[3])
n = int(sys.argv[4])
before, _ = rss_kib()
t0 = time.perf_counter()
with open(sys.argv[2], "rb") as fh:
    clf = textclf.TextClassifier.from_bytes(fh.read())
load_s = time.perf_counter() - t0
t0 = time.perf_counter()
first = clf.predict_top(subjects[0], details[0])
first_ms = (time.perf_counter() - t0) * 1000
lat = []
for i in range(n):
    t0 = time.perf_counter()
    clf.predict_top(subjects[i], details[i])
    lat.append((time.perf_counter() - t0) * 1000)
after, peak = rss_kib()
print(json.dumps({
    "rss_before_kib": before, "rss_after_kib": after, "rss_peak_kib": peak,
    "load_seconds": load_s, "first_call_ms": first_ms,
    "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)), "n": n,
}))
"""


def one_core() -> str:
    """Pin this process (and its children) to one CPU; returns a description."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def train_and_measure(
    subjects: list[str],
    details: list[str],
    labels: list[str],
    unlabeled: tuple[list[str], list[str]] | None,
    path: Path,
) -> tuple[float, float]:
    """Train on the whole file (timed), then load the model in a fresh process and measure the
    memory and latency there; prints both, returns (training seconds, RSS delta in MB)."""
    t0 = time.perf_counter()
    clf = textclf.TextClassifier().fit(subjects, details, labels, unlabeled=unlabeled)
    fit_seconds = time.perf_counter() - t0
    blob = clf.to_bytes()
    used = ""
    if unlabeled is not None:
        st = clf.unlabeled_stats
        used = f" + {st['used']} unlabelled texts ({st['pseudo_labeled']} pseudo-labelled)"
    print(
        f"training on all {len(labels)} rows{used}: {fit_seconds:.1f} s; "
        f"model {len(blob) / 1e6:.1f} MB"
    )
    with tempfile.NamedTemporaryFile(suffix=".joblib") as fh:
        fh.write(blob)
        fh.flush()
        n = min(1000, len(labels))
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), fh.name, str(path), str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    delta = (child["rss_after_kib"] - child["rss_before_kib"]) / 1024
    print(
        f"  fresh process: RSS {child['rss_before_kib'] / 1024:.0f} MB after imports, "
        f"{child['rss_after_kib'] / 1024:.0f} MB after load + {child['n']} classifications "
        f"(delta {delta:.0f} MB, peak {child['rss_peak_kib'] / 1024:.0f} MB); "
        f"load {child['load_seconds']:.2f} s, first call {child['first_call_ms']:.1f} ms, "
        f"then p50 {child['p50_ms']:.2f} ms, p99 {child['p99_ms']:.2f} ms"
    )
    return fit_seconds, delta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", default=str(DEFAULT_CSV), metavar="PATH")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--latency-texts", type=int, default=0, help="held-out texts timed per fold (0: all)"
    )
    ap.add_argument(
        "--unlabeled",
        action="append",
        metavar="CSV",
        help="CSV with columns subject, detail of unlabelled texts (repeatable; default: "
        "messages_votes.csv and messages_replies.csv of the bench directory when present)",
    )
    ap.add_argument(
        "--semi",
        action="store_true",
        help="also cross-validate and train with the unlabelled texts (semi-supervised)",
    )
    ap.add_argument(
        "--threshold",
        type=float,
        default=0.85,
        help="auto-dispatch confidence threshold of the operating point (default 0.85)",
    )
    args = ap.parse_args()

    path = Path(args.csv)
    if not path.exists():
        print(f"data not found: {path}", file=sys.stderr)
        return 2
    subjects, details, labels = textclf.read_labeled_csv(path)
    print(f"machine: {machine()}; {one_core()}; load average {load()}")
    print(f"data: {path} ({len(labels)} rows, {len(set(labels))} labels)")
    print(f"model: {json.dumps(textclf.TextClassifier().params, ensure_ascii=False)}")
    unlabeled = None
    if args.semi:
        paths = [Path(u) for u in args.unlabeled] if args.unlabeled else DEFAULT_UNLABELED
        paths = [u for u in paths if args.unlabeled or u.exists()]
        u_subjects: list[str] = []
        u_details: list[str] = []
        for u in paths:
            if not u.exists():
                print(f"unlabelled data not found: {u}", file=sys.stderr)
                return 2
            s, d = textclf.read_unlabeled_csv(u)
            u_subjects += s
            u_details += d
        if u_subjects:
            unlabeled = (u_subjects, u_details)
            clean = textclf._clean  # noqa: SLF001 - the model's own normalisation
            labelled = {(clean(s), clean(d)) for s, d in zip(subjects, details, strict=True)}
            pairs = [(clean(s), clean(d)) for s, d in zip(u_subjects, u_details, strict=True)]
            dup = sum(p in labelled for p in pairs)
            print(
                f"unlabelled: {', '.join(str(u) for u in paths)} ({len(pairs)} texts, "
                f"{len(set(pairs))} distinct; {dup} identical to a labelled text, "
                f"{len(set(pairs) & labelled)} distinct ones)"
            )

    def cross_validate(unl: tuple[list[str], list[str]] | None, grouped: bool) -> dict:
        print(
            f"== {'grouped' if grouped else 'plain'} cross-validation "
            + ("with" if unl else "without")
            + " unlabelled texts"
        )
        started = time.perf_counter()
        report = textclf.evaluate(
            textclf.TextClassifier,
            subjects,
            details,
            labels,
            folds=args.folds,
            seed=args.seed,
            latency_samples=args.latency_texts or None,
            log=lambda msg: print("  " + msg, flush=True),
            unlabeled=unl,
            grouped=grouped,
            threshold=args.threshold,
        )
        print(f"cross-validation wall time {time.perf_counter() - started:.0f} s")
        return report

    plain = cross_validate(None, grouped=False)
    for line in textclf.format_report(plain).splitlines()[:-1]:
        print(line)
    print(f"pooled out-of-fold macro-F1 {plain['pooled_macro_f1']:.4f}")
    report = cross_validate(None, grouped=True)  # the product default, the honest figure
    gi = report.get("group_info") or {}
    print(
        f"near-duplicate groups (char {confidence.SHINGLE}-gram Jaccard >= "
        f"{gi.get('threshold')}): {gi.get('groups')} groups, {gi.get('rows_in_groups')} rows in "
        f"groups of 2 or more, largest {gi.get('largest')}"
        + (f"; {gi['fallback']}" if gi.get("fallback") else "")
    )
    cv_lines = textclf.format_report(report).splitlines()
    for line in cv_lines[:-1]:
        print(line)
    print(f"pooled out-of-fold macro-F1 {report['pooled_macro_f1']:.4f}")
    print("auto-dispatch curve (threshold: coverage, precision):")
    for pt in report["curve"]:
        if round(pt["threshold"] * 100) % 5 == 0 or pt["threshold"] > 0.95:
            print(f"  {pt['threshold']:.3f}: {pt['coverage']:.4f}, {pt['precision']:.4f}")
    print("coverage by required precision (threshold, coverage):")
    for cap in report["coverage_at_precisions"]:
        th = "—" if cap["threshold"] is None else f"{cap['threshold']:.4f}"
        print(f"  {cap['precision_target']:.2f}: {th}, {cap['coverage']:.4f}")
    print(f"per predicted class at threshold {args.threshold:.2f} (coverage, precision, n):")
    for lab, pt in report.get("per_class_operating", {}).items():
        print(f"  {lab}: {pt['coverage']:.4f}, {pt['precision']:.4f}, {pt['n']}")
    semi = None
    if unlabeled is not None:
        semi = cross_validate(unlabeled, grouped=True)
        print(
            f"with unlabelled texts: macro-F1 per fold "
            f"{', '.join(f'{v:.4f}' for v in semi['fold_macro_f1'])} "
            f"(mean {semi['macro_f1']:.4f} ± {semi['macro_f1_std']:.4f}; pooled "
            f"{semi['pooled_macro_f1']:.4f}), accuracy {semi['accuracy']:.4f}, "
            f"latency p99 {semi['latency_p99_ms']:.2f} ms, "
            f"training {semi['train_seconds']:.1f} s per fold"
        )

    fit_seconds, delta = train_and_measure(subjects, details, labels, None, path)
    if unlabeled is not None:
        train_and_measure(subjects, details, labels, unlabeled, path)
    if semi is not None:
        print(
            f"summary with unlabelled texts (semi-supervised): macro-F1 {semi['macro_f1']:.4f} ± "
            f"{semi['macro_f1_std']:.4f}, accuracy {semi['accuracy']:.4f}"
        )
    print(
        f"summary (default, labelled rows only): plain CV macro-F1 {plain['macro_f1']:.4f} ± "
        f"{plain['macro_f1_std']:.4f}; grouped CV macro-F1 {report['macro_f1']:.4f} ± "
        f"{report['macro_f1_std']:.4f}, accuracy {report['accuracy']:.4f}, latency p50 "
        f"{report['latency_p50_ms']:.2f} ms p99 {report['latency_p99_ms']:.2f} ms, training "
        f"{fit_seconds:.1f} s, model RSS delta {delta:.0f} MB; load average {load()}"
    )
    pt = report["operating_point"]
    print(
        f"auto-dispatch: threshold {pt['threshold']:.2f} coverage {pt['coverage']:.4f} "
        f"precision {pt['precision']:.4f}"
    )
    cap = report["coverage_at_precision"]
    print(
        f"grouped CV: macro-F1 {report['macro_f1']:.4f} ECE {report['ece']:.4f} "
        f"(uncalibrated {report['ece_uncalibrated']:.4f}) coverage at precision "
        f"{cap['precision_target']:.2f}: {cap['coverage']:.4f}"
    )
    print(cv_lines[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
