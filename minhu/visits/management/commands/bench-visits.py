"""`minhu bench-visits`: generate a registry in bulk (N households in 1,000 grids, one cadre
link each), run the assignment verb, mark ~62% visited, then print the coverage timings per
level (first and warm median) and the queries and time of the coverage, ledger and visitor
pages. Meant for an empty throwaway database: `benchmarks/visits_bench.py` starts one."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
import uuid

from django.contrib.auth.models import AnonymousUser  # noqa: F401
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minhu.orgs.models import Membership, Role, Unit, User
from minhu.registry.models import CadreLink, CadreTier, Household
from minhu.registry.testing import bench_grids
from minhu.visits import actions, coverage, views
from minhu.visits.models import (
    Assignment,
    AssignmentState,
    Outcome,
    ProblemDomain,
    Resolution,
    Visit,
    VisitProblem,
)

BATCH = 5000


class Command(BaseCommand):
    help = "入户走访的规模测试：生成住户、分户，打印入户率与台账的耗时"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=200_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **opts):
        if Household.objects.exists() or Unit.objects.exists():
            raise CommandError("需要一个空数据库（benchmarks/visits_bench.py 会启动临时库）")
        rng = random.Random(opts["seed"])
        n = opts["households"]
        w = self.stdout.write
        t0 = time.perf_counter()
        admin, grids, cadres = self._org()
        self._registry(n, grids, cadres, rng)
        w(
            f"{connection.vendor}: generated {n:,} households in {len(grids)} grids, "
            f"{len(cadres)} cadres: {time.perf_counter() - t0:.1f} s"
        )
        t = time.perf_counter()
        campaign = actions.create_campaign(
            actor=admin,
            name="规模测试走访",
            owner_unit=grids[0].parent.parent.parent,
            starts_on=dt.date.today(),
            ends_on=dt.date.today() + dt.timedelta(days=30),
            grids=grids,
        )
        res = actions.assign_households(campaign, actor=admin)
        w(f"assign_households: {res.assigned:,} assigned in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        self._visits(campaign, rng)
        w(
            f"visits generated: {Visit.objects.count():,} visits, "
            f"{VisitProblem.objects.count():,} problems: {time.perf_counter() - t:.1f} s"
        )
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute("ANALYZE")
        for level in ("street", "community", "grid", "unit", "visitor"):
            timings = []
            for _ in range(opts["repeat"] + 1):
                t = time.perf_counter()
                rows, total = coverage.coverage(campaign, level)
                timings.append((time.perf_counter() - t) * 1000)
            w(
                f"coverage {level:<10} {len(rows):>5} rows  first {timings[0]:7.1f} ms  "
                f"warm median {statistics.median(timings[1:]):7.1f} ms  "
                f"(入户率 {total.rate}%, {total.households:,} households)"
            )
        rf = RequestFactory()
        visitor = Assignment.objects.filter(campaign=campaign).first().visitor
        pages = [
            ("coverage page (street)", admin, views.coverage_page, (campaign.pk,), "?level=street"),
            ("coverage page (grid)", admin, views.coverage_page, (campaign.pk,), "?level=grid"),
            ("problem ledger page", admin, views.ledger, (campaign.pk, "problems"), ""),
            ("visit ledger page", admin, views.ledger, (campaign.pk, "visits"), ""),
            ("visitor's list", visitor, views.mine, (campaign.pk,), ""),
        ]
        for label, user, view, args_, qs in pages:
            timings, queries = [], 0
            for _ in range(opts["repeat"] + 1):
                req = rf.get("/visits/" + qs)
                req.user = User.objects.get(pk=user.pk)
                req.session = SessionStore()
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    resp = view(req, *args_)
                    timings.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (label, resp.status_code)
                queries = len(ctx)
            w(
                f"{label:<24} {queries:>3} queries  warm median {statistics.median(timings[1:]):7.1f} ms"
            )

    @transaction.atomic
    def _org(self):
        _district, grids, admin = bench_grids()
        cadres = User.objects.bulk_create(
            [User(username=f"cadre{i}", display_name=f"干部{i}") for i in range(2000)]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=u, unit=grids[i // 2], role=Role.GRID_WORKER)
                for i, u in enumerate(cadres)
            ]
        )
        return admin, grids, cadres

    @transaction.atomic
    def _registry(self, n, grids, cadres, rng):
        per_grid = max(1, n // len(grids))
        hh = []
        for i in range(n):
            g = grids[min(i // per_grid, len(grids) - 1)]
            hh.append(
                Household(
                    key=f"bench-{i}",
                    grid=g,
                    address=f"{g.name}{i}号",
                    head_name=f"户主{i}",
                    phone=f"139{i:08d}",
                )
            )
            if len(hh) >= BATCH:
                Household.objects.bulk_create(hh)
                hh = []
        Household.objects.bulk_create(hh)
        links = []
        by_grid = {g.pk: i for i, g in enumerate(grids)}
        for pk, grid_id in Household.objects.values_list("pk", "grid_id").iterator(2000):
            gi = by_grid[grid_id]
            cadre = cadres[gi * 2 + rng.randint(0, 1)]
            links.append(
                CadreLink(household_id=pk, cadre=cadre, unit_id=grid_id, tier=CadreTier.BACKSTOP)
            )
            if len(links) >= BATCH:
                CadreLink.objects.bulk_create(links)
                links = []
        CadreLink.objects.bulk_create(links)

    @transaction.atomic
    def _visits(self, campaign, rng):
        now = timezone.now()
        domains = list(ProblemDomain.objects.all())
        visits, done = [], []
        for a in Assignment.objects.filter(campaign=campaign).iterator(2000):
            if rng.random() > 0.62:
                continue
            outcome = rng.choice([Outcome.VISITED] * 8 + [Outcome.NOT_HOME, Outcome.REFUSED])
            visits.append(
                Visit(
                    client_id=uuid.UUID(int=rng.getrandbits(128)),
                    campaign=campaign,
                    household_id=a.household_id,
                    assignment=a,
                    grid_id=a.grid_id,
                    visitor_id=a.visitor_id,
                    outcome=outcome,
                    visited_at=now - dt.timedelta(hours=rng.randint(0, 240)),
                )
            )
            done.append((a.pk, outcome))
            if len(visits) >= BATCH:
                self._flush(visits, done, domains, rng)
                visits, done = [], []
        self._flush(visits, done, domains, rng)

    def _flush(self, visits, done, domains, rng):
        made = Visit.objects.bulk_create(visits)
        reached = [pk for pk, o in done if o != Outcome.NOT_HOME]
        again = [pk for pk, o in done if o == Outcome.NOT_HOME]
        Assignment.objects.filter(pk__in=reached).update(state=AssignmentState.DONE, visit_count=1)
        Assignment.objects.filter(pk__in=again).update(state=AssignmentState.AGAIN, visit_count=1)
        VisitProblem.objects.bulk_create(
            [
                VisitProblem(
                    visit=v,
                    campaign_id=v.campaign_id,
                    grid_id=v.grid_id,
                    domain=rng.choice(domains),
                    text="楼道灯不亮，影响出行",
                    resolution=Resolution.ON_SPOT,
                    solution="已更换",
                )
                for v in made
                if v.outcome == Outcome.VISITED and rng.random() < 0.02
            ]
        )
