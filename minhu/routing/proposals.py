"""The machine proposal for an appeal: category top-3 with probabilities, location, lead unit
from the dispatch catalogue, and whether it is sure enough to dispatch by itself."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from minhu.appeals.models import Appeal, AppealEvent, EventKind, Status
from minhu.categories.models import Category
from minhu.core.times import local_iso

from . import catalogue
from .classifier import classify_text
from .location import locate_appeal
from .models import DecisionKind, RoutingConfig, RoutingDecision

# Why a proposal was not dispatched by itself. Stored with the proposal as (msgid, params)
# pairs in "not_auto" and rendered for whoever reads it (`proposal_for`), in their language;
# "not_auto_reasons" holds the same rendered in the default language (Chinese).
NO_AUTO_DISPATCH = gettext_noop("未启用自动派单")
NO_CLASSIFIER = gettext_noop("没有可用的分类模型或关键词规则")
RULES_ADVISORY = gettext_noop("关键词规则的建议仅供参考")
LOW_CONFIDENCE = gettext_noop("置信度%(confidence)s低于阈值%(threshold)s")
UNMAPPED_LABEL = gettext_noop("类别「%(label)s」未对应到启用的分类")
NO_LEAD_UNIT = gettext_noop("派单目录中没有对应的主办单位")
LIKELY_DUPLICATE = gettext_noop("疑似与诉求%(code)s重复")
AUTO_DISPATCH_FAILED = gettext_noop("自动派单失败：%(error)s")
LEAD_UNIT_RETURNED = gettext_noop("建议的主办单位已退回过此诉求")


def render_reason(msgid: str, params: dict | None = None) -> str:
    """One reason in the active language."""
    text = gettext(msgid)
    return text % params if params else text


def add_reason(proposal: dict, msgid: str, **params) -> None:
    """Append a reason to a proposal: structured, and as default-language text."""
    proposal.setdefault("not_auto", []).append([msgid, params])
    with translation.override(settings.LANGUAGE_CODE):
        text = render_reason(msgid, params)
    proposal.setdefault("not_auto_reasons", []).append(text)


def compute(appeal: Appeal, config: RoutingConfig | None = None) -> dict:
    """A fresh proposal (nothing stored)."""
    config = config or RoutingConfig.get()
    result = classify_text(appeal.subject, appeal.detail, k=3)
    location = locate_appeal(appeal)
    top = result.top
    category = (
        Category.objects.select_related("parent", "default_lead_unit")
        .filter(pk=top.category_id, active=True)
        .first()
        if top and top.category_id
        else None
    )
    resolution = catalogue.lookup(category, location)
    threshold = config.effective_threshold
    why: dict = {}
    if not config.auto_dispatch:
        add_reason(why, NO_AUTO_DISPATCH)
    if result.source == "none":
        add_reason(why, NO_CLASSIFIER)
    elif result.source == "rules" and not config.rules_may_auto_dispatch:
        add_reason(why, RULES_ADVISORY)
    if result.confidence < threshold:
        add_reason(
            why,
            LOW_CONFIDENCE,
            confidence=f"{result.confidence:.0%}",
            threshold=f"{threshold:.0%}",
        )
    if top and category is None:
        add_reason(why, UNMAPPED_LABEL, label=top.name)
    if resolution.source != "rule":
        add_reason(why, NO_LEAD_UNIT)
    reasons = why.get("not_auto_reasons", [])
    return {
        "top": [c.as_tuple() for c in result.candidates],
        "candidates": [c.as_dict() for c in result.candidates],
        "confidence": round(result.confidence, 4),
        "model_version": result.model_version,
        "source": result.source,
        "latency_ms": round(result.latency_ms, 2),
        "category_id": category.pk if category else None,
        "category_name": str(category) if category else "",
        "location": location.as_dict(),
        "grid": _pair(location.grid_id),
        **resolution.as_dict(),
        "lead_unit": (
            (resolution.lead_unit.pk, resolution.lead_unit.name) if resolution.lead_unit else None
        ),
        "threshold": threshold,
        "can_auto": not reasons,
        "not_auto_reasons": reasons,
        "not_auto": why.get("not_auto", []),
        "duplicates": [],
    }


def _pair(unit_id: int | None) -> tuple[int, str] | None:
    if not unit_id:
        return None
    from minhu.orgs.models import Unit

    name = Unit.objects.filter(pk=unit_id).values_list("name", flat=True).first()
    return (unit_id, name) if name else None


def latest_decision(appeal: Appeal) -> RoutingDecision | None:
    return (
        RoutingDecision.objects.filter(
            appeal=appeal, kind__in=[DecisionKind.PROPOSAL, DecisionKind.AUTO]
        )
        .order_by("-created_at", "-id")
        .first()
    )


def proposal_for(appeal: Appeal) -> dict | None:
    """What the dispatcher's form is pre-filled with:

    {"top": [(category_id | None, name, prob), ...],   # up to 3, best first
     "confidence": float, "model_version": "v3" | "rules" | "", "source": "model" | "rules",
     "category_id", "category_name",
     "grid": (id, name) | None, "location": {grid_id, community_id, street_id, ... names},
     "lead_unit": (id, name) | None, "lead_unit_id", "assist_unit_ids", "assist_unit_names",
     "rule_id", "lead_source": "rule" | "category_default" | "",
     "auto": bool (it was dispatched automatically),
     "not_auto_reasons": [str] (in the active language), "not_auto": [[msgid, params]],
     "duplicates": [{"id", "code", "subject", "score", "reasons"}], "decision_id", "created_at"}

    The stored proposal made at intake, or a fresh one for appeals registered before routing
    was set up. None when there is nothing to propose (no model, no matching keyword rule and
    no location)."""
    decision = latest_decision(appeal)
    if decision is not None:
        data = dict(decision.proposal)
        data["top"] = [tuple(t) for t in data.get("top", [])]
        for key in ("not_auto", "not_auto_reasons"):
            if key in data:
                data[key] = list(data[key])
        for key in ("grid", "lead_unit"):
            if data.get(key):
                data[key] = tuple(data[key])
        data.update(
            auto=decision.auto,
            decision_id=decision.pk,
            created_at=local_iso(decision.created_at),
        )
        _mark_returned(appeal, data)
        _localise(data)
        return data
    if appeal.status not in (Status.NEW, Status.RETURNED):
        return None
    data = compute(appeal)
    if not data["top"] and not data["location"]["street_id"]:
        return None
    data.update(auto=False, decision_id=None, created_at=None)
    _mark_returned(appeal, data)
    _localise(data)
    return data


def _localise(data: dict) -> None:
    """The reasons in the reader's language. Proposals stored before reasons were structured
    have text only: shown as stored (translated when a text is a message on its own)."""
    if "not_auto" in data:
        data["not_auto_reasons"] = [render_reason(m, p) for m, p in data["not_auto"]]
    else:
        data["not_auto_reasons"] = [gettext(r) for r in data.get("not_auto_reasons", [])]


def _mark_returned(appeal: Appeal, data: dict) -> None:
    """A proposed lead unit that already returned this appeal is flagged (退单过)."""
    data["lead_unit_returned"] = False
    if not appeal.return_count or not data.get("lead_unit_id"):
        return
    returned = AppealEvent.objects.filter(
        appeal=appeal, kind=EventKind.RETURN, unit_id=data["lead_unit_id"]
    ).exists()
    if returned:
        data["lead_unit_returned"] = True
        if "not_auto" in data:
            add_reason(data, LEAD_UNIT_RETURNED)
        else:  # a proposal stored with text reasons only
            data.setdefault("not_auto_reasons", []).append(LEAD_UNIT_RETURNED)
