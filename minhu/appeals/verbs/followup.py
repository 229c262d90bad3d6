"""Follow-up verbs: follow-up calls, rating, reopen, close; attachments and edits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from minhu.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from minhu.deadlines.models import Step
from minhu.deadlines.policies import due_at
from minhu.notifications.models import NotificationKind
from minhu.notifications.outbox import notify_units
from minhu.orgs.models import Role
from minhu.orgs.scope import scope_of

from .. import guards
from ..access import mask_phone
from ..kinds import kind_of
from ..models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    EventKind,
    FollowUp,
    FollowUpSource,
    Satisfaction,
    Status,
)
from . import _common
from ._common import (
    PHONE_RE,
    _event,
    _lock,
    _move,
    _require_centre,
    _save_attachments,
    _sync_clock,
    _text,
)

# --- follow-up, rating, reopen, close -------------------------------------------------------


def _current_round_follow_ups(appeal: Appeal):
    return FollowUp.objects.filter(appeal=appeal, round=appeal.reopen_count)


def _after_answer(appeal: Appeal, follow_up: FollowUp, actor) -> None:
    bad = follow_up.satisfaction == Satisfaction.UNSATISFIED or follow_up.solved is False
    if not bad:
        return
    if appeal.reopen_count >= settings.MINHU_MAX_REOPENS:
        # Reopened often enough: it stays answered and a leader decides (the centre may still
        # reopen it by hand).
        notify_units(
            NotificationKind.BADLY_RATED,
            appeal,
            [appeal.lead_unit_id],
            f"群众不满意：{appeal.subject}",
            follow_up.comment,
        )
    else:
        _reopen(
            appeal,
            actor,
            reason=f"群众评价：{follow_up.get_satisfaction_display() or '未解决'}"
            f"{'，' + follow_up.comment if follow_up.comment else ''}",
            automatic=True,
        )


@transaction.atomic
def record_follow_up(
    appeal: Appeal | int,
    *,
    actor,
    reached: bool = True,
    contacted: bool | None = None,
    solved: bool | None = None,
    satisfaction: str = "",
    comment: str = "",
    source: str = FollowUpSource.CALLBACK,
) -> FollowUp:
    """回访: the callback operator asks contacted? solved? satisfied? Unsolved or unsatisfied
    answers reopen the appeal (up to MINHU_MAX_REOPENS times)."""
    guards.require_follow_up_role(actor)
    target = _lock(appeal, actor)
    if target.status == Status.MERGED:
        # A merged appellant is called about their own appeal; the answer judges the parent's
        # handling (like their own rating, see `rate`).
        refusal = follow_up_refusal(target)
        if refusal is not None:
            raise refusal
        appeal = _lock(target.parent_id, actor)
    else:
        guards.check_follow_up(actor, target)
        appeal = target
    rated = target if target.pk != appeal.pk else None
    if source not in (FollowUpSource.CALLBACK, FollowUpSource.VISIT):
        raise InvalidInput(_("回访方式不正确"), code="invalid_choice", field="source")
    if reached:
        if contacted is None or solved is None or satisfaction not in Satisfaction.values:
            raise InvalidInput(_("请完整填写三项回访结果"), code="required", field="satisfaction")
    else:
        contacted, solved, satisfaction = None, None, ""
    fu = FollowUp.objects.create(
        appeal=appeal,
        rated_appeal=rated,
        source=source,
        unit_id=appeal.lead_unit_id,
        round=appeal.reopen_count,
        reached=reached,
        contacted=contacted,
        solved=solved,
        satisfaction=satisfaction,
        comment=(comment or "").strip()[:2000],
        actor=actor,
    )
    if reached:
        target.satisfaction, target.solved = satisfaction, solved
        target.save(update_fields=["satisfaction", "solved", "updated_at"])
    answer = {
        "note": comment,
        "follow_up": fu.pk,
        "reached": reached,
        "contacted": contacted,
        "solved": solved,
        "satisfaction": satisfaction,
    }
    _event(target, EventKind.FOLLOW_UP, actor, from_status=target.status, **answer)
    if rated is not None:
        _event(
            appeal,
            EventKind.FOLLOW_UP,
            actor,
            from_status=appeal.status,
            via_child=target.code,
            **answer,
        )
    if reached:
        _after_answer(appeal, fu, actor)
    return fu


def follow_up_refusal(appeal: Appeal) -> IllegalTransition | None:
    """The guard of `record_follow_up` on the appeal's state (pages call it too): a replied
    appeal, or a merged appeal whose parent was answered (its appellant is called in turn)."""
    if appeal.status == Status.REPLIED:
        return None
    if (
        appeal.status == Status.MERGED
        and appeal.replied_at
        and Appeal.objects.filter(pk=appeal.parent_id, status=Status.REPLIED).exists()
    ):
        return None
    return IllegalTransition(_("只有已答复的诉求可以回访"))


MAX_UNREACHED = 3


def _answered(follow_ups, rated_id: int | None) -> bool:
    mine = [f for f in follow_ups if f.rated_appeal_id == rated_id]
    return any(f.reached for f in mine) or sum(1 for f in mine if not f.reached) >= MAX_UNREACHED


def close_refusal(appeal: Appeal, follow_ups=None) -> IllegalTransition | None:
    """The guard of `close` on the follow-ups (pages call it too): in this round the appellant
    answered (a callback, a visit or their own rating) or was called three times in vain — and
    so was every merged appellant who left a phone number and was answered."""
    if not kind_of(appeal).follow_up_to_close:
        return None  # a kind that closes without a follow-up call
    if follow_ups is None:
        follow_ups = list(_current_round_follow_ups(appeal))
    current = [f for f in follow_ups if f.round == appeal.reopen_count]
    if not _answered(current, None):
        return IllegalTransition(
            _("尚未回访，不能销号（三次未接通可销号）"), code="follow_up_required"
        )
    waiting = [
        code
        for pk, code in Appeal.objects.filter(
            parent=appeal, status=Status.MERGED, replied_at__isnull=False
        )
        .exclude(appellant_phone="")
        .values_list("pk", "code")
        if not _answered(current, pk)
    ]
    if waiting:
        return IllegalTransition(
            _("合并的诉求人尚未回访：%(codes)s") % {"codes": "、".join(waiting)},
            code="merged_follow_up_required",
        )
    return None


def check_appellant(appeal: Appeal, phone: str | None) -> None:
    """Named appeals are only shown or rated with the phone they were filed with."""
    if appeal.appellant_kind == AppellantKind.ANONYMOUS:
        return
    if (phone or "").strip().replace(" ", "") != appeal.appellant_phone:
        raise NotFound(_("查询码或手机号不正确"))


@transaction.atomic
def rate(
    code: str,
    *,
    actor=None,
    phone: str | None = None,
    satisfaction: str,
    solved: bool | None = None,
    comment: str = "",
) -> FollowUp:
    """群众评价: the appellant rates the answer through their tracking code. 不满意 reopens."""
    try:
        ref = Appeal.objects.values("pk", "parent_id").get(code=(code or "").strip().upper())
    except Appeal.DoesNotExist:
        raise NotFound(_("查询码或手机号不正确"))
    # Lock order everywhere: the parent before its merged children (as reply and close do).
    parent = (
        Appeal.objects.select_for_update().get(pk=ref["parent_id"]) if ref["parent_id"] else None
    )
    target = Appeal.objects.select_for_update().get(pk=ref["pk"])
    check_appellant(target, phone)
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(_("请选择满意度"), code="required", field="satisfaction")
    if target.parent_id != ref["parent_id"]:
        raise Conflict(_("诉求刚被合并，请重试"), code="retry")
    appeal = parent or target
    guards.check_rate(appeal, target)
    if solved is None:
        solved = satisfaction != Satisfaction.UNSATISFIED
    fu = FollowUp.objects.create(
        appeal=appeal,
        rated_appeal=target if target.pk != appeal.pk else None,
        source=FollowUpSource.RESIDENT,
        unit_id=appeal.lead_unit_id,
        round=appeal.reopen_count,
        reached=True,
        solved=solved,
        satisfaction=satisfaction,
        comment=comment.strip()[:2000],
    )
    target.satisfaction, target.solved = satisfaction, solved
    target.save(update_fields=["satisfaction", "solved", "updated_at"])
    _event(
        target,
        EventKind.RATE,
        None,
        from_status=target.status,
        note=comment,
        actor_name="群众",
        satisfaction=satisfaction,
        solved=solved,
        follow_up=fu.pk,
    )
    if target.pk != appeal.pk:
        _event(
            appeal,
            EventKind.RATE,
            None,
            from_status=appeal.status,
            note=comment,
            actor_name="群众",
            satisfaction=satisfaction,
            solved=solved,
            follow_up=fu.pk,
            via_child=target.code,
        )
    _after_answer(appeal, fu, None)
    return fu


def _reopen(appeal: Appeal, actor, *, reason: str, automatic: bool = False) -> Appeal:
    old = _move(appeal, Status.IN_PROGRESS)
    now = _common._now()
    appeal.reopen_count += 1
    appeal.resolve_due_at = due_at(Step.RESOLVE, now, appeal.category, appeal.urgency, appeal.kind)
    appeal.resolved_at = None
    appeal.replied_at = None
    _sync_clock(appeal)
    appeal.save(
        update_fields=[
            "status",
            "reopen_count",
            "resolve_due_at",
            "resolved_at",
            "replied_at",
            "current_step",
            "current_due_at",
            "updated_at",
        ]
    )
    Assignment.objects.filter(appeal=appeal, active=True, role=AssignmentRole.LEAD).update(
        status=AssignmentStatus.CLAIMED
    )
    _event(
        appeal,
        EventKind.REOPEN,
        actor,
        from_status=old,
        to_status=Status.IN_PROGRESS,
        note=reason,
        unit_id=appeal.lead_unit_id,
        automatic=automatic,
        reopen_count=appeal.reopen_count,
    )
    notify_units(
        NotificationKind.BADLY_RATED,
        appeal,
        [appeal.lead_unit_id],
        f"重办：{appeal.subject}",
        reason,
        sms=True,
    )
    return appeal


@transaction.atomic
def reopen(appeal: Appeal | int, *, actor, reason: str) -> Appeal:
    """重办: the centre sends a resolved or replied appeal back to the lead unit."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    guards.check_reopen(actor, appeal)
    reason = _text(reason, "reason", _("重办理由"), min_len=4, max_len=2000)
    return _reopen(appeal, actor, reason=reason)


