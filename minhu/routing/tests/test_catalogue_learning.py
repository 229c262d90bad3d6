"""Suggestions for the dispatch catalogue learnt from dispatch events and returns."""

from django.urls import reverse

from minhu.appeals import actions as appeal_actions
from minhu.orgs.testing import PASSWORD
from minhu.routing import actions
from minhu.routing.catalogue import suggestions
from minhu.routing.models import DispatchRule

from .helpers import register


def dispatch(org, n, lead, grid, returned_by=None):
    for i in range(n):
        a = register(org, f"路灯不亮第{i}处", "小区路灯坏了很久没人修", grid=grid)
        appeal_actions.classify(a, actor=org.dispatcher, category=org.category)
        appeal_actions.dispatch(a, actor=org.dispatcher, lead_unit=lead)
        if returned_by:
            appeal_actions.return_appeal(a, actor=returned_by, reason="不属于本单位职责")


def test_suggestions_count_dispatches_minus_returns(org):
    dispatch(org, 4, org.dept1, org.grid1)  # east street: 城管局 4 times
    dispatch(org, 3, org.dept2, org.grid1, returned_by=org.d2_handler)  # 住建局 3, all returned
    dispatch(org, 1, org.dept2, org.grid1)
    found = {(s.category_id, s.area_id): s for s in suggestions()}
    east = found[(org.category.pk, org.street1.pk)]
    assert (east.lead_unit_id, east.dispatches, east.returns, east.net) == (org.dept1.pk, 4, 0, 4)
    assert east.share == 0.8 and east.status == "new"  # 4 of 5 net
    district = found[(org.category.pk, None)]
    assert district.lead_unit_id == org.dept1.pk
    # Once a matching rule exists the suggestion agrees and is not shown; a differing one is.
    actions.save_dispatch_rule(
        actor=org.dispatcher, category=org.category, area=org.street1, lead_unit=org.dept1
    )
    actions.save_dispatch_rule(actor=org.dispatcher, category=org.category, lead_unit=org.dept2)
    found = {(s.category_id, s.area_id): s for s in suggestions()}
    assert (org.category.pk, org.street1.pk) not in found
    assert found[(org.category.pk, None)].status == "differs"
    assert found[(org.category.pk, None)].rule_lead == org.dept2.name


def test_local_street_pattern_is_suggested_as_shudi(org):
    dispatch(org, 3, org.street1, org.grid1)
    dispatch(org, 3, org.street2, org.grid2)
    found = {(s.category_id, s.area_id): s for s in suggestions()}
    district = found[(org.category.pk, None)]
    assert district.lead_local == "street" and district.lead_unit_id is None and district.net == 6


def test_adopt_a_suggestion_from_the_admin_page(client, org):
    dispatch(org, 3, org.dept1, org.grid1)
    assert client.login(username="dispatcher", password=PASSWORD)
    page = client.get(reverse("routing:admin")).content.decode()
    assert "采纳" in page and org.dept1.name in page
    r = client.post(
        reverse("routing:suggestion_adopt"),
        {"category": org.category.pk, "area": org.street1.pk, "lead_unit": org.dept1.pk},
    )
    assert r.status_code == 302
    rule = DispatchRule.objects.get(area=org.street1)
    assert rule.lead_unit == org.dept1 and rule.note == "由历史派单学习"
