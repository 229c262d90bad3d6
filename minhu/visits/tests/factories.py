"""A small campaign over the test organisation (minhu/orgs/testing.py) and registry rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from minhu.orgs.models import Role
from minhu.orgs.testing import make_user
from minhu.registry.models import CadreLink, CadreTier
from minhu.registry.testing import make_building, make_household

from .. import actions
from ..defaults import ensure_domains
from ..models import ProblemDomain, SatisfactionDomain


def build_campaign(org, households_per_grid: int = 3) -> SimpleNamespace:
    """Two visitors in grid1 (a street handler and the dept1 cadre), one in grid2."""
    ensure_domains(SatisfactionDomain, ProblemDomain)  # flushed by transactional tests
    c = SimpleNamespace()
    c.v1 = org.s1_handler
    c.v2 = make_user("cadre1", org.dept1, Role.HANDLER, display_name="城管局干部")
    c.v3 = org.s2_handler
    b1 = make_building(org.grid1)
    c.hh1 = [make_household(org.grid1, building=b1) for _ in range(households_per_grid)]
    c.hh2 = [make_household(org.grid2) for _ in range(households_per_grid)]
    for i, h in enumerate(c.hh1):
        cadre, unit, tier = (
            (c.v1, org.street1, CadreTier.BACKSTOP) if i % 2 == 0 else (c.v2, org.dept1, "support")
        )
        CadreLink.objects.create(household=h, cadre=cadre, unit=unit, tier=tier)
    for h in c.hh2[:-1]:  # the last household of grid2 has no cadre
        CadreLink.objects.create(household=h, cadre=c.v3, unit=org.street2, tier=CadreTier.BACKSTOP)
    c.campaign = actions.create_campaign(
        actor=org.admin,
        name="冬季入户走访",
        owner_unit=org.district,
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
        grids=[org.grid1, org.grid2],
        units=[org.street1, org.street2, org.dept1],
    )
    c.result = actions.assign_households(c.campaign, actor=org.admin)
    return c
