"""The classify-and-dispatch form shared by the appeal page and the dispatch centre (its own
module, so that views.appeal and views.dispatch do not import each other)."""

from __future__ import annotations

from minhu.appeals.models import Appeal

from .. import forms as f


def dispatch_choices(units=None, categories=None):
    """Lists loaded once for the dispatch form's selects (shared with the filter form)."""
    return {
        "units": list(f.handling_units()) if units is None else units,
        "grids": list(f.grid_units()),
        "categories": list(f.active_categories()) if categories is None else categories,
    }


def suggested_lead(appeal: Appeal):
    """A starting point for the lead unit: the category's default unit, or the unit of the
    category's default kind above the appeal's grid."""
    cat = appeal.category
    if cat is None:
        return None
    for c in (cat, cat.parent) if cat.parent_id else (cat,):
        if c.default_lead_unit_id and c.default_lead_unit.active:
            return c.default_lead_unit
    kind = cat.default_lead_kind or (cat.parent.default_lead_kind if cat.parent_id else "")
    if not kind or appeal.grid is None:
        return None
    if kind == "grid":
        return appeal.grid
    return appeal.grid.ancestor_of_kind(kind)


def dispatch_form(
    appeal: Appeal, data=None, choices=None, proposal: dict | None = None
) -> f.DispatchForm:
    """The classify-and-dispatch form. With the machine's `proposal` (routing's
    `proposal_for`), an appeal nobody has classified yet starts from the proposed category,
    grid, lead and assisting units; the lead and assisting units are also taken when the
    appeal's category is the proposed one (never a unit that already returned it)."""
    choices = choices or dispatch_choices()
    initial = {
        "category": appeal.category_id,
        "urgency": appeal.urgency,
        "grid": appeal.grid_id,
    }
    if data is None:
        lead = appeal.lead_unit or suggested_lead(appeal)
        if lead is not None:
            initial["lead_unit"] = lead.pk
        if proposal:
            initial.update(proposal_initial(appeal, proposal))
    return f.DispatchForm(data, initial=initial, **choices)


def proposal_initial(appeal: Appeal, proposal: dict) -> dict:
    """The form values the machine's proposal fills in (see dispatch_form)."""
    initial: dict = {}
    proposed_category = proposal.get("category_id")
    if appeal.category_id is None and proposed_category:
        initial["category"] = proposed_category
    grid = proposal.get("grid")
    if appeal.grid_id is None and grid:
        initial["grid"] = grid[0]
    same_category = appeal.category_id is None or appeal.category_id == proposed_category
    if (
        appeal.lead_unit_id is None
        and same_category
        and proposal.get("lead_unit_id")
        and not proposal.get("lead_unit_returned")
    ):
        initial["lead_unit"] = proposal["lead_unit_id"]
        initial["assist_units"] = list(proposal.get("assist_unit_ids") or [])
    return initial
