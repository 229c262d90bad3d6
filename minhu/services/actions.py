"""Verbs of the service supermarket (360超市): the catalogue, residents' orders, the front
desk's placing or refusing them.

Each verb is one transaction: lock (through the scoped access helpers: "not found" outside),
check, save with update_fields, append a ServiceEvent. Placing an order registers its work item
(kind `service_order`, the resident as appellant) through the appeals verbs and dispatches it to
the service's provider at once: from there 接单 (claim), 办结 (resolve), 答复 (reply) and the
resident's rating on /h5/track/ are the loop's own verbs. The resolve deadline is the service's
time limit in working days (`due_at`, declared with the kind)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.actions import _text
from minhu.appeals.events import actor_name
from minhu.core.errors import IllegalTransition, InvalidInput, NotFound
from minhu.core.phones import is_phone
from minhu.deadlines.calendar import add_working_days
from minhu.deadlines.models import Step
from minhu.notifications.models import Notification, NotificationChannel, NotificationKind
from minhu.notifications.outbox import notify_units, sms_appellants
from minhu.orgs.models import HANDLING_KINDS, Unit, UnitKind

from .access import AREA_KINDS, access_order, access_service, desk_areas, require_desk
from .models import (
    CHANNEL,
    KIND,
    OrderChannel,
    OrderStatus,
    Service,
    ServiceCategory,
    ServiceEvent,
    ServiceOrder,
)

# Notification kinds of the outbox (notifications.NotificationKind): a new order for the desk
# and the placed order's SMS are 新派单; the refusal's SMS is an answer (已答复).
NOTICE_KIND = NotificationKind.DISPATCHED
MAX_TIME_LIMIT = 60
SERVICE_FIELDS = (
    "name",
    "category",
    "description",
    "price",
    "price_unit",
    "time_limit_days",
    "requirements",
    "active",
)


def _phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if not value:
        raise InvalidInput(_("请填写联系电话"), code="required", field="phone")
    if not is_phone(value):
        raise InvalidInput(_("联系电话格式不正确"), code="invalid_phone", field="phone")
    return value


def _event(kind: str, service: Service, actor, *, order=None, note: str = "", **data):
    return ServiceEvent.objects.create(
        kind=kind,
        service=service,
        order=order,
        actor=actor,
        actor_name=actor_name(actor) if actor is not None else "群众",
        note=note,
        data=data,
    )


# --- the catalogue ---------------------------------------------------------------------------


def _price(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(_("价格应为数字，免费请留空"), code="invalid_number", field="price")
    if price < 0 or price > Decimal("100000") or price != price.quantize(Decimal("0.01")):
        raise InvalidInput(
            _("价格应在0到100000元之间，最多两位小数"), code="invalid_number", field="price"
        )
    return price or None


def _clean_service(values: dict) -> dict:
    out = {}
    if "name" in values:
        out["name"] = _text(values["name"], "name", _("服务名称"), min_len=2, max_len=100)
    if "category" in values:
        if values["category"] not in ServiceCategory.values:
            raise InvalidInput(_("请选择服务类别"), code="invalid_choice", field="category")
        out["category"] = values["category"]
    if "description" in values:
        out["description"] = _text(
            values["description"], "description", _("服务内容"), min_len=5, max_len=2000
        )
    if "price" in values:
        out["price"] = _price(values["price"])
    if "price_unit" in values:
        out["price_unit"] = (values["price_unit"] or "").strip()[:20]
    if "time_limit_days" in values:
        try:
            days = int(values["time_limit_days"])
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= MAX_TIME_LIMIT:
            raise InvalidInput(
                _("办理时限应为1到%(n)s个工作日") % {"n": MAX_TIME_LIMIT},
                code="invalid_number",
                field="time_limit_days",
            )
        out["time_limit_days"] = days
    if "requirements" in values:
        out["requirements"] = _text(
            values["requirements"], "requirements", _("居民需提供"), min_len=0, max_len=300
        )
    if "active" in values:
        out["active"] = bool(values["active"])
    return out


def _check_provider(provider: Unit | None) -> Unit:
    if provider is None:
        raise InvalidInput(_("请选择服务提供方"), code="required", field="provider")
    if not provider.active or provider.kind not in HANDLING_KINDS or provider.kind == UnitKind.GRID:
        raise InvalidInput(
            _("「%(name)s」不能提供服务") % {"name": provider.name},
            code="invalid_unit",
            field="provider",
        )
    return provider


def _check_areas(actor, areas: Iterable[Unit]) -> list[Unit]:
    areas = list(areas)
    if not areas:
        raise InvalidInput(_("请选择服务范围（社区）"), code="required", field="areas")
    if any(a.kind not in AREA_KINDS or not a.active for a in areas):
        raise InvalidInput(_("服务范围只能是社区或村"), code="invalid_unit", field="areas")
    mine = desk_areas(actor) if actor is not None else None
    if mine is not None:
        allowed = set(mine.values_list("pk", flat=True))
        outside = [a for a in areas if a.pk not in allowed]
        if outside:
            raise InvalidInput(
                _("「%(name)s」不在您的辖区") % {"name": outside[0].name},
                code="invalid_unit",
                field="areas",
            )
    return areas


@transaction.atomic
def create_service(*, actor, provider: Unit, areas: Iterable[Unit], **values) -> Service:
    """A service in the catalogue: street/community staff (or district-wide roles) list what a
    provider offers in the communities of their area."""
    require_desk(actor)
    unknown = set(values) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    for required in ("name", "category", "description"):
        values.setdefault(required, "")
    fields = _clean_service(values)
    service = Service.objects.create(provider=_check_provider(provider), created_by=actor, **fields)
    service.areas.set(_check_areas(actor, areas))
    _event(ServiceEvent.Kind.SERVICE, service, actor, provider=provider.pk)
    return service


@transaction.atomic
def update_service(
    service: Service | int,
    *,
    actor,
    provider: Unit | None = None,
    areas: Iterable[Unit] | None = None,
    **values,
) -> Service:
    """Change a service (fields given only); `active=False` takes it off the shelf (orders
    already taken go on)."""
    service = access_service(actor, getattr(service, "pk", service), for_write=True)
    unknown = set(values) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    fields = _clean_service(values)
    if provider is not None:
        fields["provider"] = _check_provider(provider)
    changed = [k for k, v in fields.items() if getattr(service, k) != v]
    for k in changed:
        setattr(service, k, fields[k])
    if changed:
        service.save(update_fields=changed)
    if areas is not None:
        service.areas.set(_check_areas(actor, areas))
        changed.append("areas")
    _event(ServiceEvent.Kind.EDIT, service, actor, fields=sorted(changed))
    return service


# --- orders ----------------------------------------------------------------------------------


def _order_fields(
    service: Service,
    community: Unit | None,
    name: str,
    phone: str,
    address: str,
    need: str,
    preferred_time: str,
) -> dict:
    if not service.active:
        raise IllegalTransition(_("该服务已下架"), code="service_inactive")
    if community is None:
        raise InvalidInput(_("请选择所在社区"), code="required", field="community")
    if not service.areas.filter(pk=community.pk).exists():
        raise InvalidInput(
            _("该服务不在「%(name)s」提供") % {"name": community.name},
            code="out_of_area",
            field="community",
        )
    return {
        "name": _text(name, "name", _("联系人"), max_len=50),
        "phone": _phone(phone),
        "address": _text(address, "address", _("服务地址"), min_len=2, max_len=200),
        "need": _text(need, "need", _("需求说明"), min_len=2, max_len=2000),
        "preferred_time": (preferred_time or "").strip()[:100],
    }


@transaction.atomic
def order_online(
    service: Service | int,
    *,
    community: Unit | None,
    name: str,
    phone: str,
    address: str,
    need: str,
    preferred_time: str = "",
    ip_hash: str = "",
) -> ServiceOrder:
    """群众点单: a resident orders on the H5 pages (no account). The order waits for the front
    desk of the resident's community, which is told in-app."""
    service = (
        Service.objects.select_for_update(of=("self",))
        .filter(pk=getattr(service, "pk", service))
        .first()
    )
    if service is None:
        raise NotFound()
    fields = _order_fields(service, community, name, phone, address, need, preferred_time)
    order = ServiceOrder.objects.create(
        service=service,
        community=community,
        channel=OrderChannel.H5,
        ip_hash=ip_hash[:32],
        **fields,
    )
    _event(ServiceEvent.Kind.ORDER, service, None, order=order, channel=OrderChannel.H5)
    notify_units(
        NOTICE_KIND,
        None,
        [community.pk],
        _("新的服务订单待确认：%(service)s") % {"service": service.name},
        _("订单%(number)s，请在导办台确认下单或说明不予受理的原因。") % {"number": order.number},
    )
    return order


