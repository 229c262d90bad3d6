"""Put long-overdue appeals under supervision and close automatic supervisions of closed
appeals (run hourly by cron)."""

from django.core.management.base import BaseCommand

from minhu.evaluation import actions


class Command(BaseCommand):
    help = "超期诉求自动列入督办；已销号诉求的自动督办自动办结"

    def handle(self, *args, **opts):
        result = actions.auto_supervise()
        self.stdout.write(f"opened {result['opened']}, closed {result['closed']}")
