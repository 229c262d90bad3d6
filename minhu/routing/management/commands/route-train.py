"""minhu route-train --csv PATH | --from-history: train, store and activate a classifier."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minhu.core.errors import DomainError
from minhu.routing import feedback, training


class Command(BaseCommand):
    help = (
        "Train the category classifier from a CSV (columns subject, detail, label) or from the "
        "deployment's history (closed appeals' final category, open appeals whose category a "
        "dispatcher confirmed or corrected), store it with its grouped cross-validated "
        "evaluation (calibration, automatic-dispatch curve) and activate it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", action="append", default=[], metavar="PATH")
        parser.add_argument(
            "--from-history", action="store_true", help="closed appeals' final categories"
        )
        parser.add_argument(
            "--level",
            choices=["leaf", "top"],
            default="leaf",
            help="with --from-history: label by the appeal's category or its first-level one",
        )
        parser.add_argument(
            "--unlabeled",
            action="append",
            default=[],
            metavar="CSV",
            help="CSV of unlabelled texts (columns subject, detail) for semi-supervised training",
        )
        parser.add_argument("--no-activate", action="store_true", help="store only")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        if not opts["csv"] and not opts["from_history"]:
            raise CommandError("Give --csv PATH or --from-history")
        subjects: list[str] = []
        details: list[str] = []
        labels: list[str] = []
        subgroups: list[str] = []
        sources = []
        try:
            for path in opts["csv"]:
                s, d, lab = training.read_csv(path)
                subjects += s
                details += d
                labels += lab
                subgroups += lab
                sources.append(f"csv:{Path(path).name}")
                self.stdout.write(f"{path}: {len(lab)} rows, {len(set(lab))} labels")
            if opts["from_history"]:
                written = feedback.reconcile()
                if written:
                    self.stdout.write(f"recorded {written} routing corrections/confirmations")
                rows = training.history_rows(opts["level"])
                if not rows.labels:
                    raise training.DataError(
                        "还没有已销号或经人工确认分类的诉求 / no closed or dispatcher-reviewed "
                        "categorised appeals yet"
                    )
                subjects += rows.subjects
                details += rows.details
                labels += rows.labels
                subgroups += rows.subcategories
                sources.append("history")
                self.stdout.write(
                    f"history: {len(rows.labels)} appeals ({rows.closed} closed, "
                    f"{rows.reviewed_open} open with a dispatcher-reviewed category; "
                    f"{rows.corrected} corrected by a dispatcher), {len(set(rows.labels))} labels"
                )
            unlabeled = None
            for path in opts["unlabeled"]:
                s, d = training.read_unlabeled_csv(path)
                unlabeled = (unlabeled[0] + s, unlabeled[1] + d) if unlabeled else (s, d)
                self.stdout.write(f"{path}: {len(s)} unlabelled texts")
            if not training.textclf_ready():
                raise CommandError("The text classifier (minhu.routing.textclf) is not available")
            model = training.train(
                subjects,
                details,
                labels,
                trained_on="+".join(sources),
                activate=not opts["no_activate"],
                seed=opts["seed"],
                log=self.stdout.write,
                unlabeled=unlabeled,
                subgroups=subgroups if opts["from_history"] else None,
            )
        except training.DataError as exc:
            raise CommandError(str(exc))
        except DomainError as exc:
            raise CommandError(exc.message)
        ev = model.evaluation or {}
        f1 = ev.get("macro_f1")
        kind = "grouped CV" if ev.get("grouped") else "holdout"
        self.stdout.write(
            self.style.SUCCESS(
                f"model v{model.version}: {model.n_samples} samples, {len(model.labels)} labels, "
                f"{model.size / 1024:.0f} KiB, fit {ev.get('fit_seconds', '?')} s"
                + (f", {kind} macro-F1 {f1:.4f}" if f1 is not None else "")
                + (f", ECE {ev['ece']:.4f}" if ev.get("ece") is not None else "")
                + (" — active" if model.active else " — stored, not active")
            )
        )
