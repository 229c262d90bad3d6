"""GeoReport v2 endpoints (wiki.open311.org/GeoReport_v2) and FixMyStreet's request updates.

Every resource comes as `.json` or `.xml`; errors are the spec's `[{"code", "description"}]`
(`<errors><error>`) with the HTTP status as code. GET needs no key; POST and the updates need
`api_key`. A call carrying a valid key is counted against its hourly limit (429 beyond it) and
recorded (`KeyUse`)."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from minhu.core import ratelimit
from minhu.core.errors import DomainError

from . import actions, georeport
from .models import ApiKey, Open311Request
from .render import error, respond

# Minhu's field names as the spec calls them, for error descriptions.
SPEC_FIELDS = {
    "detail": "description",
    "subject": "description",
    "appellant_phone": "phone",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "category": "service_code",
}


def _param(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return value.strip()


def _jurisdiction_error(request: HttpRequest, fmt: str) -> HttpResponse | None:
    wanted = getattr(settings, "MINHU_OPEN311_JURISDICTION", "")
    given = _param(request, "jurisdiction_id")
    if wanted and given and given != wanted:
        return error(fmt, 404, f"jurisdiction_id not found: {given}")
    return None


def _use_key(request: HttpRequest, fmt: str, *, required: bool):
    """(key or None, error response or None) for the call's api_key."""
    raw = _param(request, "api_key")
    if not raw:
        if required:
            return None, error(fmt, 403, "api_key missing")
        return None, None
    key = actions.find_key(raw)
    if key is None:
        return None, error(fmt, 403, "api_key not valid or revoked")
    count = ratelimit.hit("open311_key", str(key.pk), window=3600)
    if count > key.rate_limit:
        actions.record_use(key, method=request.method, path=request.path, status=429)
        response = error(fmt, 429, f"rate limit of {key.rate_limit} requests per hour exceeded")
        response["Retry-After"] = "3600"
        return None, response
    return key, None


def endpoint(methods: tuple[str, ...], *, key: str = "optional"):
    """Wrap a view `f(request, fmt, key, **kw)`: allowed methods, jurisdiction, the key (and its
    audit row, with the answer's status)."""

    def wrap(view):
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def inner(request: HttpRequest, fmt: str, **kw) -> HttpResponse:
            bad = _jurisdiction_error(request, fmt)
            if bad is not None:
                return bad
            api_key, bad = (None, None)
            if key != "none":
                api_key, bad = _use_key(request, fmt, required=key == "required")
                if bad is not None:
                    return bad
            response = view(request, fmt, api_key, **kw)
            if api_key is not None:
                actions.record_use(
                    api_key,
                    method=request.method,
                    path=request.path,
                    status=response.status_code,
                    request_code=getattr(response, "service_request_id", ""),
                )
            return response

        return inner

    return wrap


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/open311/v2").rstrip("/")


