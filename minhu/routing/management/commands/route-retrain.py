"""minhu route-retrain: scheduled retraining that activates a new model only if it is not worse
on a fixed recent window; --rollback re-activates the previous model."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from minhu.core.errors import DomainError
from minhu.routing import training


class Command(BaseCommand):
    help = (
        "Retrain from the history (closed and dispatcher-reviewed appeals): a candidate fitted "
        "on the appeals before the last --window-days days is compared with the active model on "
        "that window; only if it is not worse (macro-F1 and precision at the auto-dispatch "
        "threshold) is a model trained on everything stored and activated. The previous model "
        "stays stored; --rollback re-activates it. Meant to be scheduled (cron / job queue)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--level", choices=["leaf", "top"], default="leaf")
        parser.add_argument("--window-days", type=int, default=training.RETRAIN_WINDOW_DAYS)
        parser.add_argument("--min-window", type=int, default=training.RETRAIN_MIN_WINDOW)
        parser.add_argument(
            "--tolerance",
            type=float,
            default=training.RETRAIN_TOLERANCE,
            help="how much lower the candidate's window figures may be (default 0)",
        )
        parser.add_argument("--dry-run", action="store_true", help="compare only, store nothing")
        parser.add_argument(
            "--rollback", action="store_true", help="re-activate the previously active model"
        )

    def handle(self, *args, **opts):
        try:
            if opts["rollback"]:
                model = training.rollback(actor=None)
                self.stdout.write(self.style.SUCCESS(f"model v{model.version} is active again"))
                return
            if opts["window_days"] < 1 or opts["min_window"] < 1:
                raise CommandError("--window-days and --min-window must be at least 1")
            if not training.textclf_ready():
                raise CommandError("The text classifier (minhu.routing.textclf) is not available")
            result = training.retrain(
                level=opts["level"],
                window_days=opts["window_days"],
                min_window=opts["min_window"],
                tolerance=opts["tolerance"],
                dry_run=opts["dry_run"],
                log=self.stdout.write,
            )
        except training.DataError as exc:
            raise CommandError(str(exc))
        except DomainError as exc:
            raise CommandError(exc.message)

        def fmt(fig: dict | None) -> str:
            if not fig:
                return "—"
            return (
                f"macro-F1 {fig['macro_f1']:.4f}, accuracy {fig['accuracy']:.4f}, "
                f"auto-dispatch coverage {fig['coverage']:.4f} precision {fig['precision']:.4f}"
            )

        w = result["window"]
        self.stdout.write(f"window: {w['rows']} appeals registered since {w['since']}")
        if "candidate" in result:
            self.stdout.write(f"candidate: {fmt(result['candidate'])}")
            self.stdout.write(f"active:    {fmt(result.get('current'))}")
        line = f"{result['status']}: {result['reason']}"
        if result.get("model_version"):
            line += f" (model v{result['model_version']})"
        self.stdout.write(self.style.SUCCESS(line) if result["status"] == "activated" else line)
