"""Bulk actions on the rows selected in a list (desk feature 2): 签收 on the workbench, 派单 to
one unit in the dispatch centre, 销号 in the follow-up queue, 标为已读 among notifications.

Each row goes through its own verb (and so its guard, its lock, its event and its own
transaction): a row that fails leaves the others done, and the result lists every row with
the verb's own message when it failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minhu.appeals import actions
from minhu.core.errors import DomainError, InvalidInput
from minhu.notifications import actions as notification_actions
from minhu.notifications.models import Notification

MAX_ROWS = 200  # one request; a page shows 50


@dataclass
class RowResult:
    pk: int
    code: str
    subject: str
    ok: bool
    message: str = ""
    appeal_id: int | None = None


@dataclass(frozen=True)
class BulkAction:
    label: Any
    page: str  # web.permissions.PAGE_ROLES key
    run: Callable[..., Any]  # run(pk, actor=..., **options): one row through its verb
    done: Any  # the message of a row that succeeded
    notifications: bool = False  # the ids are notifications, not appeals


def _claim(pk: int, *, actor, unit_id: int | None = None) -> None:
    actions.claim(pk, actor=actor, unit_id=unit_id)


def _dispatch(pk: int, *, actor, lead_unit=None) -> None:
    actions.dispatch(pk, actor=actor, lead_unit=lead_unit, note=_("批量派单"))


def _close(pk: int, *, actor) -> None:
    actions.close(pk, actor=actor)


def _read(pk: int, *, actor) -> None:
    notification_actions.mark_read(pk, actor=actor)


ACTIONS: dict[str, BulkAction] = {
    "claim": BulkAction(gettext_lazy("批量签收"), "workbench", _claim, gettext_lazy("已签收")),
    "dispatch": BulkAction(gettext_lazy("批量派单"), "dispatch", _dispatch, gettext_lazy("已派单")),
    "close": BulkAction(gettext_lazy("批量销号"), "follow_up", _close, gettext_lazy("已销号")),
    "read": BulkAction(
        gettext_lazy("标为已读"), "", _read, gettext_lazy("已标为已读"), notifications=True
    ),
}


def parse_ids(values) -> list[int]:
    ids = list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))
    if not ids:
        raise InvalidInput(_("请先勾选要处理的记录"), code="required", field="ids")
    if len(ids) > MAX_ROWS:
        raise InvalidInput(
            _("一次最多处理 %(n)s 条") % {"n": MAX_ROWS}, code="too_many_rows", field="ids"
        )
    return ids


def _labels(action: BulkAction, actor, ids: list[int]) -> dict[int, tuple[str, str, int | None]]:
    """(code, subject, appeal id) of each row the actor may see (the rest show only their id)."""
    if action.notifications:
        rows = Notification.objects.filter(pk__in=ids, recipient=actor).select_related("appeal")
        return {n.pk: (n.appeal.code if n.appeal_id else "", n.title, n.appeal_id) for n in rows}
    from minhu.appeals.access import appeals_visible_to

    rows = appeals_visible_to(actor).filter(pk__in=ids).only("code", "subject")
    return {a.pk: (a.code, a.subject, a.pk) for a in rows}


def run(name: str, *, actor, ids, **options) -> list[RowResult]:
    """Run bulk action `name` on each id, in the order given; one result per row."""
    action = ACTIONS[name]
    ids = parse_ids(ids)
    labels = _labels(action, actor, ids)
    results = []
    for pk in ids:
        code, subject, appeal_id = labels.get(pk, (f"#{pk}", "", None))
        try:
            action.run(pk, actor=actor, **options)
        except DomainError as exc:
            results.append(RowResult(pk, code, subject, False, exc.message, appeal_id))
        else:
            results.append(RowResult(pk, code, subject, True, str(action.done), appeal_id))
    return results
