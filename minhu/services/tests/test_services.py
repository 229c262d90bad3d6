"""The service supermarket through the verbs: the catalogue, a resident's online order placed
by the front desk and run through the loop by the provider until the resident rates it, a
phone order taken at the desk, refusals and cancellations, the time limit as the deadline,
scope ("not found" outside)."""

from __future__ import annotations

import pytest

from minhu.appeals import actions as appeal_actions
from minhu.appeals.access import appeals_visible_to
from minhu.appeals.models import Satisfaction, Status
from minhu.core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.deadlines.calendar import add_working_days
from minhu.notifications.models import Notification
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Role, UnitKind
from minhu.orgs.testing import make_user
from minhu.services import actions
from minhu.services.access import access_order, orders_visible_to, services_visible_to
from minhu.services.models import OrderChannel, OrderStatus, ServiceCategory, ServiceEvent

RESIDENT = "13800003001"


@pytest.fixture
def shop(org):
    return make_shop(org)


def make_shop(org):
    """Two providers with a handler each, and two services of community 1 (one free)."""
    org.provider = org_actions.create_unit(
        actor=org.admin,
        name="乐家家政服务公司",
        code="sp-lejia",
        kind=UnitKind.PROVIDER,
        parent=org.street1,
    )
    org.provider_handler = make_user("lejia", org.provider, Role.HANDLER)
    org.other_provider = org_actions.create_unit(
        actor=org.admin,
        name="西街维修队",
        code="sp-xi",
        kind=UnitKind.PROVIDER,
        parent=org.street2,
    )
    org.other_handler = make_user("xiwx", org.other_provider, Role.HANDLER)
    org.cleaning = actions.create_service(
        actor=org.c1_handler,
        provider=org.provider,
        areas=[org.community1],
        name="油烟机清洗",
        category=ServiceCategory.HOME,
        description="上门拆洗油烟机，约两小时。",
        price="80",
        price_unit="台",
        time_limit_days=2,
        requirements="请提前清空灶台",
    )
    org.mediation = actions.create_service(
        actor=org.c1_handler,
        provider=org.community1,
        areas=[org.community1],
        name="邻里纠纷调解",
        category=ServiceCategory.MEDIATION,
        description="社区调解员上门调解邻里纠纷。",
    )
    return org


def _order(org, **kw):
    values = {
        "community": org.community1,
        "name": "钱女士",
        "phone": RESIDENT,
        "address": "幸福路1号3栋201",
        "need": "厨房油烟机很久没洗了",
        "preferred_time": "周六上午",
    }
    values.update(kw)
    return actions.order_online(org.cleaning, **values)


