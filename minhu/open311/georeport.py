"""GeoReport v2 documents built from Minhu's rows: services from the taxonomy, service
definitions from the per-category fields, service requests from resident appeals (public
fields only) and FixMyStreet's request updates from their public timeline.

Personal data never leaves through here: no appellant name, phone or e-mail, no staff names;
descriptions are the appeal's title with long digit runs masked; the exact address and the
coordinates only of requests that were themselves posted through Open311."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from minhu.appeals.kinds import RESIDENT_APPEAL
from minhu.appeals.models import OPEN_STATUSES, PUBLIC_EVENTS, Appeal, AppealEvent, Status
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


# What a published row needs, read as values (no model instances, no long texts).
ROW_FIELDS = (
    "id",
    "code",
    "status",
    "subject",
    "created_at",
    "updated_at",
    "resolve_due_at",
    "address",
    "latitude",
    "longitude",
    "category__name",
    "category__code",
    "lead_unit__name",
    "street__name",
    "open311__id",
    "open311__address_id",
    "open311__media_url",
)


def page_size(params) -> int:
    """`page_size` (Chicago's Open311 extension): 1..MINHU_OPEN311_MAX_REQUESTS, by default
    MINHU_OPEN311_PAGE_SIZE."""
    raw = (params.get("page_size") or "").strip()
    if not raw:
        return min(int(getattr(settings, "MINHU_OPEN311_PAGE_SIZE", 200)), max_requests())
    if not raw.isdigit() or not 1 <= int(raw) <= max_requests():
        raise BadParameter(f"page_size: a whole number from 1 to {max_requests()}")
    return int(raw)


def page_number(params) -> int:
    raw = (params.get("page") or "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise BadParameter("page: a whole number from 1")
    return int(raw)


def rows_of(
    qs: QuerySet[Appeal], start: int = 0, stop: int | None = None, since: dt.datetime | None = None
) -> list[dict]:
    """The public columns of `qs` with each one's newest public event, newest first, as value
    rows (one statement), rows start..stop; `since`: no appeal of `qs` is older."""
    qs = qs.annotate(newest_event=newest_public_event(since)).order_by("-created_at", "-id")
    return list(qs.values(*ROW_FIELDS, "newest_event")[start:stop])


def search(params) -> list[dict[str, Any]]:
    """GET requests: the spec's filters. `service_request_id` (a comma list) wins over the
    others; otherwise the window is start_date..end_date, by default the 90 days before
    end_date (or now), newest first, `page_size` rows (default MINHU_OPEN311_PAGE_SIZE, at
    most MINHU_OPEN311_MAX_REQUESTS) from `page`."""
    qs = public_appeals()
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        return rows_of(qs.filter(code__in=ids[:100]))
    now = timezone.now()
    start = params.get("start_date")
    end = params.get("end_date")
    start_at, end_at = window(start, end, now)
    size, page = page_size(params), page_number(params)
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
    return rows_of(qs, (page - 1) * size, page * size, since=start_at)


def newest_public_event(since: dt.datetime | None = None) -> Subquery:
    """The appeal's newest public event as {kind, unit, data}: one index probe per appeal
    (`appeal, created_at`, read backwards). An event is never older than its appeal: on
    PostgreSQL that prunes the event table's monthly partitions, at plan time to the months
    from `since` (the oldest appeal asked for) and per appeal at run time from its own time."""
    events = AppealEvent.objects.filter(
        appeal_id=OuterRef("pk"), kind__in=PUBLIC_EVENTS, created_at__gte=OuterRef("created_at")
    )
    if since is not None:
        events = events.filter(created_at__gte=since)
    return Subquery(
        events.order_by("-created_at", "-id").values(
            j=JSONObject(kind="kind", unit="unit__name", data="data")
        )[:1],
        output_field=TextField(),  # the JSON text: equal events give equal texts (memo key)
    )


class _Event:
    """What the public timeline reads of an event, from the subquery's row."""

    __slots__ = ("kind", "data", "created_at", "note", "unit_id", "unit")

    def __init__(self, kind: str, data: dict, unit_name: str | None):
        self.kind, self.data, self.created_at, self.note = kind, data or {}, None, ""
        self.unit_id = unit_name and -1  # truthy when there is a unit (only its name is read)
        self.unit = SimpleNamespace(name=unit_name) if unit_name else None


def status_note(newest: str | None) -> str:
    """The newest public timeline entry (the subquery's JSON text) as text (title: text),
    personal digits masked."""
    if not newest:
        return ""
    newest = json.loads(newest)
    data = newest.get("data") or {}
    if isinstance(data, str):  # SQLite nests the JSON column as text
        data = json.loads(data)
    item = timeline_item(_Event(newest["kind"], data, newest.get("unit")))
    if item is None:
        return ""
    return mask(f"{item.title}：{item.text}" if item.text else item.title)


def request_row(row: dict[str, Any], zone=None, notes: dict | None = None) -> dict[str, Any]:
    """One published request from a value row of `rows_of`/`search`; `notes` memoises the
    status notes of a page (many requests share their newest event's text)."""
    zone = zone or timezone.get_default_timezone()
    notes = {} if notes is None else notes
    newest = row["newest_event"]
    if newest not in notes:
        notes[newest] = status_note(newest)

    def iso(value: dt.datetime | None) -> str | None:
        return value.astimezone(zone).isoformat() if value is not None else None

    out: dict[str, Any] = {
        "service_request_id": row["code"],
        "status": open_closed(row["status"]),
        "status_notes": notes[newest],
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": mask(row["subject"]),
        "agency_responsible": row["lead_unit__name"],
        "service_notice": "",
        "requested_datetime": iso(row["created_at"]),
        "updated_datetime": iso(row["updated_at"]),
        "expected_datetime": iso(row["resolve_due_at"]) if row["status"] in OPEN_STATUSES else None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if row["open311__id"] is not None:  # posted through Open311: its own place is public
        out["address"] = mask(row["address"]) or None
        out["address_id"] = row["open311__address_id"] or None
        out["lat"] = float(row["latitude"]) if row["latitude"] is not None else None
        out["long"] = float(row["longitude"]) if row["longitude"] is not None else None
        out["media_url"] = row["open311__media_url"] or None
    elif row["street__name"]:
        out["address"] = row["street__name"]
    return out


def request_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    zone, notes = timezone.get_default_timezone(), {}
    return [request_row(r, zone, notes) for r in rows]


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
