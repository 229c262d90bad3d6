"""Residents' and enterprises' H5 pages (mounted at /h5/). No login: a tracking code (plus the
phone for named appeals, kept in the session after a successful look-up) opens an appeal."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minhu.appeals import actions as appeal_actions
from minhu.appeals.kinds import resident_channel
from minhu.appeals.models import Appeal, AppellantKind, Channel, CollectionPoint, Satisfaction
from minhu.core import idempotency, ratelimit
from minhu.core.errors import DomainError, IllegalTransition, InvalidInput, NotFound

from . import actions, qr, throttle, verify
from .forms import (
    AppealForm,
    EnterpriseRatingForm,
    RateForm,
    ServiceRatingForm,
    TrackForm,
)
from .timeline import (
    STEPS,
    handling,
    long_term_plan,
    next_steps,
    public_timeline,
    rating_state,
    status_summary,
)

SESSION_KEY = "minhu_h5_track"  # {tracking code: phone ("" for anonymous)}
SESSION_MAX_CODES = 20


# --- session: which appeals this browser has opened ------------------------------------------


def _remember(request: HttpRequest, code: str, phone: str) -> None:
    codes = dict(request.session.get(SESSION_KEY, {}))
    codes.pop(code, None)
    codes[code] = phone
    request.session[SESSION_KEY] = dict(list(codes.items())[-SESSION_MAX_CODES:])


def _remembered(request: HttpRequest, code: str) -> str | None:
    """The phone this browser proved for `code`, or None if it has not opened it."""
    return request.session.get(SESSION_KEY, {}).get(code)


def _forget(request: HttpRequest, code: str) -> None:
    codes = dict(request.session.get(SESSION_KEY, {}))
    if codes.pop(code, None) is not None:
        request.session[SESSION_KEY] = codes


def _opened_appeal(request: HttpRequest, code: str) -> tuple[Appeal | None, str]:
    """The appeal this browser may see under `code` (re-checked against the phone each time)."""
    phone = _remembered(request, code)
    if phone is None:
        return None, ""
    appeal = (
        Appeal.objects.select_related("lead_unit", "parent", "parent__lead_unit", "about_unit")
        .filter(code=code)
        .first()
    )
    try:
        if appeal is None:
            raise NotFound()
        appeal_actions.check_appellant(appeal, phone)
    except NotFound:
        _forget(request, code)
        return None, ""
    return appeal, phone


def _to_lookup(code: str) -> HttpResponse:
    return redirect(reverse("residents:track") + "?" + urlencode({"code": code}))


def _point(code: str, *, hall: bool = False) -> CollectionPoint | None:
    qs = CollectionPoint.objects.select_related("unit").filter(code=code, active=True)
    if hall:
        qs = qs.filter(is_service_hall=True)
    return qs.first()


def _point_missing(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/point_missing.html", status=404)


# --- landing ---------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/home.html")


# --- submit an appeal ------------------------------------------------------------------------


def _appeal_form(
    request: HttpRequest, *, point: CollectionPoint | None = None, enterprise: bool = False
) -> HttpResponse:
    channel = resident_channel(point, enterprise=enterprise)
    status = 200
    limited = False
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES, enterprise=enterprise)
        if throttle.exceeded("submit", request):
            limited, status = True, 429
        elif form.is_valid():
            token = request.POST.get("idempotency_token") or None
            uploaded = ratelimit.upload_bytes(request.FILES.getlist("photos"))

            def produce() -> tuple[int, dict]:
                # Photos' bytes per address per hour, shared with the public API.
                ratelimit.check_upload_quota(request, uploaded)
                appeal = appeal_actions.register_appeal(
                    actor=None, channel=channel, collection_point=point, **form.appeal_kwargs()
                )
                return 201, {"code": appeal.code, "phone": appeal.appellant_phone}

            try:
                # The form's hidden token: a double tap or a resend after a timeout shows the
                # first submission's tracking code instead of registering the appeal twice.
                _status, done, replayed = idempotency.run_once(
                    "h5.appeals",
                    token,
                    idempotency.fingerprint(request.POST, request.FILES),
                    produce,
                )
            except DomainError as e:
                form.add_domain_error(e)
                if e.http_status == 429:
                    status = 429
            else:
                if not replayed:
                    throttle.hit("submit", request)
                    if uploaded:
                        ratelimit.public_hit("upload_bytes", request, uploaded)
                _remember(request, done["code"], done["phone"])
                return redirect("residents:done", code=done["code"])
        if status == 200:
            status = 400
    else:
        form = AppealForm(enterprise=enterprise)
    return render(
        request,
        "residents/new.html",
        {
            "form": form,
            "idempotency_token": request.POST.get("idempotency_token") or uuid.uuid4().hex,
            "point": point,
            "enterprise": enterprise,
            "limited": limited,
            "limit_minutes": throttle.window_minutes("submit"),
            # Browsers never re-fill file inputs: say so when the form comes back.
            "photos_lost": request.method == "POST" and bool(request.FILES.getlist("photos")),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    return _appeal_form(request)


@require_http_methods(["GET", "POST"])
def point(request: HttpRequest, point_code: str) -> HttpResponse:
    p = _point(point_code)
    if p is None:
        return _point_missing(request)
    if p.channel == Channel.ENTERPRISE:
        return redirect("residents:enterprise_point", point_code=p.code)
    return _appeal_form(request, point=p)


@require_http_methods(["GET", "POST"])
def enterprise(request: HttpRequest) -> HttpResponse:
    return _appeal_form(request, enterprise=True)


@require_http_methods(["GET", "POST"])
def enterprise_point(request: HttpRequest, point_code: str) -> HttpResponse:
    p = _point(point_code)
    if p is None:
        return _point_missing(request)
    return _appeal_form(request, point=p, enterprise=True)


@require_GET
def done(request: HttpRequest, code: str) -> HttpResponse:
    appeal, _phone = _opened_appeal(request, code)
    if appeal is None:
        return _to_lookup(code)
    return render(
        request,
        "residents/done.html",
        {
            "appeal": appeal,
            "limits": next_steps(appeal),
            "anonymous": appeal.appellant_kind == AppellantKind.ANONYMOUS,
            "enterprise": appeal.appellant_kind == AppellantKind.ENTERPRISE,
        },
    )


# --- track and rate --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        asked = (request.POST.get("code") or "").strip().upper()[:20]
        # Per address (guessing codes) and per code from any address (guessing a phone): one
        # abuser behind a shared address cannot guess far, nor lock out a whole NAT for long.
        if throttle.exceeded("lookup", request) or throttle.exceeded(
            "lookup_code", request, key=asked
        ):
            form.is_valid()
            form.add_error(
                None,
                _("查询次数过多，请%(n)d分钟后再试") % {"n": throttle.window_minutes("lookup")},
            )
            status = 429
        elif form.is_valid():
            code, phone = form.cleaned_data["code"], form.cleaned_data["phone"]
            appeal = Appeal.objects.filter(code=code).first()
            try:
                if appeal is None:
                    raise NotFound()
                appeal_actions.check_appellant(appeal, phone)
            except NotFound:
                throttle.hit("lookup", request)
                throttle.hit("lookup_code", request, key=asked)
                form.add_error(None, _("查询码或手机号不正确"))  # one message: no enumeration
            else:
                _remember(request, appeal.code, appeal.appellant_phone)
                return redirect("residents:track_detail", code=appeal.code)
        status = status if status != 200 else 400
    else:
        form = TrackForm(initial={"code": request.GET.get("code", "")[:20]})
    recent = list(reversed(list(request.session.get(SESSION_KEY, {}).keys())))[:5]
    return render(request, "residents/track.html", {"form": form, "recent": recent}, status=status)


@require_POST
def track_forget(request: HttpRequest) -> HttpResponse:
    """Clear this browser's opened appeals (a shared phone)."""
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("已清除本机的查询记录"))
    return redirect("residents:track")


