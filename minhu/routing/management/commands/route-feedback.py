"""minhu route-feedback: record corrections/confirmations that the event hook missed."""

from django.core.management.base import BaseCommand

from minhu.routing import feedback


class Command(BaseCommand):
    help = "Replay dispatch/classify/return events against the routing's proposals (idempotent)."

    def handle(self, *args, **opts):
        written = feedback.reconcile()
        self.stdout.write(f"{written} routing feedback rows recorded")
