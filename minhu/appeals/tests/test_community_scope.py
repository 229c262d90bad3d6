"""Issue 14 item 9: a community handler sees the appeals of its own community's grids (the
demo's hubin-handler saw none of the 22 in its grids), and still nothing of other communities;
seeing is not acting."""

import pytest

from minhu.appeals import actions
from minhu.appeals.access import access_appeal, appeals_visible_to
from minhu.appeals.tests.factories import client_for
from minhu.core.errors import NotFound, PermissionDenied

from .factories import register

pytestmark = pytest.mark.django_db


def test_community_handler_sees_its_grids_appeals_only(org):
    own = register(org, grid="grid1")
    other = register(org, grid="grid2")
    visible = set(appeals_visible_to(org.c1_handler).values_list("pk", flat=True))
    assert own.pk in visible and other.pk not in visible
    assert access_appeal(org.c1_handler, own.pk).pk == own.pk
    with pytest.raises(NotFound):
        access_appeal(org.c1_handler, other.pk)
    api = client_for(org.c1_handler)
    codes = {row["code"] for row in api.get("/api/v1/appeals/").json()["results"]}
    assert own.code in codes and other.code not in codes
    # seeing it does not make them its handler
    actions.dispatch(own, actor=org.dispatcher, lead_unit=org.street1)
    with pytest.raises(PermissionDenied):
        actions.claim(own, actor=org.c1_handler)
