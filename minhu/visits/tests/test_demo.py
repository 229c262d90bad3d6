import pytest
from django.utils import timezone

from minhu.appeals.models import Appeal
from minhu.orgs.models import Role
from minhu.orgs.testing import make_user
from minhu.registry.models import CadreLink, CadreTier
from minhu.registry.testing import make_household
from minhu.visits import demo
from minhu.visits.models import Assignment, Campaign, Outcome, Visit, VisitProblem

pytestmark = pytest.mark.django_db


def test_demo_waits_for_the_registry_then_builds(org):
    assert "跳过" in demo.build(seed=1, now=timezone.now(), out=lambda s: None)
    assert not demo.is_built()
    cadre = make_user("cadre9", org.grid1, Role.GRID_WORKER)
    for i in range(120):
        h = make_household(org.grid1 if i % 2 else org.grid2)
        CadreLink.objects.create(household=h, cadre=cadre, unit=org.grid1, tier=CadreTier.BACKSTOP)
    line = demo.build(seed=1, now=timezone.now(), out=lambda s: None)
    assert demo.is_built() and Campaign.objects.count() == 1
    assert Assignment.objects.count() == 120
    assert set(Visit.objects.values_list("outcome", flat=True)) == set(Outcome.values)
    assert VisitProblem.objects.filter(appeal__isnull=False).exists()
    assert (
        Appeal.objects.filter(kind="visit_problem").count()
        == VisitProblem.objects.filter(appeal__isnull=False).count()
    )
    assert "走访" in line
    assert demo.logins()[0][0] == "cadre9"
