"""`minhu bench`: time the month's rankings for all units and the dashboards."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minhu.appeals.models import Appeal, AppealEvent, FollowUp
from minhu.evaluation import aggregates, dashboard, rankings
from minhu.evaluation.config import active_config
from minhu.evaluation.models import RankingGroup
from minhu.evaluation.periods import last_ended_period, parse_period
from minhu.orgs.models import Membership, Role, Unit, UnitKind, User


class Command(BaseCommand):
    help = "考核排名与看板的性能测试（打印耗时）"

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM (default: the last ended period)")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--no-http", action="store_true", help="skip full page renders")

    def _time(self, label, fn, repeat):
        timings, queries = [], 0
        for i in range(repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                fn()
                timings.append(time.perf_counter() - t)
            if i == 0:
                queries = len(ctx.captured_queries)
        self.stdout.write(
            f"{label:<44} first {timings[0] * 1000:8.1f} ms   median {statistics.median(timings) * 1000:8.1f} ms"
            f"   max {max(timings) * 1000:8.1f} ms   {queries} queries"
        )
        return timings

    def handle(self, *args, **opts):
        district = Unit.objects.filter(kind=UnitKind.DISTRICT, active=True).first()
        if district is None:
            raise CommandError(
                "minhu bench needs an organisation with a district and appeals to measure. "
                "Load them first: `minhu demo` (the demo district) or "
                "`minhu generate --appeals 20000` (a Lianhu-sized district with generated "
                "appeals), then run `minhu bench` again."
            )
        if not Appeal.objects.exists():
            raise CommandError(
                f"minhu bench: {district.name} has no appeals to measure. Run "
                "`minhu generate --appeals 20000` (or `minhu demo`) first."
            )
        config = active_config()
        period = (
            parse_period(opts["period"], config.period_start_day)
            if opts["period"]
            else last_ended_period(config.period_start_day)
        )
        n = opts["repeat"]
        self.stdout.write(
            f"{connection.vendor}: {Appeal.objects.count():,} appeals, "
            f"{AppealEvent.objects.count():,} events, {FollowUp.objects.count():,} follow-ups; "
            f"database {aggregates.database_size()}; aggregates cover until "
            f"{aggregates.covered_until()}; period {period.key}"
        )
        self._time(
            "rankings: all streets/towns + departments",
            lambda: (
                lambda cache: [rankings.ranking(period, g, config, cache) for g in RankingGroup]
            )({}),
            n,
        )
        self._time("dashboard data: district", lambda: dashboard.build(period, config, None), n)
        street = Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN]).first()
        if street:
            self._time(
                f"dashboard data: {street.name}",
                lambda: dashboard.build(period, config, street),
                n,
            )
        self._time("aggregate refresh (incremental)", aggregates.refresh, 1)
        if opts["no_http"]:
            return
        user, _ = User.objects.get_or_create(
            username="bench-leader", defaults={"display_name": "性能测试"}
        )
        Membership.objects.get_or_create(user=user, unit=district, role=Role.DISTRICT_LEADER)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for label, url in [
            ("page: /evaluation/rankings/", f"/evaluation/rankings/?period={period.key}"),
            ("page: /evaluation/ (district dashboard)", f"/evaluation/?period={period.key}"),
        ]:

            def get(url=url):
                r = client.get(url)
                assert r.status_code == 200, r.status_code

            self._time(label, get, n)
