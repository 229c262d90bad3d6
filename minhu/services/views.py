"""Staff pages of the service supermarket: the front desk (导办台: orders waiting to be placed,
taking a phone or walk-in order, every order of its communities), the catalogue and the
figures per provider, service and category. Every read is scoped (access.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals.access import mask_phone
from minhu.core.errors import DomainError, NotFound, PermissionDenied
from minhu.orgs.models import HANDLING_KINDS, OUTSIDE_KINDS, Unit, UnitKind
from minhu.web.permissions import domain_page

from . import actions, stats
from .access import (
    access_order,
    access_service,
    can_see_phone,
    desk_areas,
    desk_orders,
    is_desk,
    orders_visible_to,
    services_visible_to,
)
from .models import OrderChannel, OrderStatus, ServiceCategory

PAGE_SIZE = 30


staff_page = domain_page


def _run(request, fn, ok: str, to: str) -> HttpResponseRedirect:
    try:
        fn()
    except (NotFound, PermissionDenied):
        raise
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, ok)
    return HttpResponseRedirect(to)


def _areas(user):
    areas = desk_areas(user)
    return (
        Unit.objects.filter(kind__in=("community", "village"), active=True)
        if areas is None
        else areas
    )


def _unit(value) -> Unit | None:
    value = str(value or "")
    return Unit.objects.filter(pk=int(value)).first() if value.isdigit() else None


# --- the front desk --------------------------------------------------------------------------


@staff_page
def desk_view(request):
    user = request.user
    if not is_desk(user) and not orders_visible_to(user).exists():
        raise DjangoPermissionDenied(_("您无权访问此页面"))
    orders = (
        orders_visible_to(user)
        .select_related("service", "service__provider", "community", "item")
        .order_by("-created_at", "-id")
    )
    status = request.GET.get("status") or ""
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        orders = orders.filter(
            Q(number__iexact=q) | Q(name__icontains=q) | Q(service__name__icontains=q)
        )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = list(
        desk_orders(user)
        .filter(status=OrderStatus.PENDING)
        .select_related("service", "service__provider", "community")
        .order_by("created_at")[:50]
    )
    for o in [*pending, *page]:
        o.shown_phone = o.phone if can_see_phone(user, o) else mask_phone(o.phone)
    desk = is_desk(user)
    return render(
        request,
        "services/desk.html",
        {
            "pending": pending,
            "page": page,
            "q": q,
            "status": status,
            "statuses": OrderStatus.choices,
            "is_desk": desk,
            "services": (
                services_visible_to(user).filter(active=True).select_related("provider")
                if desk
                else []
            ),
            "areas": _areas(user) if desk else [],
            "channels": [
                (OrderChannel.PHONE, OrderChannel.PHONE.label),
                (OrderChannel.COUNTER, OrderChannel.COUNTER.label),
            ],
        },
    )


@staff_page
@require_POST
def take_view(request):
    p = request.POST
    to = reverse("services:desk")

    def go():
        service = p.get("service") or ""
        actions.take_order(
            int(service) if service.isdigit() else 0,
            actor=request.user,
            community=_unit(p.get("community")),
            channel=p.get("channel") or OrderChannel.PHONE,
            name=p.get("name", ""),
            phone=p.get("phone", ""),
            address=p.get("address", ""),
            need=p.get("need", ""),
            preferred_time=p.get("preferred_time", ""),
        )

    return _run(request, go, _("已下单并派发给服务方"), to)


@staff_page
@require_POST
def place_view(request, pk: int):
    order = access_order(request.user, pk, for_write=False)
    return _run(
        request,
        lambda: actions.place_order(order.pk, actor=request.user),
        _("订单%(number)s已下单并派发给服务方") % {"number": order.number},
        reverse("services:desk"),
    )


@staff_page
@require_POST
def reject_view(request, pk: int):
    order = access_order(request.user, pk, for_write=False)
    return _run(
        request,
        lambda: actions.reject_order(
            order.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("订单%(number)s不予受理，已短信告知居民") % {"number": order.number},
        reverse("services:desk"),
    )


# --- the catalogue ---------------------------------------------------------------------------


def _service_values(p) -> dict:
    return {
        "name": p.get("name", ""),
        "category": p.get("category", ""),
        "description": p.get("description", ""),
        "price": p.get("price", ""),
        "price_unit": p.get("price_unit", ""),
        "time_limit_days": p.get("time_limit_days", ""),
        "requirements": p.get("requirements", ""),
    }


def _providers(user):
    """Who may be named as provider: outside parties and units of the user's area (all for
    district-wide roles)."""
    units = Unit.objects.filter(active=True, kind__in=HANDLING_KINDS).exclude(kind=UnitKind.GRID)
    areas = desk_areas(user)
    if areas is None:
        return units.order_by("kind", "path")
    area_ids = list(areas.values_list("pk", flat=True))
    street_ids = list(areas.values_list("parent_id", flat=True))
    return (
        units.filter(
            Q(pk__in=area_ids + street_ids)
            | Q(kind__in=OUTSIDE_KINDS, parent_id__in=area_ids + street_ids)
            | Q(kind__in=OUTSIDE_KINDS, paired_communities__in=area_ids)
            | Q(kind=UnitKind.DEPARTMENT)
        )
        .distinct()
        .order_by("kind", "path")
    )


@staff_page
def catalogue_view(request):
    user = request.user
    services = services_visible_to(user).select_related("provider").prefetch_related("areas")
    category = request.GET.get("category") or ""
    if category in ServiceCategory.values:
        services = services.filter(category=category)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        services = services.filter(Q(name__icontains=q) | Q(provider__name__icontains=q))
    if not is_desk(user) and not services.exists() and not q and not category:
        raise DjangoPermissionDenied(_("您无权访问此页面"))
    page = Paginator(services.order_by("category", "name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    desk = is_desk(user)
    return render(
        request,
        "services/catalogue.html",
        {
            "page": page,
            "q": q,
            "category": category,
            "categories": ServiceCategory.choices,
            "is_desk": desk,
            "providers": _providers(user) if desk else [],
            "areas": _areas(user) if desk else [],
        },
    )


@staff_page
@require_POST
def create_service_view(request):
    p = request.POST
    to = reverse("services:catalogue")

    def go():
        actions.create_service(
            actor=request.user,
            provider=_unit(p.get("provider")),
            areas=[u for u in (_unit(i) for i in p.getlist("areas")) if u],
            **_service_values(p),
        )

    return _run(request, go, _("服务已上架"), to)


@staff_page
def service_view(request, pk: int):
    service = access_service(request.user, pk)
    desk = is_desk(request.user)
    if request.method == "POST":
        if not desk:
            raise DjangoPermissionDenied(_("您无权修改服务"))
        p = request.POST
        to = reverse("services:service", args=[service.pk])
        if "active" in p and len(p) <= 2:  # the on/off switch alone
            return _run(
                request,
                lambda: actions.update_service(
                    service, actor=request.user, active=p.get("active") == "1"
                ),
                _("已上架") if p.get("active") == "1" else _("已下架"),
                to,
            )
        return _run(
            request,
            lambda: actions.update_service(
                service,
                actor=request.user,
                provider=_unit(p.get("provider")),
                areas=[u for u in (_unit(i) for i in p.getlist("areas")) if u],
                **_service_values(p),
            ),
            _("服务已保存"),
            to,
        )
    orders = (
        orders_visible_to(request.user)
        .filter(service=service)
        .select_related("community", "item")
        .order_by("-created_at")
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    for o in page:
        o.shown_phone = o.phone if can_see_phone(request.user, o) else mask_phone(o.phone)
    return render(
        request,
        "services/service.html",
        {
            "s": service,
            "page": page,
            "figures": stats.total(orders_visible_to(request.user).filter(service=service)),
            "is_desk": desk,
            "categories": ServiceCategory.choices,
            "providers": _providers(request.user) if desk else [],
            "areas": _areas(request.user) if desk else [],
            "chosen": set(service.areas.values_list("pk", flat=True)),
        },
    )


# --- figures ---------------------------------------------------------------------------------


@staff_page
def figures_view(request):
    user = request.user
    orders = orders_visible_to(user)
    if not is_desk(user) and not orders.exists():
        raise DjangoPermissionDenied(_("您无权访问此页面"))
    start = parse_date(request.GET.get("start") or "")
    end = parse_date(request.GET.get("end") or "")
    return render(
        request,
        "services/figures.html",
        {
            "total": stats.total(orders, start, end),
            "providers": stats.by(orders, "provider", start, end),
            "services": stats.by(orders, "service", start, end),
            "categories": stats.by(orders, "category", start, end),
            "definitions": stats.DEFINITIONS,
            "start": start,
            "end": end,
        },
    )
