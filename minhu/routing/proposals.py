"""The machine proposal for an appeal: category top-3 with probabilities, location, lead unit
from the dispatch catalogue, and whether it is sure enough to dispatch by itself."""

from __future__ import annotations

from minhu.appeals.models import Appeal, AppealEvent, EventKind, Status
from minhu.categories.models import Category

from . import catalogue
from .classifier import classify_text
from .location import locate_appeal
from .models import DecisionKind, RoutingConfig, RoutingDecision


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
    reasons = []
    if not config.auto_dispatch:
        reasons.append("未启用自动派单")
    if result.source == "none":
        reasons.append("没有可用的分类模型或关键词规则")
    elif result.source == "rules" and not config.rules_may_auto_dispatch:
        reasons.append("关键词规则的建议仅供参考")
    if result.confidence < threshold:
        reasons.append(f"置信度{result.confidence:.0%}低于阈值{threshold:.0%}")
    if top and category is None:
        reasons.append(f"类别「{top.name}」未对应到启用的分类")
    if resolution.source != "rule":
        reasons.append("派单目录中没有对应的主办单位")
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
     "auto": bool (it was dispatched automatically), "not_auto_reasons": [str],
     "duplicates": [{"id", "code", "subject", "score", "reasons"}], "decision_id", "created_at"}

    The stored proposal made at intake, or a fresh one for appeals registered before routing
    was set up. None when there is nothing to propose (no model, no matching keyword rule and
    no location)."""
    decision = latest_decision(appeal)
    if decision is not None:
        data = dict(decision.proposal)
        data["top"] = [tuple(t) for t in data.get("top", [])]
        for key in ("grid", "lead_unit"):
            if data.get(key):
                data[key] = tuple(data[key])
        data.update(
            auto=decision.auto,
            decision_id=decision.pk,
            created_at=decision.created_at.isoformat(),
        )
        _mark_returned(appeal, data)
        return data
    if appeal.status not in (Status.NEW, Status.RETURNED):
        return None
    data = compute(appeal)
    if not data["top"] and not data["location"]["street_id"]:
        return None
    data.update(auto=False, decision_id=None, created_at=None)
    _mark_returned(appeal, data)
    return data


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
        data.setdefault("not_auto_reasons", []).append("建议的主办单位已退回过此诉求")
