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
    """A starting point for the lead unit: the dispatch catalogue's (routing.catalogue.lookup:
    the most specific rule, else the category's default unit or kind at the appeal's place),
    the one default-lead rule routing's intake proposes too."""
    from minhu.routing import catalogue
    from minhu.routing.location import locate_appeal

    if appeal.category is None:
        return None
    return catalogue.lookup(appeal.category, locate_appeal(appeal)).lead_unit


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
        proposed = proposal_initial(appeal, proposal) if proposal else {}
        if appeal.lead_unit_id:
            initial["lead_unit"] = appeal.lead_unit_id
        elif "lead_unit" not in proposed:  # the machine's proposal is the catalogue's already
            lead = suggested_lead(appeal)
            if lead is not None:
                initial["lead_unit"] = lead.pk
        initial.update(proposed)
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