def _place(order: ServiceOrder, actor) -> ServiceOrder:
    """超市下单: register the order's work item and dispatch it to the provider."""
    service = order.service
    price = (
        _("免费")
        if service.is_free
        else _("%(price)s元/%(unit)s")
        % {"price": service.price, "unit": service.price_unit or _("次")}
    )
    detail = _(
        "服务：%(service)s（%(category)s，%(price)s）\n需求：%(need)s\n期望时间：%(when)s\n"
        "订单号：%(number)s"
    ) % {
        "service": service.name,
        "category": service.get_category_display(),
        "price": price,
        "need": order.need,
        "when": order.preferred_time or _("未指定"),
        "number": order.number,
    }
    item = appeal_actions.register_appeal(
        actor=actor,
        kind=KIND,
        source=order,
        channel=CHANNEL,
        subject=_("服务订单：%(service)s") % {"service": service.name[:50]},
        detail=detail,
        appellant_name=order.name,
        appellant_phone=order.phone,
        address=order.address,
    )
    appeal_actions.dispatch(
        item, actor=None, lead_unit=service.provider, note=_("服务超市订单，请及时接单办理")
    )
    item.refresh_from_db()
    order.item = item
    order.status = OrderStatus.PLACED
    order.placed_by = actor
    order.placed_at = item.created_at
    order.save(update_fields=["item", "status", "placed_by", "placed_at"])
    sms_appellants(
        NOTICE_KIND,
        [item],
        _("您点的「%(service)s」已下单给%(provider)s，查询码%(code)s，可在民呼H5查看进度并评价。")
        % {"service": service.name[:30], "provider": service.provider.name, "code": item.code},
    )
    _event(ServiceEvent.Kind.PLACE, service, actor, order=order, item=item.pk)
    return order


