"""GeoReport v2 documents built from Minhu's rows: services from the taxonomy, service
definitions from the per-category fields, service requests from resident appeals (public
fields only) and FixMyStreet's request updates from their public timeline.

Personal data never leaves through here: no appellant name, phone or e-mail, no staff names;
descriptions are the appeal's title with long digit runs masked; the exact address and the
coordinates only of requests that were themselves posted through Open311."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from minhu.appeals.kinds import RESIDENT_APPEAL
from minhu.appeals.models import PUBLIC_EVENTS, Appeal, AppealEvent, Status
from minhu.categories.fields import categories_with_fields, fields_for
from minhu.categories.models import Category, FieldType
from minhu.core.times import local_iso
from minhu.residents.timeline import _item as timeline_item

SPEC = "http://wiki.open311.org/GeoReport_v2"
CLOSED = (Status.CLOSED, Status.MERGED)
DEFAULT_DAYS = 90
DATATYPES = {
    FieldType.TEXT: "string",
    FieldType.NUMBER: "number",
    FieldType.SINGLE: "singlevaluelist",
    FieldType.MULTI: "multivaluelist",
    FieldType.DATE: "datetime",
}
DIGITS_RE = re.compile(r"\d{7,}")


class BadParameter(ValueError):
    """A query parameter the spec's rules refuse (answered 400)."""


def max_requests() -> int:
    return int(getattr(settings, "MINHU_OPEN311_MAX_REQUESTS", 1000))


def mask(text: str) -> str:
    """Long digit runs (phone, ID numbers) as their first three digits and ****."""
    return DIGITS_RE.sub(lambda m: m.group()[:3] + "****", text or "")


def open_closed(status: str) -> str:
    return "closed" if status in CLOSED else "open"


# --- services -------------------------------------------------------------------------------


def service_categories() -> list[Category]:
    """Active leaf categories: second-level ones and first-level ones without children."""
    cats = list(Category.objects.filter(active=True).select_related("parent"))
    parents = {c.parent_id for c in cats if c.parent_id}
    return [
        c
        for c in cats
        if (c.parent_id is None and c.pk not in parents)
        or (c.parent_id is not None and c.parent.active)
    ]


def services() -> list[dict[str, Any]]:
    cats = service_categories()
    with_fields = categories_with_fields([c.pk for c in cats])
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": str(c),
            "metadata": c.pk in with_fields,
            "type": "realtime",
            "keywords": ",".join(c.keyword_list()),
            "group": c.parent.name if c.parent_id else c.name,
        }
        for c in cats
    ]


def find_service(code: str) -> Category | None:
    for c in service_categories():
        if c.code == code:
            return c
    return None


def definition(category: Category) -> dict[str, Any]:
    attributes = []
    for i, f in enumerate(fields_for(category), start=1):
        attr: dict[str, Any] = {
            "variable": True,
            "code": f.code,
            "datatype": DATATYPES[f.datatype],
            "required": f.required,
            "datatype_description": f.help_text,
            "order": i,
            "description": f.label,
        }
        if f.is_choice:
            attr["values"] = [{"key": k, "name": n} for k, n in f.option_list()]
        attributes.append(attr)
    return {"service_code": category.code, "attributes": attributes}


# --- requests -------------------------------------------------------------------------------


def parse_when(value: str, name: str, *, end: bool = False) -> dt.datetime:
    """A W3C datetime (a bare date: its start, or its end for end_date), in the server's zone
    when it has no offset."""
    value = (value or "").strip().replace(" ", "+")  # a raw '+' in a query string is a space
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value) if len(value) == 10 else None
        if day is None:
            raise BadParameter(f"{name}: not a W3C datetime (e.g. 2026-12-07T10:00:00+08:00)")
        parsed = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def window(start: str | None, end: str | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The spec's date range: at most 90 days; without dates the 90 days before end_date (or
    now); start_date alone: the 90 days from it (to now at the latest)."""
    span = dt.timedelta(days=DEFAULT_DAYS)
    end_at = parse_when(end, "end_date", end=True) if end else None
    start_at = parse_when(start, "start_date") if start else None
    if start_at is None:
        end_at = end_at or now
        start_at = end_at - span
    elif end_at is None:
        end_at = min(now, start_at + span)
    if start_at > end_at:
        raise BadParameter("start_date is after end_date")
    if end_at - start_at > span + dt.timedelta(days=1):
        raise BadParameter("start_date to end_date may not span more than 90 days")
    return start_at, end_at


def public_appeals() -> QuerySet[Appeal]:
    """What Open311 publishes: the residents' appeals (no internal work items)."""
    return Appeal.objects.filter(kind=RESIDENT_APPEAL)


