"""Verbs of the WeChat-group channel. Each is one transaction. The register verbs write the
configuration audit row (`core.audit`); `register_message` turns a message a keeper pasted or
forwarded into a work item through `appeals.actions.register_appeal` (channel `wechat_group`,
kind `wechat_message`), or — when the same message came in before and its item is still open —
records it against that item instead of opening a second one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import OPEN_STATUSES, AppellantKind
from minhu.core import audit
from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import Membership, Unit, UnitKind, User

from . import access
from .models import CHANNEL, KIND, GroupMessage, GroupRecord, RecordKind, WechatGroup

GROUP_FIELDS = ("name", "keeper", "member_count", "active", "note")
DUPLICATE_DAYS = 30
MAX_MEMBERS = 500  # a WeChat group holds at most 500 members


# --- guards (pages ask them too) -----------------------------------------------------------


def check_manage(actor, unit: Unit) -> None:
    if actor is None or not access.may_manage(actor, unit):
        raise PermissionDenied(_("您无权维护该网格的微信群"))


def check_post(actor, group: WechatGroup) -> None:
    """The keeper or the group's managers register its messages and records, while it is in
    use."""
    if actor is None or not access.may_post(actor, group):
        raise PermissionDenied(_("只有群主或所属网格、社区的工作人员可以登记群消息"))
    if not group.active:
        raise InvalidInput(_("该群已停用"), code="inactive_group", field="group")


# --- the register ----------------------------------------------------------------------------


def _place(unit: Unit) -> dict[str, Unit | None]:
    if unit.kind not in access.GROUP_UNIT_KINDS:
        raise InvalidInput(_("微信群只能登记在网格或社区（村）"), code="invalid_unit", field="unit")
    grid = unit if unit.kind == UnitKind.GRID else None
    community = unit.parent if grid else unit
    if community is None or community.kind not in (UnitKind.COMMUNITY, UnitKind.VILLAGE):
        raise InvalidInput(_("该网格不属于任何社区（村）"), code="invalid_unit", field="unit")
    return {
        "grid": grid,
        "community": community,
        "street": community.ancestor_of_kind(UnitKind.STREET, UnitKind.TOWN),
    }


def _check_keeper(keeper, unit: Unit) -> User:
    """The keeper is a member of the group's unit (a community group's: of the community or one
    of its grids)."""
    if keeper in (None, "", 0):
        raise InvalidInput(_("请选择群主/管理员"), code="required", field="keeper")
    pk = keeper.pk if isinstance(keeper, User) else keeper
    units = [unit.pk]
    if unit.kind != UnitKind.GRID:
        units += list(Unit.objects.filter(parent=unit).values_list("pk", flat=True))
    m = (
        Membership.objects.filter(user_id=pk, unit_id__in=units, active=True, user__is_active=True)
        .select_related("user")
        .first()
        if str(pk).isdigit()
        else None
    )
    if m is None:
        raise InvalidInput(
            _("群主须是本网格（社区）的工作人员"), code="invalid_keeper", field="keeper"
        )
    return m.user


def _check_members(value) -> int:
    try:
        n = int(value or 0)
    except (TypeError, ValueError):
        raise InvalidInput(_("群成员数须是整数"), code="invalid", field="member_count")
    if not 0 <= n <= MAX_MEMBERS:
        raise InvalidInput(
            _("群成员数须在0到%(n)d之间") % {"n": MAX_MEMBERS},
            code="out_of_range",
            field="member_count",
        )
    return n


def _unique_name(unit: Unit, name: str, exclude: int | None = None) -> None:
    qs = WechatGroup.objects.filter(unit=unit, name=name)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise InvalidInput(_("该网格已有同名的群"), code="duplicate_group", field="name")


@transaction.atomic
def create_group(
    *, actor, unit: Unit, name: str, keeper, member_count=0, note: str = ""
) -> WechatGroup:
    """登记微信群 on a grid or community, with the staff member who keeps it."""
    if not isinstance(unit, Unit):
        raise InvalidInput(_("请选择所属网格或社区"), code="required", field="unit")
    check_manage(actor, unit)
    place = _place(unit)
    clean = audit.clean_fields(WechatGroup, {"name": name, "note": note or ""})
    if len(clean["name"]) < 2:
        raise InvalidInput(_("群名称至少2个字"), code="too_short", field="name")
    _unique_name(unit, clean["name"])
    group = WechatGroup.objects.create(
        unit=unit,
        keeper=_check_keeper(keeper, unit),
        member_count=_check_members(member_count),
        **place,
        **clean,
    )
    audit.record_created(actor, group, GROUP_FIELDS)
    return group


@transaction.atomic
def update_group(group: WechatGroup | int, *, actor, **values: Any) -> WechatGroup:
    """修改群信息 (name, keeper, member count, note), or take it off (active=False)."""
    group = audit.lock(WechatGroup, group)
    check_manage(actor, group.unit)
    audit.check_editable(values, GROUP_FIELDS)
    clean = audit.clean_fields(WechatGroup, {k: v for k, v in values.items() if k != "keeper"})
    if "keeper" in values:
        clean["keeper"] = _check_keeper(values["keeper"], group.unit)
    if "member_count" in values:
        clean["member_count"] = _check_members(values["member_count"])
    if "name" in clean:
        if len(clean["name"]) < 2:
            raise InvalidInput(_("群名称至少2个字"), code="too_short", field="name")
        _unique_name(group.unit, clean["name"], group.pk)
    audit.save_changes(actor, group, GROUP_FIELDS, clean)
    return group


# --- messages ----------------------------------------------------------------------------------

_HEAD_TIME = re.compile(
    r"^(?P<name>[^\s:：]{1,20})\s+(?P<date>(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*)?)"
    r"(?P<time>\d{1,2}:\d{2})(?::\d{2})?\s*$"
)
_HEAD_COLON = re.compile(r"^(?P<name>[^\s:：]{1,20})[:：]\s*(?P<body>\S.*)$")


def parse_forwarded(text: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """A message as WeChat copies it: "昵称 2026-12-01 09:30" (or "昵称 09:30") on the first line
    and the text below, or "昵称：text". Returns {sender, posted_at, text}; the text alone when
    neither shape matches."""
    text = (text or "").strip()
    lines = text.splitlines()
    out: dict[str, Any] = {"sender": "", "posted_at": None, "text": text}
    if not lines:
        return out
    head = lines[0].strip()
    m = _HEAD_TIME.match(head)
    if m and len(lines) > 1:
        day = today or timezone.localdate()
        date = re.sub(r"[年月/.]", "-", m["date"].strip().rstrip("日")) if m["date"] else ""
        try:
            d = dt.date.fromisoformat(
                "-".join(f"{int(x):02d}" for x in date.split("-")) if date else day.isoformat()
            )
            hh, mm = (int(x) for x in m["time"].split(":"))
            posted = timezone.make_aware(dt.datetime.combine(d, dt.time(hh, mm)))
        except ValueError:
            posted = None
        if posted is not None and not m["date"] and posted > timezone.now():
            posted -= dt.timedelta(days=1)  # a time alone, later than now: yesterday's
        if posted is not None:
            return {
                "sender": m["name"],
                "posted_at": posted,
                "text": "\n".join(lines[1:]).strip(),
            }
    m = _HEAD_COLON.match(head)
    if m and not re.match(r"^\d", m["name"]):
        return {
            "sender": m["name"],
            "posted_at": None,
            "text": "\n".join([m["body"], *lines[1:]]).strip(),
        }
    return out


def digest(text: str) -> str:
    """The same message however it was copied: letters and digits only, NFKC, lower case."""
    norm = unicodedata.normalize("NFKC", text or "").lower()
    core = "".join(ch for ch in norm if ch.isalnum())
    return hashlib.sha1(core.encode()).hexdigest()


def find_repeat(group: WechatGroup, text: str, *, now=None) -> GroupMessage | None:
    """The first message of the same text in the group's community in the last DUPLICATE_DAYS
    days whose work item is still open."""
    now = now or timezone.now()
    return (
        GroupMessage.objects.filter(
            digest=digest(text),
            group__community_id=group.community_id,
            duplicate_of__isnull=True,
            created_at__gte=now - dt.timedelta(days=DUPLICATE_DAYS),
            appeal__status__in=OPEN_STATUSES,
        )
        .select_related("appeal")
        .order_by("id")
        .first()
    )


def _subject(text: str) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    first = re.split(r"[。！？!?]", first)[0].strip() or first
    return first[:40]


@transaction.atomic
def register_message(
    *,
    actor,
    group: WechatGroup | int,
    text: str,
    sender: str = "",
    sender_phone: str = "",
    posted_at: dt.datetime | None = None,
    subject: str = "",
    grid: Unit | None = None,
    category=None,
) -> GroupMessage:
    """登记群消息: the message and its work item, in one transaction. A message repeating an open
    one of the same community (same text, last 30 days) joins that one's item
    (`duplicate_of` set, no new item). Without a phone the item is anonymous: the answer goes
    back through the group."""
    try:
        group = WechatGroup.objects.select_for_update().get(
            pk=group.pk if isinstance(group, WechatGroup) else group
        )
    except (WechatGroup.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if not access.groups_visible_to(actor).filter(pk=group.pk).exists():
        raise NotFound()
    check_post(actor, group)
    if not sender and not posted_at:
        parsed = parse_forwarded(text)
        sender, posted_at, text = parsed["sender"], parsed["posted_at"], parsed["text"]
    text = (text or "").strip()
    if len(text) < 5:
        raise InvalidInput(_("群消息至少5个字"), code="too_short", field="text")
    if len(text) > 5000:
        raise InvalidInput(_("群消息不能超过5000字"), code="too_long", field="text")
    sender = (sender or "").strip()[:40]
    phone = (sender_phone or "").strip().replace(" ", "")
    if phone and not appeal_actions.PHONE_RE.match(phone):
        raise InvalidInput(_("联系电话格式不正确"), code="invalid_phone", field="sender_phone")
    if posted_at is not None and posted_at > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput(_("发送时间不能晚于现在"), code="in_future", field="posted_at")
    if grid is not None and (
        grid.kind != UnitKind.GRID
        or (group.grid_id and grid.pk != group.grid_id)
        or grid.parent_id != group.community_id
    ):
        raise InvalidInput(_("所选网格不属于该群所在社区"), code="invalid_grid", field="grid")
    message = GroupMessage(
        group=group,
        sender=sender,
        sender_phone=phone,
        text=text,
        posted_at=posted_at,
        digest=digest(text),
        registered_by=actor,
    )
    first = find_repeat(group, text)
    if first is not None:
        message.duplicate_of = first
        message.appeal = first.appeal
        message.save()
        return message
    message.save()
    message.appeal = appeal_actions.register_appeal(
        actor=actor,
        kind=KIND,
        source=message,
        channel=CHANNEL,
        subject=(subject or "").strip() or _subject(text),
        detail=_("（%(group)s 群消息）") % {"group": group.name}
        + (f"{sender}：" if sender else "")
        + text,
        appellant_kind=AppellantKind.PERSON if phone else AppellantKind.ANONYMOUS,
        appellant_name=sender,
        appellant_phone=phone,
        grid=grid or group.grid,
        category=category,
    )
    message.save(update_fields=["appeal"])
    return message


@transaction.atomic
def mark_answered(message: GroupMessage | int, *, actor) -> int:
    """已在群内回复: the keeper posted the item's answer back into the group. Marks every
    message of the group on the same item; returns how many."""
    message = audit.lock(GroupMessage, message)
    group = message.group
    if not access.groups_visible_to(actor).filter(pk=group.pk).exists():
        raise NotFound()
    check_post(actor, group)
    if message.appeal is None or message.appeal.replied_at is None:
        raise InvalidInput(_("承办单位尚未答复，答复后再回复到群里"), code="not_replied")
    if message.answered_at is not None:
        raise InvalidInput(_("已在群内回复过"), code="already_answered")
    return GroupMessage.objects.filter(
        group=group, appeal_id=message.appeal_id, answered_at__isnull=True
    ).update(answered_at=timezone.now())


@transaction.atomic
def add_record(
    *,
    actor,
    group: WechatGroup | int,
    kind: str,
    title: str,
    note: str = "",
    happened_on: dt.date | None = None,
) -> GroupRecord:
    """记一笔: a policy post published in the group, or a problem settled inside it."""
    try:
        group = WechatGroup.objects.get(pk=group.pk if isinstance(group, WechatGroup) else group)
    except (WechatGroup.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    if not access.groups_visible_to(actor).filter(pk=group.pk).exists():
        raise NotFound()
    check_post(actor, group)
    if kind not in RecordKind.values:
        raise InvalidInput(_("记录类型不正确"), code="invalid_choice", field="kind")
    title = (title or "").strip()
    if len(title) < 2:
        raise InvalidInput(_("内容摘要至少2个字"), code="too_short", field="title")
    if len(title) > 200:
        raise InvalidInput(_("内容摘要不能超过200字"), code="too_long", field="title")
    today = timezone.localdate()
    happened_on = happened_on or today
    if happened_on > today:
        raise InvalidInput(_("日期不能晚于今天"), code="in_future", field="happened_on")
    return GroupRecord.objects.create(
        group=group,
        kind=kind,
        title=title,
        note=(note or "").strip()[:2000],
        happened_on=happened_on,
        recorded_by=actor,
    )