def _detail_context(appeal: Appeal, rate_form: RateForm | None = None) -> dict:
    rating = rating_state(appeal)
    return {
        "appeal": appeal,
        "handling": handling(appeal),
        "summary": status_summary(appeal),
        "steps": STEPS,
        "timeline": public_timeline(appeal),
        "plan": long_term_plan(appeal),
        "rate_form": rate_form or (RateForm() if rating["can_rate"] else None),
        **rating,
    }


@require_GET
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    appeal, _phone = _opened_appeal(request, code)
    if appeal is None:
        return _to_lookup(code)
    return render(request, "residents/detail.html", _detail_context(appeal))


@require_POST
def track_rate(request: HttpRequest, code: str) -> HttpResponse:
    appeal, phone = _opened_appeal(request, code)
    if appeal is None:
        return _to_lookup(code)
    form = RateForm(request.POST)
    if form.is_valid():
        rounds_before = handling(appeal).reopen_count
        try:
            appeal_actions.rate(
                appeal.code,
                phone=phone,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except InvalidInput as e:
            form.add_domain_error(e)
        except (IllegalTransition, NotFound) as e:
            messages.error(request, e.message)
            return redirect("residents:track_detail", code=appeal.code)
        else:
            h = handling(appeal)
            h.refresh_from_db(fields=["reopen_count", "status"])
            if h.reopen_count > rounds_before:
                messages.warning(
                    request,
                    _(
                        "感谢您的评价。您的诉求已退回承办单位重新办理，"
                        "办理后会再次答复您，您可以继续在这里查看进度。"
                    ),
                )
            elif form.cleaned_data["satisfaction"] == Satisfaction.UNSATISFIED:
                messages.warning(
                    request, _("感谢您的评价。调度中心将跟进您反映的情况，并与您联系。")
                )
            else:
                messages.success(request, _("感谢您的评价！"))
            return redirect("residents:track_detail", code=appeal.code)
    return render(request, "residents/detail.html", _detail_context(appeal, form), status=400)


# --- service-hall rating (群众评服务) ----------------------------------------------------------


def _send_rating_code(request: HttpRequest, form) -> int:
    """The 获取验证码 button of a rating form: send a code to the phone typed, and give the form
    back as it was typed (other fields are not checked yet). Returns the HTTP status."""
    form.is_valid()
    form.errors.clear()
    try:
        verify.send_code(request, form.data.get("phone", ""))
    except DomainError as e:
        form.add_error("phone", e.message)
        return e.http_status
    phone = verify.clean_phone(form.data.get("phone", ""))
    messages.success(
        request,
        _("验证码已发送至%(phone)s，%(m)d分钟内有效")
        % {
            "phone": phone[:3] + "****" + phone[-4:],
            "m": verify.CODE_TTL // 60,
        },
    )
    return 200


@require_http_methods(["GET", "POST"])
def point_rate(request: HttpRequest, point_code: str) -> HttpResponse:
    hall = _point(point_code, hall=True)
    if hall is None:
        return _point_missing(request)
    status = 200
    if request.method == "POST":
        form = ServiceRatingForm(request.POST)
        if "send_code" in request.POST:
            status = _send_rating_code(request, form)
        elif throttle.exceeded("rating", request):
            form.is_valid()
            form.add_error(None, _("评价过于频繁，请稍后再试"))
            status = 429
        elif form.is_valid():
            try:
                actions.rate_service(
                    hall,
                    actor=None,
                    ip_hash=throttle.ip_hash(request),
                    **form.cleaned_data,
                )
            except DomainError as e:
                form.add_domain_error(e)
            else:
                throttle.hit("rating", request)
                return redirect("residents:point_rate_thanks", point_code=hall.code)
            status = 400
        else:
            status = 400
    else:
        form = ServiceRatingForm(initial={"window": request.GET.get("window", "")[:60]})
    return render(
        request, "residents/service_rate.html", {"form": form, "point": hall}, status=status
    )


@require_GET
def point_rate_thanks(request: HttpRequest, point_code: str) -> HttpResponse:
    hall = _point(point_code, hall=True)
    if hall is None:
        return _point_missing(request)
    return render(request, "residents/thanks.html", {"point": hall, "kind": "service"})


# --- enterprise rates a department (企业评政府) ---------------------------------------------------


def _linked_enterprise_appeal(request: HttpRequest, code: str) -> Appeal | None:
    """An enterprise appeal this browser opened (so the rating can be tied to it)."""
    if not code:
        return None
    appeal, _phone = _opened_appeal(request, code.strip().upper())
    if appeal is None or appeal.appellant_kind != AppellantKind.ENTERPRISE:
        return None
    return appeal


@require_http_methods(["GET", "POST"])
def enterprise_rate(request: HttpRequest) -> HttpResponse:
    linked = _linked_enterprise_appeal(request, request.POST.get("from") or request.GET.get("from"))
    status = 200
    if request.method == "POST":
        form = EnterpriseRatingForm(request.POST)
        if "send_code" in request.POST:
            status = _send_rating_code(request, form)
        elif throttle.exceeded("rating", request):
            form.is_valid()
            form.add_error(None, _("评价过于频繁，请稍后再试"))
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            try:
                actions.rate_department(
                    actor=None,
                    department=d["department"],
                    enterprise_name=d["enterprise_name"],
                    satisfaction=d["satisfaction"],
                    indicators=form.indicators(),
                    comment=d["comment"],
                    appeal=linked,
                    ip_hash=throttle.ip_hash(request),
                    **({} if linked else form.verification()),
                )
            except DomainError as e:
                form.add_domain_error(e)
            else:
                throttle.hit("rating", request)
                return redirect("residents:enterprise_rate_thanks")
            status = 400
        else:
            status = 400
    else:
        initial = {}
        if linked is not None:
            initial = {"enterprise_name": linked.enterprise_name, "department": linked.about_unit}
        form = EnterpriseRatingForm(initial=initial)
    return render(
        request,
        "residents/enterprise_rate.html",
        {"form": form, "linked": linked},
        status=status,
    )


@require_GET
def enterprise_rate_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/thanks.html", {"kind": "enterprise"})


# --- QR codes and posters --------------------------------------------------------------------


def _qr_point(point_code: str, kind: str) -> CollectionPoint | None:
    """Any existing point (staff print codes for points not yet opened too); the rating code
    exists only for service halls."""
    p = CollectionPoint.objects.filter(code=point_code).first()
    if p is None or (kind == "rate" and not p.is_service_hall):
        return None
    return p


@require_GET
@cache_control(public=True, max_age=3600)
def qr_image(request: HttpRequest, point_code: str, fmt: str, kind: str = "submit") -> HttpResponse:
    p = _qr_point(point_code, kind)
    if p is None:
        return HttpResponse(status=404)
    url = qr.absolute(request, qr.point_path(p, kind))
    if fmt == "svg":
        return HttpResponse(qr.svg(url), content_type="image/svg+xml")
    response = HttpResponse(qr.png(url), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{p.code}-{kind}.png"'
    return response


@require_GET
def poster(request: HttpRequest, point_code: str, kind: str = "submit") -> HttpResponse:
    p = _qr_point(point_code, kind)
    if p is None:
        return _point_missing(request)
    return render(
        request,
        "residents/poster.html",
        {
            "point": p,
            "kind": kind,
            "url": qr.absolute(request, qr.point_path(p, kind)),
            "enterprise": p.channel == Channel.ENTERPRISE,
        },
    )
