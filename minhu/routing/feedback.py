"""Corrections: what the people did after the machine's proposal, recorded as RoutingDecision rows
(kind "confirmed" or "correction") and used to measure the routing and to retrain.

- the dispatcher's first dispatch after a proposal: same category and lead unit as proposed →
  confirmed; otherwise → correction (what was chosen instead);
- a manual re-classification after an automatic dispatch → correction (category);
- a return (退单) of a dispatch that followed the machine (automatic or confirmed) → correction.

`on_event` is the event hook (settings.MINHU_EVENT_HOOKS, called after commit); `reconcile`
replays missed events (idempotent: each feedback row points at the event it came from)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop  # notes are stored in Chinese, shown translated

from minhu.appeals.models import AppealEvent, EventKind

from .actions import record_decision
from .models import DecisionKind, RoutingDecision

logger = logging.getLogger("minhu.routing")

WATCHED = {EventKind.DISPATCH, EventKind.CLASSIFY, EventKind.RETURN}
MACHINE = {DecisionKind.PROPOSAL, DecisionKind.AUTO}


def on_event(event: AppealEvent) -> None:
    """Event hook; never raises."""
    if event.kind not in WATCHED:
        return
    try:
        process(event)
    except Exception:
        logger.exception("routing feedback for event %s failed", event.pk)


def _history(appeal_id: int, before) -> list[RoutingDecision]:
    return list(
        RoutingDecision.objects.filter(appeal_id=appeal_id, created_at__lte=before).order_by(
            "created_at", "id"
        )
    )


def process(event: AppealEvent) -> RoutingDecision | None:
    """Record the feedback `event` gives on the machine's last decision, if any."""
    if event.kind not in WATCHED:
        return None
    if event.kind == EventKind.CLASSIFY and (
        event.actor_id is None or event.data.get("source") == "auto"
    ):
        return None
    history = _history(event.appeal_id, event.created_at)
    machine = [d for d in history if d.kind in MACHINE]
    if not machine:
        return None
    last = machine[-1]
    after = [d for d in history if d.created_at >= last.created_at and d.pk != last.pk]
    if any(d.event_id == event.pk for d in after):
        return None  # already recorded
    proposal = last.proposal or {}
    category_id = event.appeal.category_id
    follows_machine = last.kind == DecisionKind.AUTO or any(
        d.kind == DecisionKind.CONFIRMED for d in after
    )
    row = None
    if event.kind == EventKind.DISPATCH and last.kind == DecisionKind.PROPOSAL:
        if any(d.kind in (DecisionKind.CONFIRMED, DecisionKind.CORRECTION) for d in after):
            return None  # only the first dispatch judges the proposal
        if not proposal.get("category_id") and not proposal.get("lead_unit_id"):
            return None  # nothing was proposed that could be confirmed or corrected
        lead = event.data.get("lead") or event.unit_id
        wrong = []
        if proposal.get("category_id") and category_id != proposal.get("category_id"):
            wrong.append("category")
        if proposal.get("lead_unit_id") and lead != proposal.get("lead_unit_id"):
            wrong.append("lead_unit")
        kind = DecisionKind.CORRECTION if wrong else DecisionKind.CONFIRMED
        row = (kind, category_id, lead, wrong, "")
    elif event.kind == EventKind.CLASSIFY and last.kind == DecisionKind.AUTO:
        changes = event.data.get("changes", {})
        if "category" not in changes:
            return None
        row = (
            DecisionKind.CORRECTION,
            changes["category"][1],
            event.appeal.lead_unit_id,
            ["category"],
            gettext_noop("自动分类被调度员修改"),
        )
    elif event.kind == EventKind.RETURN and follows_machine:
        if any(d.kind == DecisionKind.CORRECTION for d in after):
            return None  # the machine was already found wrong on this appeal
        row = (
            DecisionKind.CORRECTION,
            category_id,
            None,
            ["lead_unit"],
            gettext_noop("自动派单被退回")
            if last.kind == DecisionKind.AUTO
            else gettext_noop("按建议派单后被退回"),
        )
    elif event.kind == EventKind.DISPATCH and last.kind == DecisionKind.AUTO:
        # A manual dispatch after an automatic one (e.g. after a return): record the unit the
        # people finally chose, once.
        if any(d.kind == DecisionKind.CORRECTION and d.lead_unit_id for d in after):
            return None
        lead = event.data.get("lead") or event.unit_id
        if lead == last.lead_unit_id:
            return None
        row = (
            DecisionKind.CORRECTION,
            category_id,
            lead,
            ["lead_unit"],
            gettext_noop("自动派单后人工改派"),
        )
    if row is None:
        return None
    kind, cat, lead, wrong, note = row
    data = {
        "model_version": last.model_version,
        "confidence": last.confidence,
        "proposed_category_id": proposal.get("category_id"),
        "proposed_lead_unit_id": proposal.get("lead_unit_id"),
        "wrong": wrong,
        "event_kind": event.kind,
        "decision": last.pk,
    }
    try:
        with transaction.atomic():
            return record_decision(
                event.appeal_id,
                kind=kind,
                proposal=data,
                category_id=cat,
                lead_unit_id=lead,
                event=event,
                corrected=kind == DecisionKind.CORRECTION,
                note=note,
            )
    except IntegrityError:  # recorded concurrently
        return None


def reconcile(appeal_ids=None) -> int:
    """Replay watched events of appeals that have machine decisions; returns rows written."""
    decided = RoutingDecision.objects.filter(kind__in=MACHINE)
    if appeal_ids is not None:
        decided = decided.filter(appeal_id__in=appeal_ids)
    ids = decided.values("appeal_id")
    events = (
        AppealEvent.objects.filter(
            appeal_id__in=ids, kind__in=WATCHED, routing_feedback__isnull=True
        )
        .select_related("appeal")
        .order_by("created_at", "id")
    )
    written = 0
    for event in events.iterator(chunk_size=500):
        if process(event) is not None:
            written += 1
    return written
