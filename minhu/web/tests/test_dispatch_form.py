"""The unit drop-downs: departments first, then each street/town followed by its communities."""

from __future__ import annotations

import pytest

from minhu.orgs import actions as org_actions
from minhu.orgs.models import UnitKind
from minhu.web.filters import AppealFilterForm
from minhu.web.forms import handling_units

pytestmark = pytest.mark.django_db


def test_units_are_grouped_by_kind_then_the_tree(org):
    # Departments whose materialised path ("/1/9/") sorts after a street's ("/1/5/"): the
    # tree order alone would list them among the streets.
    first_street = min(org.street1.path, org.street2.path)
    for i in range(200):
        dept = org_actions.create_unit(
            actor=org.admin,
            name=f"区第{i}局",
            code=f"dept-x{i}",
            kind=UnitKind.DEPARTMENT,
            parent=org.district,
        )
        if dept.path > first_street:
            break
    units = list(handling_units())
    by_path = sorted(units, key=lambda u: u.path)
    assert [u.kind for u in by_path] != [u.kind for u in units]  # the case is really there
    kinds = [u.kind for u in units]
    departments = [i for i, k in enumerate(kinds) if k == UnitKind.DEPARTMENT]
    assert departments == list(range(len(departments))) and departments
    rest = units[len(departments) :]
    assert rest and rest[0].kind in (UnitKind.STREET, UnitKind.TOWN)
    # Each community comes right after its street (or a sibling community of the same street).
    street = None
    for u in rest:
        if u.kind in (UnitKind.STREET, UnitKind.TOWN):
            street = u
        else:
            assert u.parent_id == street.pk, f"{u.name} is not under {street.name}"
    assert UnitKind.GRID not in kinds
    form = AppealFilterForm({})
    listed = [int(v) for v, _label in form.fields["unit"].choices if v]
    assert listed == [u.pk for u in units]
