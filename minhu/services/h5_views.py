"""The residents' side of the service supermarket (/h5/s/): the catalogue by category, a
service's page with its order form (no account; rate-limited per address through
core.ratelimit's public bucket `service_order`), and the order's own page, opened with the
order number and phone (the same look-up limits as the tracking page). Once the front desk has
placed the order, the page gives the work item's tracking code: progress and rating are on
/h5/track/ like any appeal."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minhu.appeals.access import mask_phone
from minhu.core.errors import DomainError, IllegalTransition, NotFound
from minhu.orgs.models import Unit
from minhu.residents import throttle

from . import actions
from .models import OrderStatus, Service, ServiceCategory, ServiceOrder

SESSION_KEY = "minhu_h5_orders"  # {order number: phone}
SESSION_MAX = 20
BUCKET = "service_order"


def _remember(request: HttpRequest, number: str, phone: str) -> None:
    orders = dict(request.session.get(SESSION_KEY, {}))
    orders.pop(number, None)
    orders[number] = phone
    request.session[SESSION_KEY] = dict(list(orders.items())[-SESSION_MAX:])


def _opened(request: HttpRequest, number: str) -> ServiceOrder | None:
    phone = request.session.get(SESSION_KEY, {}).get(number)
    if phone is None:
        return None
    order = (
        ServiceOrder.objects.select_related("service", "service__provider", "community", "item")
        .filter(number=number)
        .first()
    )
    try:
        return actions.check_orderer(order, phone)
    except NotFound:
        return None


def _active_services():
    return Service.objects.filter(active=True, provider__active=True)


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    services = _active_services().select_related("provider")
    category = request.GET.get("c") or ""
    if category in ServiceCategory.values:
        services = services.filter(category=category)
    area = request.GET.get("area") or ""
    areas = Unit.objects.filter(pk__in=_active_services().values("areas"), active=True).order_by(
        "path"
    )
    if area.isdigit():
        services = services.filter(areas=int(area))
    q = (request.GET.get("q") or "").strip()[:30]
    if q:
        services = services.filter(Q(name__icontains=q) | Q(description__icontains=q))
    page = Paginator(services.order_by("category", "name", "id"), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "services/h5_catalogue.html",
        {
            "page": page,
            "categories": ServiceCategory.choices,
            "category": category,
            "areas": areas,
            "area": int(area) if area.isdigit() else None,
            "q": q,
        },
    )


@require_http_methods(["GET", "POST"])
def service(request: HttpRequest, pk: int) -> HttpResponse:
    s = _active_services().select_related("provider").filter(pk=pk).first()
    if s is None:
        raise Http404()
    areas = list(s.areas.filter(active=True).order_by("path"))
    error, limited, status = None, False, 200
    if request.method == "POST":
        if throttle.exceeded(BUCKET, request):
            limited, status = True, 429
        else:
            p = request.POST
            area = p.get("community") or ""
            try:
                order = actions.order_online(
                    s,
                    community=next((a for a in areas if str(a.pk) == area), None),
                    name=p.get("name", ""),
                    phone=p.get("phone", ""),
                    address=p.get("address", ""),
                    need=p.get("need", ""),
                    preferred_time=p.get("preferred_time", ""),
                    ip_hash=throttle.ip_hash(request),
                )
            except DomainError as e:
                error, status = e, 400
            else:
                throttle.hit(BUCKET, request)
                _remember(request, order.number, order.phone)
                return redirect("services_h5:order", number=order.number)
    return render(
        request,
        "services/h5_service.html",
        {
            "s": s,
            "areas": areas,
            "error": error,
            "error_field": (error.details or {}).get("field") if error else None,
            "limited": limited,
            "limit_minutes": throttle.window_minutes(BUCKET),
            "post": request.POST if status != 200 else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    error, status = "", 200
    number = (request.POST.get("number") or request.GET.get("number") or "").strip().upper()[:12]
    if request.method == "POST":
        if throttle.exceeded("lookup", request) or throttle.exceeded(
            "lookup_code", request, key=number
        ):
            error = _("查询次数过多，请%(n)d分钟后再试") % {"n": throttle.window_minutes("lookup")}
            status = 429
        else:
            order = ServiceOrder.objects.filter(number=number).first()
            try:
                actions.check_orderer(order, request.POST.get("phone", ""))
            except NotFound:
                throttle.hit("lookup", request)
                throttle.hit("lookup_code", request, key=number)
                error, status = _("订单号或手机号不正确"), 400
            else:
                _remember(request, order.number, order.phone)
                return redirect("services_h5:order", number=order.number)
    recent = list(reversed(list(request.session.get(SESSION_KEY, {}).keys())))[:5]
    return render(
        request,
        "services/h5_lookup.html",
        {"error": error, "number": number, "recent": recent},
        status=status,
    )


@require_GET
def order(request: HttpRequest, number: str) -> HttpResponse:
    o = _opened(request, number)
    if o is None:
        return redirect(reverse("services_h5:lookup") + "?" + urlencode({"number": number}))
    track = ""
    if o.item_id:
        track = reverse("residents:track") + "?" + urlencode({"code": o.item.code})
    return render(
        request,
        "services/h5_order.html",
        {"o": o, "phone": mask_phone(o.phone), "track": track, "pending": OrderStatus.PENDING},
    )


@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    o = _opened(request, number)
    if o is None:
        return redirect(reverse("services_h5:lookup") + "?" + urlencode({"number": number}))
    try:
        actions.cancel_order(o.number, phone=o.phone, reason=request.POST.get("reason", ""))
    except (IllegalTransition, NotFound) as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("订单已取消"))
    return redirect("services_h5:order", number=o.number)