def test_online_order_placed_by_the_desk_done_by_the_provider_rated_by_the_resident(shop):
    org = shop
    assert org.mediation.is_free and not org.cleaning.is_free
    order = _order(org)
    assert order.status == OrderStatus.PENDING and order.item is None
    assert order.number.startswith("FW")
    # The front desk (the community's handler) is told in-app.
    assert Notification.objects.filter(kind="dispatched", recipient=org.c1_handler).exists()
    # Nothing is in the loop yet: no work item, nothing on the dispatch centre's desk.
    assert not appeals_visible_to(org.dispatcher).filter(kind="service_order").exists()

    # Outside the community the order is not found; the provider does not see it pending.
    for outsider in (org.s2_handler, org.provider_handler, org.other_handler):
        with pytest.raises(NotFound):
            actions.place_order(order, actor=outsider)
    assert not orders_visible_to(org.provider_handler).exists()

    order = actions.place_order(order, actor=org.c1_handler)
    item = order.item
    assert order.status == OrderStatus.PLACED and order.placed_by == org.c1_handler
    assert (item.kind, item.channel, item.status) == ("service_order", "service", "dispatched")
    assert item.lead_unit_id == org.provider.pk and item.appellant_phone == RESIDENT
    assert (item.source_type, item.source_id) == ("services.ServiceOrder", str(order.pk))
    # The deadline is the service's time limit: 2 working days from the dispatch.
    assert item.resolve_due_at == add_working_days(item.dispatched_at, 2)
    assert item.contact_due_at is None
    # The resident is sent the tracking code.
    sms = Notification.objects.get(kind="dispatched", channel="sms", phone=RESIDENT)
    assert item.code in sms.body
    with pytest.raises(IllegalTransition):
        actions.place_order(order, actor=org.c1_handler)

    # The provider sees exactly this item and its order; the other provider nothing.
    assert list(appeals_visible_to(org.provider_handler)) == [item]
    assert list(orders_visible_to(org.provider_handler)) == [order]
    assert not appeals_visible_to(org.other_handler).exists()
    with pytest.raises(NotFound):
        appeal_actions.claim(item, actor=org.other_handler)

    appeal_actions.claim(item, actor=org.provider_handler)  # 接单
    appeal_actions.resolve(
        item, actor=org.provider_handler, outcome_kind="on_spot", outcome="已上门清洗油烟机"
    )
    appeal_actions.reply(item, actor=org.provider_handler, text="钱女士您好，油烟机已清洗完毕。")
    item.refresh_from_db()
    appeal_actions.rate(item.code, phone=RESIDENT, satisfaction=Satisfaction.SATISFIED)
    item.refresh_from_db()
    assert item.satisfaction == Satisfaction.SATISFIED
    assert item.status in (Status.REPLIED, Status.CLOSED)
    kinds = list(ServiceEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == ["order", "place"]


def test_the_desk_takes_a_phone_order_and_places_it_at_once(shop):
    org = shop
    order = actions.take_order(
        org.mediation,
        actor=org.c1_handler,
        community=org.community1,
        channel=OrderChannel.PHONE,
        name="孙大爷",
        phone="13800003002",
        address="幸福路2号",
        need="楼上漏水，协商不成",
    )
    assert order.status == OrderStatus.PLACED and order.created_by == org.c1_handler
    assert order.item.lead_unit_id == org.community1.pk
    assert order.item.resolve_due_at == add_working_days(order.item.dispatched_at, 3)
    # Another street's desk cannot take orders for this community.
    with pytest.raises(NotFound):
        actions.take_order(
            org.mediation,
            actor=org.s2_handler,
            community=org.community1,
            name="孙大爷",
            phone="13800003002",
            address="幸福路2号",
            need="楼上漏水",
        )
    # A provider's handler is no front desk.
    with pytest.raises(PermissionDenied):
        actions.take_order(
            org.cleaning,
            actor=org.provider_handler,
            community=org.community1,
            name="孙大爷",
            phone="13800003002",
            address="幸福路2号",
            need="楼上漏水",
        )


def test_order_validation(shop):
    org = shop
    with pytest.raises(InvalidInput) as e:
        _order(org, phone="12345")
    assert e.value.code == "invalid_phone"
    with pytest.raises(InvalidInput) as e:
        _order(org, community=org.community2)
    assert e.value.code == "out_of_area"
    with pytest.raises(InvalidInput) as e:
        _order(org, address="")
    assert e.value.details["field"] == "address"
    actions.update_service(org.cleaning, actor=org.c1_handler, active=False)
    with pytest.raises(IllegalTransition) as e:
        _order(org)
    assert e.value.code == "service_inactive"


def test_reject_and_cancel(shop):
    org = shop
    order = _order(org)
    with pytest.raises(InvalidInput):
        actions.reject_order(order, actor=org.c1_handler, reason="")
    actions.reject_order(order, actor=org.c1_handler, reason="该地址不在服务范围内")
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED and order.item is None
    assert "不在服务范围" in Notification.objects.get(channel="sms", phone=RESIDENT).body

    second = _order(org)
    with pytest.raises(NotFound):
        actions.cancel_order(second.number, phone="13800009999")
    actions.cancel_order(second.number.lower(), phone=RESIDENT)
    second.refresh_from_db()
    assert second.status == OrderStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        actions.place_order(second, actor=org.c1_handler)
    with pytest.raises(IllegalTransition):
        actions.cancel_order(second.number, phone=RESIDENT)


def test_catalogue_rules_and_scope(shop):
    org = shop
    with pytest.raises(InvalidInput) as e:
        actions.create_service(
            actor=org.c1_handler,
            provider=org.provider,
            areas=[org.community2],
            name="维修",
            category=ServiceCategory.HOME,
            description="上门维修水电。",
        )
    assert e.value.code == "invalid_unit"
    with pytest.raises(InvalidInput) as e:
        actions.create_service(
            actor=org.c1_handler,
            provider=org.grid1,
            areas=[org.community1],
            name="维修",
            category=ServiceCategory.HOME,
            description="上门维修水电。",
        )
    assert e.value.details["field"] == "provider"
    for bad in ("-1", "abc", "1.234"):
        with pytest.raises(InvalidInput):
            actions.update_service(org.cleaning, actor=org.c1_handler, price=bad)
    with pytest.raises(InvalidInput):
        actions.update_service(org.cleaning, actor=org.c1_handler, time_limit_days=0)
    with pytest.raises(PermissionDenied):
        actions.create_service(
            actor=org.provider_handler,
            provider=org.provider,
            areas=[org.community1],
            name="维修",
            category=ServiceCategory.HOME,
            description="上门维修水电。",
        )
    # The other street's staff do not see this community's catalogue; the provider sees its own.
    assert not services_visible_to(org.s2_handler).exists()
    assert list(services_visible_to(org.provider_handler)) == [org.cleaning]
    assert set(services_visible_to(org.s1_handler)) == {org.cleaning, org.mediation}
    with pytest.raises(NotFound):
        actions.update_service(org.cleaning, actor=org.s2_handler, active=False)
    order = _order(org)
    with pytest.raises(NotFound):
        access_order(org.s2_handler, order.pk)
    assert access_order(org.s1_handler, order.pk) == order