@transaction.atomic
def close(appeal: Appeal | int, *, actor, note: str = "") -> Appeal:
    """销号: tick it off the ledger once the appellant was followed up."""
    _require_centre(actor)
    appeal = _lock(appeal, actor)
    guards.check_close(actor, appeal, guards.ItemState(appeal))
    refusal = close_refusal(appeal)  # merged appellants followed up too
    if refusal is not None:
        raise refusal
    now = _common._now()
    old = _move(appeal, Status.CLOSED)
    appeal.closed_at = now
    _sync_clock(appeal)
    appeal.save(
        update_fields=["status", "closed_at", "current_step", "current_due_at", "updated_at"]
    )
    _event(appeal, EventKind.CLOSE, actor, from_status=old, to_status=Status.CLOSED, note=note)
    for child in Appeal.objects.select_for_update().filter(parent=appeal):
        child.closed_at = now
        child.save(update_fields=["closed_at", "updated_at"])
        _event(
            child,
            EventKind.CLOSE,
            actor,
            from_status=child.status,
            note=note,
            via_parent=appeal.code,
        )
    return appeal


@transaction.atomic
def add_attachments(appeal: Appeal | int, *, actor, files: Sequence) -> list[Attachment]:
    """Photos added by a unit working on the appeal."""
    appeal = _lock(appeal, actor)
    unit = guards.check_attach(actor, appeal, guards.ItemState(appeal))
    if not files:
        raise InvalidInput(_("请选择图片"), code="required", field="files")
    saved = _save_attachments(appeal, files, actor, by_handler=True)
    _event(
        appeal,
        EventKind.ATTACH,
        actor,
        from_status=appeal.status,
        unit_id=unit,
        attachments=[a.pk for a in saved],
    )
    return saved


