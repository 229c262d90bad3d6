import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from minhu.appeals.models import Appeal, AppealEvent, FollowUp
from minhu.evaluation import aggregates, dashboard, rates
from minhu.evaluation.config import active_config
from minhu.evaluation.models import AppealDaily, FollowUpDaily, RankingSnapshot
from minhu.evaluation.periods import Period, current_period

from .helpers import at, follow_up, frozen

pytestmark = pytest.mark.django_db


def test_incremental_refresh_follows_the_event_log(org):
    follow_up(org, org.street1, when=at(2025, 3, 10, 10, 0))
    aggregates.rebuild()
    march = Period("2025-03")
    assert rates.figures_total(march.first_day, march.end_day, active_config()).valid == 1
    # A change to an old appeal after the rebuild: reclassified to another grid today.
    from minhu.appeals import actions as appeal_actions

    a = Appeal.objects.get()
    with frozen(at(2025, 3, 10, 11, 0)):
        b = appeal_actions.register_appeal(
            actor=org.dispatcher,
            channel="hotline",
            subject="噪音",
            detail="夜间施工噪音扰民严重",
            appellant_name="王五",
            appellant_phone="13700000000",
            grid=org.grid1,
        )
    # Written in the past (frozen clock): the aggregates do not know yet ...
    assert not aggregates.check().ok
    # ... the event log does, but only since the watermark: refresh by the days touched.
    appeal_actions.classify(b, actor=org.dispatcher, grid=org.grid2)
    result = aggregates.refresh()
    assert result["days"] >= 1 and aggregates.check().ok
    cells = aggregates.appeal_cells(march.first_day, march.end_day, 0, ["grid", "total"])
    assert cells[("total", "")] == 2 and cells[("grid", str(org.grid2.pk))] == 1
    assert a.pk != b.pk


def test_check_reports_a_tampered_cell(org):
    follow_up(org, org.dept1, when=at(2025, 3, 10, 10, 0))
    aggregates.rebuild()
    row = FollowUpDaily.objects.filter(basis="f").first()
    FollowUpDaily.objects.filter(pk=row.pk).update(satisfied=row.satisfied + 1)
    result = aggregates.check()
    assert not result.ok and "回访(f)" in result.mismatches[0]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("check-aggregates", stdout=out, stderr=err)
    assert exit_info.value.code == 1 and "mismatches" in err.getvalue()
    call_command("aggregate", "--rebuild", stdout=out)
    call_command("check-aggregates", stdout=out)
    assert "OK" in out.getvalue()


def test_live_tail_is_counted_for_today(org):
    aggregates.rebuild()
    follow_up(org, org.street1)  # today, after the rebuild
    p = current_period()
    data = dashboard.build(p, active_config(), None)
    assert data["kpi"]["total"] == 1 and data["figures"].valid == 1


def test_publish_ranking_command_is_idempotent(org):
    follow_up(org, org.street1, when=at(2025, 3, 10, 10, 0))
    out = io.StringIO()
    call_command("publish_ranking", "--period", "2025-03", stdout=out)
    call_command("publish_ranking", "--period", "2025-03", stdout=out)
    assert "already published" in out.getvalue()
    assert RankingSnapshot.objects.filter(period="2025-03").count() == 2


def test_generate_and_bench_small(org):
    out = io.StringIO()
    call_command("generate", "--appeals", "300", "--years", "0.2", stdout=out)
    assert "generated 300 appeals" in out.getvalue()
    assert Appeal.objects.count() == 300
    # Consistency of the generated history.
    assert AppealEvent.objects.filter(kind="register").count() == 300
    closed = Appeal.objects.filter(status="closed")
    assert closed.exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    assert not Appeal.objects.filter(status="new", lead_unit__isnull=False).exists()
    for a in closed[:20]:
        kinds = list(a.events.order_by("created_at", "id").values_list("kind", flat=True))
        assert kinds[0] == "register" and kinds[-1] == "close"
        assert a.follow_ups.filter(reached=True).exists()
    fu = FollowUp.objects.filter(reached=True, source="callback").first()
    assert AppealEvent.objects.filter(kind="follow_up", data__follow_up=fu.pk).exists()
    call_command("check-aggregates", stdout=out)
    assert "OK" in out.getvalue()
    call_command("bench", "--repeat", "1", stdout=out)
    text = out.getvalue()
    assert "rankings: all streets/towns + departments" in text and "page: /evaluation/" in text
    assert AppealDaily.objects.exists()