@transaction.atomic
def take_order(
    service: Service | int,
    *,
    actor,
    community: Unit | None,
    channel: str = OrderChannel.PHONE,
    name: str,
    phone: str,
    address: str,
    need: str,
    preferred_time: str = "",
) -> ServiceOrder:
    """导办台接单: the front desk takes a walk-in or phone order and places it at once."""
    require_desk(actor)
    if channel not in (OrderChannel.PHONE, OrderChannel.COUNTER):
        raise InvalidInput(_("点单方式不正确"), code="invalid_choice", field="channel")
    service = access_service(actor, getattr(service, "pk", service), for_write=True)
    areas = desk_areas(actor)
    if community is not None and areas is not None and not areas.filter(pk=community.pk).exists():
        raise InvalidInput(
            _("「%(name)s」不是您的导办台所在社区") % {"name": community.name},
            code="invalid_unit",
            field="community",
        )
    fields = _order_fields(service, community, name, phone, address, need, preferred_time)
    order = ServiceOrder.objects.create(
        service=service, community=community, channel=channel, created_by=actor, **fields
    )
    _event(ServiceEvent.Kind.ORDER, service, actor, order=order, channel=channel)
    return _place(order, actor)


@transaction.atomic
def place_order(order: ServiceOrder | int, *, actor) -> ServiceOrder:
    """The front desk confirms a resident's online order and places it with the provider."""
    order = access_order(actor, getattr(order, "pk", order), for_write=True)
    if order.status != OrderStatus.PENDING:
        raise IllegalTransition(_("该订单已处理"), code="illegal_transition")
    if not order.service.active:
        raise IllegalTransition(_("该服务已下架，请不予受理并说明"), code="service_inactive")
    return _place(order, actor)


def _sms_resident(order: ServiceOrder, body: str) -> None:
    Notification.objects.create(
        kind=NotificationKind.REPLIED,
        channel=NotificationChannel.SMS,
        phone=order.phone,
        title=_("服务订单%(number)s") % {"number": order.number},
        body=body,
    )


@transaction.atomic
def reject_order(order: ServiceOrder | int, *, actor, reason: str) -> ServiceOrder:
    """不予受理: the front desk refuses an online order, with the reason the resident is sent."""
    order = access_order(actor, getattr(order, "pk", order), for_write=True)
    if order.status != OrderStatus.PENDING:
        raise IllegalTransition(_("该订单已处理"), code="illegal_transition")
    reason = _text(reason, "reason", _("原因"), min_len=2, max_len=300)
    order.status, order.reject_reason = OrderStatus.REJECTED, reason
    order.save(update_fields=["status", "reject_reason"])
    _sms_resident(
        order,
        _("您点的「%(service)s」未能受理：%(reason)s")
        % {
            "service": order.service.name[:30],
            "reason": reason,
        },
    )
    _event(ServiceEvent.Kind.REJECT, order.service, actor, order=order, note=reason)
    return order


def check_orderer(order: ServiceOrder | None, phone: str) -> ServiceOrder:
    """The resident's proof: the order number and the phone it was ordered with."""
    phone = (phone or "").strip().replace(" ", "")
    if order is None or not phone or order.phone != phone:
        raise NotFound(_("订单号或手机号不正确"))
    return order


@transaction.atomic
def cancel_order(number: str, *, phone: str, reason: str = "") -> ServiceOrder:
    """The resident withdraws an order the front desk has not placed yet."""
    order = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(number=(number or "").strip().upper())
        .first()
    )
    order = check_orderer(order, phone)
    if order.status != OrderStatus.PENDING:
        raise IllegalTransition(
            _("订单已下单或已处理，请联系服务方或社区"), code="illegal_transition"
        )
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    _event(ServiceEvent.Kind.CANCEL, order.service, None, order=order, note=reason[:300])
    return order


# --- the kind's deadline ---------------------------------------------------------------------


def due_at(item, step: str, start: dt.datetime) -> dt.datetime | None:
    """The resolve deadline of an order: the service's time limit in working days from its
    dispatch (the other steps follow the time-limit policies)."""
    if step != Step.RESOLVE or not item.source_id:
        return None
    days = (
        ServiceOrder.objects.filter(pk=item.source_id)
        .values_list("service__time_limit_days", flat=True)
        .first()
    )
    return add_working_days(start, days) if days else None
