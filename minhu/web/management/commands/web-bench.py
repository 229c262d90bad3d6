"""`minhu web-bench`: time every staff page and count its queries on the current database
(load the demo first: `minhu demo`). Prints one row per page; targets: 300 ms, 30 queries."""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Appeal, Status
from minhu.orgs.models import Membership, Role, UnitKind

MAX_MS = 300
MAX_QUERIES = 30


def _user(role: str, **unit_filter):
    m = (
        Membership.objects.filter(role=role, active=True, user__is_active=True, **unit_filter)
        .select_related("user", "unit")
        .order_by("unit__path", "id")
        .first()
    )
    return m.user if m else None


def _busiest_unit_user(role: str, kinds):
    unit_id = (
        Appeal.objects.filter(lead_unit__kind__in=kinds, status__in=[Status.IN_PROGRESS])
        .values("lead_unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("lead_unit_id", flat=True)
        .first()
    )
    return _user(role, unit_id=unit_id) if unit_id else _user(role, unit__kind__in=kinds)


class Command(BaseCommand):
    help = "Time every staff web page and count its queries (targets: 300 ms, 30 queries)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=3, help="runs per page (median shown)")

    def handle(self, *args, repeat: int, **options):
        host = (settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".") or "localhost"
        users = {
            "dispatcher": _user(Role.DISPATCHER),
            "admin": _user(Role.ADMIN),
            "callback": _user(Role.CALLBACK),
            "district_leader": _user(Role.DISTRICT_LEADER),
            "street_handler": _busiest_unit_user(Role.HANDLER, [UnitKind.STREET, UnitKind.TOWN]),
            "street_leader": _busiest_unit_user(Role.UNIT_LEADER, [UnitKind.STREET, UnitKind.TOWN]),
            "dept_handler": _busiest_unit_user(Role.HANDLER, [UnitKind.DEPARTMENT]),
        }
        missing = [k for k, v in users.items() if v is None]
        if missing:
            self.stderr.write(f"no user for: {', '.join(missing)} (load the demo: minhu demo)")
            return
        new = Appeal.objects.filter(status=Status.NEW).order_by("created_at").first()
        replied = Appeal.objects.filter(status=Status.REPLIED).first()
        pages = [
            ("dispatcher", "web:dispatch", ""),
            ("dispatcher", "web:dispatch", "?tab=returned"),
            ("dispatcher", "web:dispatch", "?tab=dispatched"),
            ("dispatcher", "web:dispatch", "?tab=escalated"),
            ("dispatcher", "web:dispatch", "?tab=extensions"),
            ("dispatcher", "web:intake", ""),
            ("dispatcher", "web:appeals", ""),
            ("dispatcher", "web:appeals", "?q=路灯&due=overdue"),
            ("dispatcher", "web:follow_up", "?tab=close"),
            ("callback", "web:follow_up", ""),
            ("district_leader", "web:overview", ""),
            ("street_leader", "web:overview", ""),
            ("street_handler", "web:appeals", ""),
            ("dept_handler", "web:workbench", "?tab=summoned"),
            ("admin", "web:manage_units", ""),
            ("admin", "web:manage_users", ""),
            ("admin", "web:manage_categories", ""),
            ("admin", "web:manage_time_limits", ""),
            ("admin", "web:manage_calendar", ""),
            ("admin", "web:manage_points", ""),
            ("dispatcher", "web:notifications", "?show=all"),
        ]
        for tab in ("claim", "progress", "reply", "due_soon", "overdue", "returned", "summoned"):
            pages.append(("street_handler", "web:workbench", f"?tab={tab}"))
        extra = []
        if new:
            extra.append(("dispatcher", reverse("web:dispatch_panel", args=[new.pk])))
        for who in ("dispatcher", "street_handler", "street_leader", "district_leader"):
            pk = (
                appeals_visible_to(users[who])
                .annotate(n=Count("events"))
                .order_by("-n")
                .values_list("pk", flat=True)
                .first()
            )
            if pk:
                extra.append((who, reverse("web:appeal", args=[pk])))
        if replied:
            extra.append(("callback", reverse("web:follow_up_panel", args=[replied.pk])))
        urls = [(who, reverse(name) + query) for who, name, query in pages] + extra

        clients = {}
        for key, user in users.items():
            c = Client(SERVER_NAME=host)
            c.force_login(user)
            clients[key] = c
        self.stdout.write(f"{'page':<58} {'role':<16} {'status':>6} {'ms':>7} {'queries':>8}")
        worst_ms, worst_q, over = 0.0, 0, 0
        for who, url in urls:
            client = clients[who]
            client.get(url)  # warm up
            times, queries, status = [], 0, 0
            for _ in range(max(1, repeat)):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                queries, status = len(ctx.captured_queries), r.status_code
            ms = statistics.median(times)
            flag = ""
            if ms > MAX_MS or queries > MAX_QUERIES or status != 200:
                flag, over = "  <-- over target", over + 1
            worst_ms, worst_q = max(worst_ms, ms), max(worst_q, queries)
            self.stdout.write(f"{url:<58} {who:<16} {status:>6} {ms:>7.1f} {queries:>8}{flag}")
        self.stdout.write(
            f"\n{len(urls)} pages, {Appeal.objects.count()} appeals: slowest {worst_ms:.1f} ms, "
            f"most queries {worst_q}; {over} over target ({MAX_MS} ms / {MAX_QUERIES} queries)"
        )
