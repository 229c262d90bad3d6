"""Accountability content for a demo district, built through the verbs on whatever appeals the
database holds (after `minhu demo` or `minhu generate`): the last ended period's published
rankings (and the flags for 约谈 they raise), one recorded talk, 基层评机关 reviews, red/black
list nominations from the rules with approvals, and automatic supervision of overdue appeals.
Idempotent: what already exists is left alone."""

from __future__ import annotations

import datetime as dt
import random
from typing import TextIO

from django.utils import timezone

from minhu.core.errors import DomainError
from minhu.orgs.models import Membership, Role, Unit, UnitKind

from . import actions, aggregates
from .config import active_config
from .defaults import ensure_default_lists
from .models import Interview, InterviewStatus, NegativeIndicator, Nomination, NominationStatus
from .periods import current_period


def _user(role: str, kinds: tuple[str, ...] | None = None, unit: Unit | None = None):
    qs = Membership.objects.filter(role=role, active=True).select_related("user", "unit")
    if kinds:
        qs = qs.filter(unit__kind__in=kinds)
    if unit is not None:
        qs = qs.filter(unit=unit)
    m = qs.order_by("pk").first()
    return m.user if m else None


def populate(seed: int = 0, stdout: TextIO | None = None) -> dict:
    rng = random.Random(seed)

    def say(line: str) -> None:
        if stdout is not None:
            stdout.write(line + "\n")

    ensure_default_lists()
    config = active_config()
    leader = _user(Role.DISTRICT_LEADER)
    admin = _user(Role.ADMIN) or leader
    centre = _user(Role.DISPATCHER) or admin
    if aggregates.covered_until() is None:
        aggregates.rebuild()
    period = current_period(config.period_start_day).previous
    out: dict[str, int] = {}
    try:
        snaps = actions.publish_ranking(actor=leader, period=period)
        out["snapshots"] = len(snaps)
        say(f"published {period.label} rankings")
    except DomainError as e:
        say(f"rankings: {e.message}")
    # 基层评机关: every street/town rates a few departments this period.
    cur = current_period(config.period_start_day)
    indicators = list(NegativeIndicator.objects.filter(active=True))
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True)[:12])
    reviews = 0
    for street in Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN], active=True):
        reviewer = _user(Role.UNIT_LEADER, unit=street) or _user(Role.HANDLER, unit=street)
        if reviewer is None:
            continue
        for dept in rng.sample(departments, min(4, len(departments))):
            score = rng.choices(["satisfied", "basic", "unsatisfied"], [6, 3, 1])[0]
            ticked = rng.sample(indicators, rng.choice([0, 0, 1, 2])) if indicators else []
            if score == "unsatisfied" and not ticked and indicators:
                ticked = [indicators[0]]
            try:
                actions.submit_department_review(
                    actor=reviewer,
                    department=dept,
                    period=cur,
                    satisfaction=score,
                    indicators=ticked,
                    comment="协同配合有待加强" if ticked else "",
                    reviewer_unit=street,
                )
                reviews += 1
            except DomainError:
                continue
    out["reviews"] = reviews
    out["flags"] = len(actions.flag_evaluations(actor=leader, period=cur))
    # One recorded talk, with its promise.
    talk = Interview.objects.filter(status=InterviewStatus.FLAGGED).order_by("pk").first()
    held = Interview.objects.filter(status=InterviewStatus.HELD).exists()
    if talk is not None and leader is not None and not held:
        actions.record_interview(
            talk,
            actor=leader,
            held_at=timezone.now() - dt.timedelta(hours=2),
            interviewer=str(leader),
            attendees=f"{talk.unit.name}主要负责人",
            record="通报本期考核情况，逐项分析回访中群众不满意的诉求，要求举一反三、立行立改。",
            promise="两周内逐件回访不满意诉求，下期综合得分进入全区中游以上",
            promise_due=timezone.localdate() + dt.timedelta(days=14),
        )
        out["talks"] = 1
    # 红黑榜 from the rules; leaders approve all but one.
    made = actions.propose_from_rules(actor=centre, period=period)
    for i, n in enumerate(made):
        if n.status != NominationStatus.PENDING:
            continue
        approver = leader if leader and leader.pk != getattr(centre, "pk", None) else None
        actions.decide_nomination(
            n,
            actor=approver,
            approve=i != len(made) - 1,
            note="" if i != len(made) - 1 else "证据不足，下期复核",
        )
    out["nominations"] = Nomination.objects.filter(period=period.key).count()
    out.update(actions.auto_supervise())
    say(f"evaluation demo: {out}")
    return out
