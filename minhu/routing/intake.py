"""Intake hook (settings.MINHU_INTAKE_HOOKS): after an appeal is registered, compute the proposal;
dispatch automatically when sure, otherwise store the proposal for the dispatcher's form."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, Status
from minhu.categories.models import Category
from minhu.core.errors import DomainError, IllegalTransition
from minhu.orgs.models import Unit, UnitKind

from . import duplicates, proposals
from .actions import record_decision
from .models import DecisionKind, RoutingConfig, RoutingDecision

logger = logging.getLogger("minhu.routing")

# A candidate duplicate this close stops automatic dispatch: the dispatcher should merge.
DUPLICATE_BLOCKS_AUTO = 0.8


def on_register(appeal_id: int) -> None:
    """Runs after the registering transaction committed; never raises (the appeal is in)."""
    try:
        # The system acts in the default language, whoever registered the appeal: the stored
        # proposal and the events' notes are Chinese.
        with translation.override(settings.LANGUAGE_CODE):
            route(appeal_id)
    except Exception:
        logger.exception("routing of appeal %s failed; it waits for the dispatcher", appeal_id)


def route(appeal_id: int) -> RoutingDecision | None:
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None or appeal.status != Status.NEW:
        return None
    if RoutingDecision.objects.filter(appeal=appeal).exists():
        return None  # routed already: a job run again after a worker died (at-least-once)
    config = RoutingConfig.get()
    proposal = proposals.compute(appeal, config)
    try:
        dups = duplicates.candidates(appeal, limit=5)
    except Exception:  # duplicates are advisory
        logger.exception("duplicate search failed for appeal %s", appeal_id)
        dups = []
    proposal["duplicates"] = [
        {"id": a.pk, "code": a.code, "subject": a.subject, "score": s, "reasons": r}
        for a, s, r in dups
    ]
    if dups and dups[0][1] >= DUPLICATE_BLOCKS_AUTO:
        proposal["can_auto"] = False
        proposals.add_reason(proposal, proposals.LIKELY_DUPLICATE, code=dups[0][0].code)
    if proposal["can_auto"]:
        try:
            return _auto_dispatch(appeal.pk, proposal)
        except DomainError as exc:
            proposal["can_auto"] = False
            proposals.add_reason(proposal, proposals.AUTO_DISPATCH_FAILED, error=exc.message)
    if not proposal["top"] and not proposal["location"]["street_id"]:
        return None
    return record_decision(
        appeal.pk,
        kind=DecisionKind.PROPOSAL,
        proposal=proposal,
        category_id=proposal["category_id"],
        lead_unit_id=proposal["lead_unit_id"],
    )


@transaction.atomic
def _auto_dispatch(appeal_id: int, proposal: dict) -> RoutingDecision:
    """Classify and dispatch as the system; both events carry model version and confidence."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal_id)
    if appeal.status != Status.NEW:
        raise IllegalTransition(gettext("诉求已被处理"))
    category = Category.objects.get(pk=proposal["category_id"])
    lead = Unit.objects.get(pk=proposal["lead_unit_id"])
    assists = list(Unit.objects.filter(pk__in=proposal["assist_unit_ids"]))
    # Store the place found (in the text, by coordinates): the grid if known, else the street
    # or town (a community named without its grid still gives its street).
    grid = street = None
    where = proposal["location"]
    if where["grid_id"] and not appeal.grid_id:
        grid = Unit.objects.filter(pk=where["grid_id"], kind=UnitKind.GRID).first()
    if grid is None and where["street_id"] and not appeal.grid_id:
        street = Unit.objects.filter(
            pk=where["street_id"], kind__in=[UnitKind.STREET, UnitKind.TOWN]
        ).first()
    if where.get("community_id"):
        marks_location = {"community": where["community_id"]}
    else:
        marks_location = {}
    marks = {
        "model_version": proposal["model_version"],
        "confidence": proposal["confidence"],
    }
    appeal_actions.classify(
        appeal,
        actor=None,
        category=category,
        grid=grid,
        street=street,
        source="auto",
        top=[list(t) for t in proposal["top"]],
        **marks,
        **marks_location,
    )
    appeal_actions.dispatch(
        appeal,
        actor=None,
        lead_unit=lead,
        assist_units=assists,
        auto=True,
        note="智能分拨自动派单",
        rule=proposal["rule_id"],
        **marks,
    )
    return record_decision(
        appeal,
        kind=DecisionKind.AUTO,
        proposal=proposal,
        category_id=category.pk,
        lead_unit_id=lead.pk,
    )