def search(params) -> list[Appeal]:
    """GET requests: the spec's filters. `service_request_id` (a comma list) wins over the
    others; otherwise the window is start_date..end_date, by default the 90 days before
    end_date (or now), newest first, at most MINHU_OPEN311_MAX_REQUESTS."""
    qs = public_appeals()
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(code__in=ids[:100])
    else:
        now = timezone.now()
        start = params.get("start_date")
        end = params.get("end_date")
        start_at, end_at = window(start, end, now)
        qs = qs.filter(created_at__gte=start_at, created_at__lte=end_at)
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(Q(category__code__in=codes) | Q(category__parent__code__in=codes))
        wanted = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
        if wanted:
            if set(wanted) - {"open", "closed"}:
                raise BadParameter("status: open or closed")
            if wanted == ["open"]:
                qs = qs.exclude(status__in=CLOSED)
            elif wanted == ["closed"]:
                qs = qs.filter(status__in=CLOSED)
    qs = qs.select_related("category", "lead_unit", "street", "open311").order_by(
        "-created_at", "-id"
    )
    return list(qs[: max_requests()])


def latest_notes(appeals: Iterable[Appeal]) -> dict[int, str]:
    """{appeal id: its newest public timeline entry as text}, in one query."""
    ids = [a.pk for a in appeals]
    if not ids:
        return {}
    notes: dict[int, str] = {}
    events = (
        AppealEvent.objects.filter(appeal_id__in=ids, kind__in=PUBLIC_EVENTS)
        .select_related("unit")
        .order_by("appeal_id", "-created_at", "-id")
    )
    for e in events:
        if e.appeal_id in notes:
            continue
        item = timeline_item(e)
        if item is not None:
            notes[e.appeal_id] = mask(f"{item.title}：{item.text}" if item.text else item.title)
    return notes


def _posted(appeal: Appeal):
    try:
        return appeal.open311
    except Appeal.open311.RelatedObjectDoesNotExist:
        return None


def request_row(appeal: Appeal, notes: dict[int, str]) -> dict[str, Any]:
    posted = _posted(appeal)
    cat = appeal.category
    row: dict[str, Any] = {
        "service_request_id": appeal.code,
        "status": open_closed(appeal.status),
        "status_notes": notes.get(appeal.pk, ""),
        "service_name": cat.name if cat else None,
        "service_code": cat.code if cat else None,
        "description": mask(appeal.subject),
        "agency_responsible": appeal.lead_unit.name if appeal.lead_unit_id else None,
        "service_notice": "",
        "requested_datetime": local_iso(appeal.created_at),
        "updated_datetime": local_iso(appeal.updated_at),
        "expected_datetime": local_iso(appeal.resolve_due_at) if appeal.is_open else None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if posted is not None:
        row["address"] = mask(appeal.address) or None
        row["address_id"] = posted.address_id or None
        row["lat"] = float(appeal.latitude) if appeal.latitude is not None else None
        row["long"] = float(appeal.longitude) if appeal.longitude is not None else None
        row["media_url"] = posted.media_url or None
    elif appeal.street_id:
        row["address"] = appeal.street.name
    return row


def request_rows(appeals: list[Appeal]) -> list[dict[str, Any]]:
    notes = latest_notes(appeals)
    return [request_row(a, notes) for a in appeals]


# --- updates (FixMyStreet's servicerequestupdates) ------------------------------------------


def updates(api_key, start_at: dt.datetime, end_at: dt.datetime) -> list[dict[str, Any]]:
    """The public updates, in the window, of the requests `api_key` posted, oldest first."""
    events = list(
        AppealEvent.objects.filter(
            appeal__open311__api_key=api_key,
            kind__in=PUBLIC_EVENTS,
            created_at__gte=start_at,
            created_at__lte=end_at,
        )
        .select_related("unit", "appeal")
        .order_by("created_at", "id")[: max_requests()]
    )
    # The status after each event: its to_status, else the last one before it.
    status_before = _status_before(events)
    rows = []
    for e in events:
        status = e.to_status or status_before.get(e.appeal_id) or Status.NEW
        status_before[e.appeal_id] = status
        item = timeline_item(e)
        if item is None:
            continue
        text = f"{item.title}：{item.text}" if item.text else item.title
        if item.quote:
            text = f"{text}{item.quote}"
        rows.append(
            {
                "update_id": str(e.pk),
                "service_request_id": e.appeal.code,
                "status": open_closed(status),
                "updated_datetime": local_iso(e.created_at),
                "description": mask(text),
                "media_url": "",
            }
        )
    return rows


def _status_before(events: list[AppealEvent]) -> dict[int, str]:
    firsts: dict[int, AppealEvent] = {}
    for e in events:
        firsts.setdefault(e.appeal_id, e)
    out: dict[int, str] = {}
    for appeal_id, first in firsts.items():
        prev = (
            AppealEvent.objects.filter(appeal_id=appeal_id, created_at__lt=first.created_at)
            .exclude(to_status="")
            .order_by("-created_at", "-id")
            .values_list("to_status", flat=True)
            .first()
        )
        if prev:
            out[appeal_id] = prev
    return out
