"""The one writer of work-item events (AppealEvent rows) and the declared payload of each kind.

Every event row comes from here: the verbs (through `verbs._common._event`), the deadline
sweep (`write_many`, in bulk), routing (links, 每月一题) and evaluation (督办). The writer
checks the payload against `PAYLOAD` (a key no timeline knows is a programming error) and hands
each event, once its transaction commits, to the MINHU_EVENT_HOOKS. Bulk loaders of history
(`evaluation/importer.py`, `evaluation/generate.py`) build rows for COPY/bulk_create and fire no
hooks on purpose: the history they load already happened.

The typed constructors below (`overdue`, `supervision`, `monthly_problem`, `link`) are for
events written outside the appeal verbs; the verbs pass their keys to `write` directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Appeal, AppealEvent, EventKind

# Keys of `data` per event kind: what the timelines (web/timeline.py, residents/timeline.py,
# the API) may read. Every event may also carry COMMON_KEYS.
COMMON_KEYS = frozenset({"integration"})
_ROUTING = {"confidence", "model_version", "rule", "top"}
_DISPATCH = {"lead", "lead_name", "assist", "assist_names", "round", *_ROUTING}
PAYLOAD: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        EventKind.REGISTER: {"channel", "attachments"},
        EventKind.CLASSIFY: {"changes", "source", "new_due", "community", *_ROUTING},
        EventKind.MERGE: {"child"},
        EventKind.MERGED_INTO: {"parent"},
        EventKind.LINK: {"link", "other", "other_id", "removed"},
        EventKind.DISPATCH: _DISPATCH,
        EventKind.AUTO_DISPATCH: _DISPATCH,
        EventKind.CLAIM: {"role", "late"},
        EventKind.RETURN: set(),
        EventKind.EXTENSION_REQUEST: {"days", "extension"},
        EventKind.EXTENSION_APPROVE: {"days", "extension", "old_due", "new_due"},
        EventKind.EXTENSION_DENY: {"days", "extension", "old_due", "new_due"},
        EventKind.WHISTLE: {"whistle", "departments", "department_names", "report_due"},
        EventKind.REPORT: {"summons", "on_time"},
        EventKind.ANSWER: {"summons", "on_time"},
        EventKind.CANCEL_SUMMONS: {"summons", "department_name"},
        EventKind.CONTACT: {"first", "on_time"},
        EventKind.PROGRESS: {"attachments"},
        EventKind.RESOLVE: {"attachments", "on_time", "outcome_kind"},
        EventKind.REPLY: {"via_parent"},
        EventKind.FOLLOW_UP: {
            "follow_up",
            "reached",
            "contacted",
            "solved",
            "satisfaction",
            "via_child",
        },
        EventKind.RATE: {"follow_up", "solved", "satisfaction", "via_child"},
        EventKind.REOPEN: {"reopen_count", "automatic"},
        EventKind.CLOSE: {"via_parent"},
        EventKind.OVERDUE: {"step", "due", "summons"},
        EventKind.ATTACH: {"attachments"},
        EventKind.SUPERVISE: {"action", "supervision", "auto", "due_at"},
        EventKind.MONTHLY_PROBLEM: {"monthly_problem", "action"},
        EventKind.EDIT: {"fields", "old"},
        EventKind.NOTE: set(),
    }.items()
}


def actor_name(actor) -> str:
    return "系统" if actor is None else str(actor)


def check_payload(kind: str, data: dict) -> None:
    unknown = set(data) - PAYLOAD.get(kind, frozenset()) - COMMON_KEYS
    if unknown:
        raise ValueError(f"event {kind!r}: undeclared payload keys {sorted(unknown)}")


def build(
    appeal: Appeal | int,
    kind: str,
    actor,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    unit=None,
    unit_id: int | None = None,
    actor_name_: str | None = None,
    created_at: dt.datetime | None = None,
    **data: Any,
) -> AppealEvent:
    """An unsaved event with its payload checked (for `write_many`)."""
    if getattr(actor, "is_integration", False):
        data["integration"] = actor.username  # an integration's identity on its events
    check_payload(kind, data)
    event = AppealEvent(
        kind=kind,
        actor=actor,
        actor_name=actor_name(actor) if actor_name_ is None else actor_name_,
        unit_id=unit.pk if unit is not None else unit_id,
        from_status=from_status,
        to_status=to_status or from_status,
        note=note,
        data=data,
    )
    if isinstance(appeal, Appeal):
        event.appeal = appeal
    else:
        event.appeal_id = appeal
    if created_at is not None:
        event.created_at = created_at
    return event


def fire(events: Sequence[AppealEvent]) -> None:
    """Hand each event to the MINHU_EVENT_HOOKS once the transaction commits."""
    for path in getattr(settings, "MINHU_EVENT_HOOKS", []):
        hook = import_string(path)
        for event in events:
            transaction.on_commit(lambda hook=hook, event=event: hook(event), robust=True)


def write(appeal: Appeal | int, kind: str, actor, **fields: Any) -> AppealEvent:
    """Write one event (inside the caller's transaction) and schedule its hooks."""
    event = build(appeal, kind, actor, **fields)
    event.save(force_insert=True)
    fire([event])
    return event


def write_many(events: Sequence[AppealEvent]) -> list[AppealEvent]:
    """Insert events built with `build` in one statement and schedule their hooks."""
    created = AppealEvent.objects.bulk_create(list(events))
    fire(created)
    return created


# --- typed constructors for events written outside the appeal verbs --------------------------


def overdue(
    appeal_id: int,
    *,
    status: str,
    unit_id: int | None,
    step: str,
    due: dt.datetime,
    at: dt.datetime,
    note: str,
    summons: int | None = None,
) -> AppealEvent:
    """超时: the deadline sweep found `step` (of the item, or of a summons) missed; unsaved,
    for write_many."""
    data: dict[str, Any] = {"step": step, "due": timezone.localtime(due).isoformat()}
    if summons is not None:
        data["summons"] = summons
    return build(
        appeal_id,
        EventKind.OVERDUE,
        None,
        from_status=status,
        unit_id=unit_id,
        note=note,
        created_at=at,
        **data,
    )


def supervision(
    appeal: Appeal, actor, note: str, *, action: str, supervision_id: int, **extra: Any
) -> AppealEvent:
    """督办 opened, closed or cancelled on an appeal (evaluation.actions)."""
    return write(
        appeal,
        EventKind.SUPERVISE,
        actor,
        from_status=appeal.status,
        unit_id=appeal.lead_unit_id,
        note=note,
        action=action,
        supervision=supervision_id,
        **extra,
    )


def monthly_problem(appeal: Appeal, actor, note: str, *, problem_id: int) -> AppealEvent:
    """每月一题: the appeal was put into a monthly problem (routing.actions)."""
    return write(
        appeal,
        EventKind.MONTHLY_PROBLEM,
        actor,
        from_status=appeal.status,
        note=note,
        monthly_problem=problem_id,
    )


def link(
    appeal: Appeal, actor, note: str, *, other: Appeal, link_id: int, removed: bool = False
) -> AppealEvent:
    """关联 / 取消关联 to another appeal (routing.actions)."""
    data: dict[str, Any] = {"other": other.code, "other_id": other.pk, "link": link_id}
    if removed:
        data["removed"] = True
    return write(appeal, EventKind.LINK, actor, from_status=appeal.status, note=note, **data)