@endpoint(("GET",), key="none")
def discovery(request: HttpRequest, fmt: str, _key) -> HttpResponse:
    changed = getattr(settings, "MINHU_OPEN311_CHANGESET", "2026-12-07T00:00:00+08:00")
    data = {
        "changeset": changed,
        "contact": getattr(settings, "MINHU_OPEN311_CONTACT", "12345"),
        "key_service": getattr(
            settings, "MINHU_OPEN311_KEY_SERVICE", "Ask the administrators for an API key"
        ),
        "endpoints": [
            {
                "specification": georeport.SPEC,
                "url": base_url(request),
                "changeset": changed,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, data, root="discovery")


@endpoint(("GET",))
def services(request: HttpRequest, fmt: str, _key) -> HttpResponse:
    return respond(fmt, georeport.services(), root="services", item="service")


@endpoint(("GET",))
def service_definition(request: HttpRequest, fmt: str, _key, code: str) -> HttpResponse:
    category = georeport.find_service(code)
    if category is None:
        return error(fmt, 404, f"service_code not found: {code}")
    return respond(fmt, georeport.definition(category), root="service_definition")


@endpoint(("GET", "POST"), key="optional")
def requests_(request: HttpRequest, fmt: str, api_key) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt, api_key)
    try:
        found = georeport.search(request.GET)
    except georeport.BadParameter as exc:
        return error(fmt, 400, str(exc))
    return respond(fmt, georeport.request_rows(found), root="service_requests", item="request")


@endpoint(("GET",))
def request_detail(request: HttpRequest, fmt: str, _key, request_id: str) -> HttpResponse:
    rows = georeport.rows_of(georeport.public_appeals().filter(code=request_id))
    if not rows:
        return error(fmt, 404, f"service_request_id not found: {request_id}")
    return respond(fmt, georeport.request_rows(rows), root="service_requests", item="request")


@endpoint(("GET",))
def token(request: HttpRequest, fmt: str, _key, token: str) -> HttpResponse:
    posted = Open311Request.objects.filter(token=token).select_related("appeal").first()
    if posted is None:
        return error(fmt, 404, f"token not found: {token}")
    data = [{"service_request_id": posted.appeal.code, "token": posted.token}]
    return respond(fmt, data, root="service_requests", item="request")


@endpoint(("GET",), key="required")
def request_updates(request: HttpRequest, fmt: str, api_key) -> HttpResponse:
    """FixMyStreet's servicerequestupdates: the public updates of the requests this key posted,
    between start_date and end_date (default: the last 24 hours)."""
    try:
        now = timezone.now()
        end = request.GET.get("end_date")
        start = request.GET.get("start_date")
        end_at = georeport.parse_when(end, "end_date", end=True) if end else now
        start_at = (
            georeport.parse_when(start, "start_date") if start else end_at - dt.timedelta(days=1)
        )
        if start_at > end_at:
            raise georeport.BadParameter("start_date is after end_date")
    except georeport.BadParameter as exc:
        return error(fmt, 400, str(exc))
    rows = georeport.updates(api_key, start_at, end_at)
    return respond(fmt, rows, root="service_requests_updates", item="request_update")


# --- POST requests --------------------------------------------------------------------------


def _attributes(request: HttpRequest) -> dict:
    """attribute[code]=value (repeated, or attribute[code][]=..., for a multiple choice)."""
    out: dict = {}
    for name in request.POST:
        if not name.startswith("attribute[") or not name.endswith("]"):
            continue
        code = name[len("attribute[") :].removesuffix("[]").rstrip("]")
        values = list(request.POST.getlist(name))
        out[code] = values if (name.endswith("[]") or len(values) > 1) else values[0]
    return out


def _post_request(request: HttpRequest, fmt: str, api_key: ApiKey | None) -> HttpResponse:
    if api_key is None:
        return error(fmt, 403, "api_key missing")
    code = _param(request, "service_code")
    if not code:
        return error(fmt, 400, "service_code missing")
    category = georeport.find_service(code)
    if category is None:
        return error(fmt, 404, f"service_code not found: {code}")
    lat, lon = _param(request, "lat"), _param(request, "long")
    address = _param(request, "address_string")
    address_id = _param(request, "address_id")
    if not ((lat and lon) or address or address_id):
        return error(fmt, 400, "a location is required: lat and long, address_string or address_id")
    try:
        latitude = round(float(lat), 6) if lat else None
        longitude = round(float(lon), 6) if lon else None
    except ValueError:
        return error(fmt, 400, "lat/long: not numbers")
    email, media_url = _param(request, "email"), _param(request, "media_url")
    try:
        if email:
            EmailValidator()(email)
        if media_url:
            URLValidator(schemes=["http", "https"])(media_url)
    except ValidationError:
        return error(
            fmt, 400, ("email" if email and "@" not in email else "media_url") + ": not valid"
        )
    try:
        posted = actions.post_request(
            api_key=api_key,
            category=category,
            description=_param(request, "description"),
            latitude=latitude,
            longitude=longitude,
            address=address,
            address_id=address_id,
            attributes=_attributes(request),
            email=email,
            device_id=_param(request, "device_id"),
            account_id=_param(request, "account_id"),
            first_name=_param(request, "first_name"),
            last_name=_param(request, "last_name"),
            phone=_param(request, "phone"),
            media_url=media_url,
            jurisdiction_id=_param(request, "jurisdiction_id"),
        )
    except DomainError as exc:
        field = (exc.details or {}).get("field") or ""
        if field.startswith("attributes."):
            field = f"attribute[{field[len('attributes.') :]}]"
        else:
            field = SPEC_FIELDS.get(field, field)
        text = f"{field}: {exc.message} ({exc.code})" if field else f"{exc.message} ({exc.code})"
        return error(fmt, exc.http_status, text)
    data = [
        {
            "service_request_id": posted.appeal.code,
            "token": posted.token,
            "service_notice": "",
            "account_id": posted.account_id or None,
        }
    ]
    response = respond(fmt, data, root="service_requests", item="request", status=201)
    response.service_request_id = posted.appeal.code
    return response
