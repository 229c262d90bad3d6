"""The pages through Django's test client: the H5 catalogue, ordering (validation kept, the
rate limit), the order's page (number + phone), the front desk placing and refusing, masking
of the resident's phone, scope ("not found" outside), the figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Satisfaction
from minhu.services import actions
from minhu.services.models import OrderStatus, ServiceOrder

from .test_services import RESIDENT, shop  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _fresh_limits():
    from django.core.cache import cache

    cache.clear()


def _post_order(client, org, **kw):
    data = {
        "community": str(org.community1.pk),
        "name": "钱女士",
        "phone": RESIDENT,
        "address": "幸福路1号3栋201",
        "need": "厨房油烟机很久没洗了",
    }
    data.update(kw)
    return client.post(reverse("services_h5:service", args=[org.cleaning.pk]), data)


def test_resident_orders_on_h5_and_opens_the_order(client, shop):  # noqa: F811
    org = shop
    page = client.get(reverse("services_h5:catalogue") + "?c=home")
    assert page.status_code == 200
    body = page.content.decode()
    assert "油烟机清洗" in body and "邻里纠纷调解" not in body
    assert "服务超市" in client.get(reverse("residents:home")).content.decode()

    bad = _post_order(client, org, phone="123")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "联系电话格式不正确" in text and "厨房油烟机很久没洗了" in text  # kept
    assert not ServiceOrder.objects.exists()

    done = _post_order(client, org)
    order = ServiceOrder.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/h5/s/o/{order.number}/")
    page = client.get(done["Location"]).content.decode()
    assert "待导办台确认" in page and RESIDENT not in page and "138****3001" in page

    # Another browser needs the number and the phone.
    other = client.__class__()
    assert other.get(done["Location"]).status_code == 302
    wrong = other.post(
        reverse("services_h5:lookup"), {"number": order.number, "phone": "13900000000"}
    )
    assert wrong.status_code == 400 and "订单号或手机号不正确" in wrong.content.decode()
    ok = other.post(reverse("services_h5:lookup"), {"number": order.number, "phone": RESIDENT})
    assert ok.status_code == 302

    actions.place_order(order, actor=org.c1_handler)
    order.refresh_from_db()
    page = other.get(ok["Location"]).content.decode()
    assert order.item.code in page and "查看办理进度并评价" in page
    # Cancelling a placed order is refused with a message.
    other.post(reverse("services_h5:cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_h5_orders_are_rate_limited(client, shop, settings):  # noqa: F811
    settings.MINHU_H5_LIMITS = {"service_order": (2, 600)}
    org = shop
    assert _post_order(client, org).status_code == 302
    assert _post_order(client, org).status_code == 302
    limited = _post_order(client, org)
    assert limited.status_code == 429 and "提交太频繁" in limited.content.decode()
    assert ServiceOrder.objects.count() == 2


def test_front_desk_places_and_rejects(client, shop):  # noqa: F811
    org = shop
    first = actions.order_online(
        org.cleaning,
        community=org.community1,
        name="钱女士",
        phone=RESIDENT,
        address="幸福路1号",
        need="洗油烟机",
    )
    second = actions.order_online(
        org.cleaning,
        community=org.community1,
        name="李先生",
        phone="13800003009",
        address="幸福路3号",
        need="洗油烟机",
    )
    client.force_login(org.c1_handler)
    desk = client.get(reverse("services:desk")).content.decode()
    assert first.number in desk and RESIDENT in desk  # the desk calls back: full number
    r = client.post(reverse("services:place", args=[first.pk]), follow=True)
    assert "已下单并派发给服务方" in r.content.decode()
    r = client.post(reverse("services:reject", args=[second.pk]), {"reason": ""}, follow=True)
    assert "原因至少2个字" in r.content.decode()
    client.post(reverse("services:reject", args=[second.pk]), {"reason": "暂不提供该服务"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == OrderStatus.PLACED and second.status == OrderStatus.REJECTED

    # A phone order taken at the desk.
    r = client.post(
        reverse("services:take"),
        {
            "service": org.mediation.pk,
            "community": org.community1.pk,
            "channel": "phone",
            "name": "孙大爷",
            "phone": "13800003002",
            "address": "幸福路2号",
            "need": "楼上漏水，协商不成",
        },
        follow=True,
    )
    assert "已下单并派发给服务方" in r.content.decode()
    assert ServiceOrder.objects.filter(channel="phone", status="placed").count() == 1

    # The other street: not found; the street's leader sees the phone masked.
    client.force_login(org.s2_handler)
    assert client.post(reverse("services:place", args=[second.pk])).status_code == 404
    assert client.get(reverse("services:service", args=[org.cleaning.pk])).status_code == 404
    assert first.number not in client.get(reverse("services:desk")).content.decode()
    client.force_login(org.s1_leader)
    page = client.get(reverse("services:desk")).content.decode()
    assert first.number in page and RESIDENT not in page and "138****3001" in page


def test_catalogue_page_and_figures(client, shop):  # noqa: F811
    org = shop
    client.force_login(org.c1_handler)
    r = client.post(
        reverse("services:create"),
        {
            "name": "老旧小区楼道粉刷",
            "category": "old_estate",
            "description": "老旧小区楼道墙面粉刷翻新。",
            "provider": org.provider.pk,
            "areas": [org.community1.pk],
            "price": "",
            "time_limit_days": "10",
        },
        follow=True,
    )
    assert "服务已上架" in r.content.decode()
    page = client.get(reverse("services:catalogue") + "?category=old_estate").content.decode()
    assert "老旧小区楼道粉刷" in page and "免费" in page and "油烟机清洗" not in page
    r = client.post(reverse("services:service", args=[org.cleaning.pk]), {"active": "0"})
    org.cleaning.refresh_from_db()
    assert not org.cleaning.active
    assert client.get(reverse("services_h5:service", args=[org.cleaning.pk])).status_code == 404
    actions.update_service(org.cleaning, actor=org.c1_handler, active=True)

    # One order done and rated, one pending: the figures per provider.
    order = actions.take_order(
        org.cleaning,
        actor=org.c1_handler,
        community=org.community1,
        name="钱女士",
        phone=RESIDENT,
        address="幸福路1号",
        need="洗油烟机",
    )
    item = order.item
    appeal_actions.claim(item, actor=org.provider_handler)
    appeal_actions.resolve(
        item, actor=org.provider_handler, outcome_kind="on_spot", outcome="已上门清洗"
    )
    appeal_actions.reply(item, actor=org.provider_handler, text="钱女士您好，油烟机已清洗完毕。")
    appeal_actions.rate(item.code, phone=RESIDENT, satisfaction=Satisfaction.BASIC)
    actions.order_online(
        org.cleaning,
        community=org.community1,
        name="李先生",
        phone="13800003009",
        address="幸福路3号",
        need="洗油烟机",
    )
    from minhu.services import stats

    rows = {r.label: r for r in stats.by(ServiceOrder.objects.all(), "provider")}
    lejia = rows["乐家家政服务公司"]
    assert (lejia.orders, lejia.placed, lejia.pending, lejia.done, lejia.on_time) == (2, 1, 1, 1, 1)
    assert (
        lejia.done_rate == 100 and lejia.satisfaction_rate == 90
    )  # 基本满意 × 0.9 (the default weight)
    page = client.get(reverse("services:figures")).content.decode()
    assert "乐家家政服务公司" in page and "90.00%" in page and "按时办结率" in page
    # The provider's handler sees its own figures; the other provider nothing of it.
    client.force_login(org.provider_handler)
    assert "乐家家政服务公司" in client.get(reverse("services:figures")).content.decode()
    client.force_login(org.other_handler)
    assert client.get(reverse("services:figures")).status_code == 403


def test_overview_tiles(client, shop):  # noqa: F811
    from minhu.consultation import actions as c_actions

    org = shop
    actions.order_online(
        org.cleaning,
        community=org.community1,
        name="钱女士",
        phone=RESIDENT,
        address="幸福路1号",
        need="洗油烟机",
    )
    c_actions.create_room(actor=org.c1_handler, unit=org.community1, name="东一社区议事室")
    client.force_login(org.s1_leader)
    page = client.get(reverse("web:overview")).content.decode()
    assert 'id="tile-services"' in page and "待导办台确认" in page
    assert 'id="tile-consultation"' in page and "议事室" in page
    # The other street's leader has neither rooms nor orders: no tiles.
    from minhu.orgs.models import Role
    from minhu.orgs.testing import make_user

    client.force_login(make_user("s2l", org.street2, Role.UNIT_LEADER))
    page = client.get(reverse("web:overview")).content.decode()
    assert 'id="tile-services"' not in page and 'id="tile-consultation"' not in page


def test_outside_party_handlers_have_no_consultation_menu(client, shop):  # noqa: F811
    org = shop
    client.force_login(org.provider_handler)
    page = client.get(reverse("web:workbench")).content.decode()
    assert "/consultation/" not in page and "/services/" in page
    client.force_login(org.c1_handler)
    assert "/consultation/" in client.get(reverse("web:workbench")).content.decode()
