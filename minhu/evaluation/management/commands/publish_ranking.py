"""Freeze the last ended period's rankings (run daily by cron; it does nothing once published)."""

from django.core.management.base import BaseCommand, CommandError

from minhu.core.errors import Conflict, DomainError
from minhu.evaluation import actions
from minhu.evaluation.config import active_config
from minhu.evaluation.periods import last_ended_period, parse_period


class Command(BaseCommand):
    help = "发布并冻结考核周期的排名（默认：最近一个已结束的周期）"

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM (default: the last ended period)")
        parser.add_argument("--revise", action="store_true", help="publish a new version")
        parser.add_argument("--note", default="", help="note (required with --revise)")

    def handle(self, *args, **opts):
        config = active_config()
        period = (
            parse_period(opts["period"], config.period_start_day)
            if opts["period"]
            else last_ended_period(config.period_start_day)
        )
        try:
            snaps = actions.publish_ranking(
                actor=None, period=period, revise=opts["revise"], note=opts["note"]
            )
        except Conflict:
            self.stdout.write(f"{period.key}: already published")
            return
        except DomainError as e:
            raise CommandError(e.message)
        for s in snaps:
            self.stdout.write(
                f"{s.period} {s.group} v{s.version}: {s.rows.count()} units frozen at {s.frozen_at:%Y-%m-%d %H:%M}"
            )
