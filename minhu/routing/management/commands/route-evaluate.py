"""minhu route-evaluate --csv PATH: score the active classifier on data it never saw."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from minhu.routing import classifier, training


class Command(BaseCommand):
    help = (
        "Score the ACTIVE classifier on a CSV (columns subject, detail, label): accuracy, "
        "per-class F1, confusion matrix, latency, calibration (ECE, reliability) and, above the "
        "last line, `auto-dispatch: threshold T coverage C precision P` at the configured "
        "threshold and `coverage at precision 0.98: C`; the last line is `macro-F1 0.xxxx`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, metavar="PATH")
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help="confidence threshold of the auto-dispatch line (default: the configured one)",
        )

    def handle(self, *args, **opts):
        try:
            subjects, details, labels = training.read_csv(opts["csv"])
        except training.DataError as exc:
            raise CommandError(str(exc))
        if not training.textclf_ready():
            raise CommandError("The text classifier (minhu.routing.textclf) is not available")
        from minhu.routing import textclf

        try:
            loaded = classifier.active_model(strict=True)
        except classifier.ModelLoadError as exc:
            raise CommandError(f"{exc}; train it again with minhu route-train")
        if loaded is None:
            raise CommandError(
                "No active model: train one first (minhu route-train --csv PATH or --from-history)"
            )
        version, clf = loaded
        unknown = sorted(set(labels) - set(clf.labels))
        self.stdout.write(f"model v{version}; {len(labels)} rows from {opts['csv']}")
        if unknown:
            self.stdout.write(
                self.style.WARNING(f"labels the model does not know: {', '.join(unknown)}")
            )
        from minhu.routing.models import RoutingConfig

        threshold = opts["threshold"]
        if threshold is None:
            threshold = RoutingConfig.get().effective_threshold
        if not 0.0 <= threshold <= 1.0:
            raise CommandError("--threshold must be between 0 and 1")
        report = textclf.holdout_report(clf, subjects, details, labels, threshold=threshold)
        text = textclf.format_report(report).rstrip("\n")
        lines = text.splitlines()
        last = f"macro-F1 {float(report['macro_f1']):.4f}"
        if lines and lines[-1].strip() == last:
            lines = lines[:-1]
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(last)