def test_supervise_command(org):
    out = io.StringIO()
    call_command("supervise", stdout=out)
    assert out.getvalue().strip() == "opened 0, closed 0"


def test_today_boundary_is_local_time(org):
    """An answer at 23:30 on the 31st (Shanghai) belongs to March, not April."""
    follow_up(org, org.street1, when=at(2025, 3, 31, 23, 30))
    aggregates.rebuild(start=dt.date(2025, 3, 1))
    f = rates.figures_for_units([org.street1], Period("2025-03"), active_config())
    assert f[org.street1.pk].valid == 1
    assert timezone.localtime(FollowUp.objects.get().created_at).day == 31


def test_evaluation_demo_populates_through_the_verbs(org):
    from minhu.evaluation.models import EvaluationEvent, Interview, Nomination

    call_command("generate", "--appeals", "400", "--years", "0.3", stdout=io.StringIO())
    out = io.StringIO()
    call_command("evaluation_demo", stdout=out)
    assert RankingSnapshot.objects.exists()
    assert Interview.objects.filter(status="held").count() == 1
    assert Nomination.objects.exists()
    assert EvaluationEvent.objects.filter(kind="ranking_published").exists()
    call_command("evaluation_demo", stdout=out)  # idempotent
    assert Interview.objects.filter(status="held").count() == 1


@pytest.mark.django_db(transaction=True)
def test_generate_with_workers_writes_one_consistent_history(org):
    """On PostgreSQL the load is split over forked processes with their own connections (hence
    a committed, transactional test); elsewhere --workers falls back to one process."""
    from django.db import connection

    from minhu.appeals import actions as appeal_actions

    out = io.StringIO()
    call_command(
        "generate",
        *("--appeals", "1500", "--years", "0.2", "--workers", "2", "--batch", "300"),
        stdout=out,
    )
    text = out.getvalue()
    assert "generated 1,500 appeals" in text
    assert ("2 workers" in text) == (connection.vendor == "postgresql")
    ids = list(Appeal.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(ids[0], ids[0] + 1500))  # interleaved, no gaps
    created = list(Appeal.objects.order_by("id").values_list("created_at", flat=True))
    assert created == sorted(created)  # ids follow creation time as with one process
    assert Appeal.objects.values("code").distinct().count() == 1500
    assert AppealEvent.objects.filter(kind="register").count() == 1500
    closed = Appeal.objects.filter(status="closed")
    assert closed.exists() and not closed.filter(closed_at__isnull=True).exists()
    call_command("check-aggregates", stdout=out)
    assert "OK" in out.getvalue()
    # The sequences were moved past every worker's block: the verbs get fresh ids.
    before = AppealEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    a = appeal_actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="路灯不亮",
        detail="小区门口路灯坏了一周",
        appellant_name="王五",
        appellant_phone="13700000000",
        grid=org.grid1,
    )
    assert a.pk == ids[-1] + 1 and a.events.get().pk > before


def test_generated_volume_has_no_spike_before_the_first_hour_of_today():
    """Run at 01:23 Shanghai time, today has had no appeal hours yet: it gets nothing, and the
    day before is not inflated by today's share squeezed into the hours before now."""
    from zoneinfo import ZoneInfo

    from minhu.evaluation.generate import Generator

    g = Generator(70_000, years=0.2)
    g.now = dt.datetime(2026, 11, 23, 1, 23, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
    plan = dict(g.day_plan())
    assert dt.date(2026, 11, 23) not in plan and sum(plan.values()) == 70_000
    weekdays = sorted(c for d, c in plan.items() if d.weekday() < 5)
    assert plan[dt.date(2026, 11, 20)] <= 1.1 * weekdays[len(weekdays) // 2]  # a Friday
    g.now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
    plan = dict(g.day_plan())
    assert (
        0.3 * plan[dt.date(2026, 11, 20)]
        < plan[dt.date(2026, 11, 23)]
        < plan[dt.date(2026, 11, 20)]
    )


def test_bench_says_what_it_needs():
    # An empty database: no district, no appeals. It used to end in an IntegrityError.
    with pytest.raises(CommandError, match="minhu demo"):
        call_command("bench", "--repeat", "1", stdout=io.StringIO())


def test_bench_without_appeals_says_so(org):
    with pytest.raises(CommandError, match="no appeals"):
        call_command("bench", "--repeat", "1", stdout=io.StringIO())