# Descriptive fields an administrator may correct (typos, a wrong phone number). Category,
# urgency, place and everything about the loop change only through the verbs above.
EDITABLE_FIELDS = (
    "subject",
    "detail",
    "address",
    "appellant_name",
    "appellant_phone",
    "enterprise_name",
    "latitude",
    "longitude",
    "collection_point",
    "about_unit",
)


edit_refusal = guards.edit_refusal  # the guard of `edit_details` on the item's state


@transaction.atomic
def edit_details(appeal: Appeal | int, *, actor, note: str = "", **changes: Any) -> Appeal:
    """修改信息: the centre corrects descriptive fields (EDITABLE_FIELDS) until 销号. The event
    records which fields changed and their old values."""
    _require_centre(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("这些字段不能在此修改：%(fields)s") % {"fields": _("、").join(sorted(unknown))},
            code="not_editable",
        )
    appeal = _lock(appeal, actor)
    guards.check_edit(actor, appeal)
    if "subject" in changes:
        changes["subject"] = _text(changes["subject"], "subject", _("标题"), min_len=2, max_len=200)
    if "detail" in changes:
        changes["detail"] = _text(changes["detail"], "detail", _("诉求内容"), min_len=5)
    for name, size in (("address", 200), ("appellant_name", 60), ("enterprise_name", 100)):
        if name in changes:
            changes[name] = (changes[name] or "").strip()[:size]
    if "appellant_phone" in changes:
        phone = (changes["appellant_phone"] or "").strip().replace(" ", "")
        if appeal.appellant_kind == AppellantKind.ANONYMOUS and phone:
            raise InvalidInput(_("匿名诉求不能填写电话"), code="anonymous", field="appellant_phone")
        if appeal.appellant_kind != AppellantKind.ANONYMOUS and not PHONE_RE.match(phone):
            raise InvalidInput(
                _("联系电话格式不正确"), code="invalid_phone", field="appellant_phone"
            )
        changes["appellant_phone"] = phone
    lat = changes.get("latitude", appeal.latitude)
    lon = changes.get("longitude", appeal.longitude)
    if (lat is None) != (lon is None):
        raise InvalidInput(_("经纬度需同时填写"), code="invalid_coordinates", field="latitude")
    if lat is not None and not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        raise InvalidInput(_("经纬度超出范围"), code="invalid_coordinates", field="latitude")
    old: dict[str, Any] = {}
    for name, value in changes.items():
        attname = Appeal._meta.get_field(name).attname
        current = getattr(appeal, attname)
        new = value.pk if hasattr(value, "pk") else value
        if current != new:
            old[name] = current if isinstance(current, (str, int, type(None))) else str(current)
            setattr(appeal, attname, new)
    if "appellant_phone" in old:
        # Events are shown to units that may not see the appellant's phone: keep it masked.
        old["appellant_phone"] = mask_phone(old["appellant_phone"] or "")
    if not old:
        return appeal
    appeal.save(update_fields=[Appeal._meta.get_field(n).attname for n in old] + ["updated_at"])
    _event(
        appeal,
        EventKind.EDIT,
        actor,
        from_status=appeal.status,
        note=(note or "").strip()[:500],
        fields=sorted(old),
        old=old,
    )
    return appeal


NOTE_ROLES = (Role.DISTRICT_LEADER, Role.UNIT_LEADER, Role.ADMIN)


def may_add_note(actor) -> bool:
    """The guard of `add_note` on the actor (pages call it too)."""
    return actor is not None and scope_of(actor).has_role(*NOTE_ROLES)


@transaction.atomic
def add_note(appeal: Appeal | int, *, actor, text: str) -> AppealEvent:
    """领导备注: a leader appends a note to the record (the only correction after 销号). The
    record itself is not changed; the note is an event of its own, shown on the timeline."""
    if not may_add_note(actor):
        raise PermissionDenied(_("只有领导可以追加备注"))
    appeal = _lock(appeal, actor)
    text = _text(text, "text", _("备注"), min_len=4, max_len=2000)
    return _event(appeal, EventKind.NOTE, actor, from_status=appeal.status, note=text)
