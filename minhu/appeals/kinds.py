"""Work-item kinds and intake channels: the two registries through which other apps put their
work into the one loop (deadlines, events, reply, rating) without copying it.

An `Appeal` row is the general work item (工单). Its `kind` says what sort of work it is; the
resident appeal (诉求, `RESIDENT_APPEAL`) is the built-in default and behaves exactly as before.
An app that owns another sort of tracked work (a visit problem, a meeting decision, a service
order, a deputy suggestion, an Open311 request) declares it once, in its `AppConfig.ready()`:

    from minhu.appeals.kinds import WorkKind, register_kind
    from minhu.deadlines.models import Step

    register_kind(WorkKind(
        code="meeting_decision", label=_("议事决定"),
        needs_contact=False,          # no appellant phone; not anonymous either
        follow_up_to_close=False,     # closes without a follow-up call
        counts_in_rates=False,        # not in the response/solve/satisfaction rates
        ranking_group="",             # ranked with nothing
        steps=(Step.CLAIM, Step.RESOLVE),
        source_model="participation.Meeting",
    ))

and registers work with `actions.register_appeal(kind="meeting_decision",
source=meeting, ...)`. The loop never imports the owning app: it reads the declaration.

Channels are opened up the same way (`register_channel`): the built-in ones are
`models.Channel`; an app adds its own with whether residents may use it without signing in.
Both registries are read at run time by the model fields' callable `choices`, so a new kind
or channel needs no migration of the appeals app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minhu.deadlines.models import Step, declare_kind

from .models import Channel

RESIDENT_APPEAL = "appeal"
ALL_STEPS: tuple[str, ...] = (Step.CLAIM, Step.CONTACT, Step.RESOLVE)


@dataclass(frozen=True)
class WorkKind:
    """What the loop needs to know about one sort of work item."""

    code: str
    label: str | Promise
    # The appellant must leave a phone number (or register anonymously); False: the item has
    # no appellant to call (the contact step is skipped and the reply goes nowhere by SMS).
    needs_contact: bool = True
    # Closing needs a follow-up on the current round (or three unanswered calls).
    follow_up_to_close: bool = True
    # Its follow-ups count in the three rates (响应率/解决率/满意率).
    counts_in_rates: bool = True
    # The ranking group (evaluation.models.RankingGroup: "street", "department", "party") whose
    # ranking judges its follow-ups; "" ranks them wherever the handling unit is ranked. A kind
    # naming a group stays out of every other group's ranking (`kinds_ranked_apart`); a kind
    # that is not ranked at all has counts_in_rates False.
    ranking_group: str = ""
    # The time-limit steps whose clock runs for it (subset of ALL_STEPS).
    steps: tuple[str, ...] = ALL_STEPS
    # "app_label.ModelName" of the record it comes from ("" for none); the item stores the
    # link as (source_type, source_id).
    source_model: str = ""
    # Who else may register an item of this kind: called as `may_register(actor, source)` for a
    # signed-in actor without a registering role (dispatcher, admin, grid worker, handler,
    # unit leader); True lets them register from that source record (a visitor sending the
    # problem found on their own visit). None: only the registering roles.
    may_register: Callable[[object, object], bool] | None = field(default=None, compare=False)
    # Anything the owning app wants to keep with the declaration. Read by the loop:
    # "register_roles" with "channel" (roles that may register this kind, through that
    # channel only, besides the intake roles: guards.check_register) and
    # "resolve_due" (a callable (item, dispatched_at) -> the resolve deadline from the source
    # record, e.g. the date a 约谈 promise was made for; None keeps the time-limit policy).
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.steps) - set(ALL_STEPS)
        if unknown:
            raise ValueError(f"work kind {self.code!r}: unknown steps {sorted(unknown)}")


@dataclass(frozen=True)
class ChannelInfo:
    code: str
    label: str | Promise
    # Residents may register through it without signing in (H5, mini-program, ...).
    public: bool = False
    # Unit staff (handlers, unit leaders, grid workers) may register through it (a visit, a
    # WeChat group, a meeting); the dispatch centre registers through every channel.
    unit_staff: bool = False


_KINDS: dict[str, WorkKind] = {}
_CHANNELS: dict[str, ChannelInfo] = {}
# The codes of public channels. One set object, updated in place by register_channel, so
# `from ... import PUBLIC_CHANNELS` sees channels registered later.
PUBLIC_CHANNELS: set[str] = set()


def register_kind(kind: WorkKind) -> WorkKind:
    """Declare a work-item kind (call from AppConfig.ready()). Registering the same
    declaration twice is harmless; a different one under a taken code is an error."""
    if len(kind.code) > 30:
        raise ValueError(f"work kind code {kind.code!r} longer than 30 characters")
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"work kind {kind.code!r} is already registered differently")
    _KINDS[kind.code] = kind
    declare_kind(kind.code, kind.label)  # time limits may be set per kind
    return kind


def register_channel(channel: ChannelInfo) -> ChannelInfo:
    """Declare an intake channel (call from AppConfig.ready())."""
    if len(channel.code) > 20:
        raise ValueError(f"channel code {channel.code!r} longer than 20 characters")
    existing = _CHANNELS.get(channel.code)
    if existing is not None and existing != channel:
        raise ValueError(f"channel {channel.code!r} is already registered differently")
    _CHANNELS[channel.code] = channel
    if channel.public:
        PUBLIC_CHANNELS.add(channel.code)
    return channel


def get_kind(code: str) -> WorkKind:
    """The declaration of `code`; KeyError for an unknown kind."""
    return _KINDS[code]


def kind_of(item) -> WorkKind:
    """The declaration of a work item's kind (an unknown stored code falls back to the
    resident appeal, so rows of an uninstalled app still work)."""
    return _KINDS.get(getattr(item, "kind", "") or RESIDENT_APPEAL) or _KINDS[RESIDENT_APPEAL]


def all_kinds() -> list[WorkKind]:
    return list(_KINDS.values())


def kind_choices() -> list[tuple[str, str | Promise]]:
    return [(k.code, k.label) for k in _KINDS.values()]


def unrated_kinds() -> list[str]:
    """Kinds whose follow-ups stay out of the three rates (empty today: only then do the
    aggregates add a filter)."""
    return [k.code for k in _KINDS.values() if not k.counts_in_rates]


def kinds_ranked_apart(group: str) -> list[str]:
    """Counted kinds whose declared ranking group is another than `group`: their follow-ups
    stay out of `group`'s ranking (empty today: only then do the rankings add a query)."""
    return [
        k.code
        for k in _KINDS.values()
        if k.counts_in_rates and k.ranking_group and k.ranking_group != group
    ]


def channel_values() -> list[str]:
    return list(_CHANNELS)


def unit_staff_channels() -> list[str]:
    return [c.code for c in _CHANNELS.values() if c.unit_staff]


def channel_choices() -> list[tuple[str, str | Promise]]:
    return [(c.code, c.label) for c in _CHANNELS.values()]


def resident_channel(point=None, *, enterprise: bool = False) -> str:
    """The channel a resident's submission comes in by (the H5 form and the public API): the
    enterprise code's own channel, else the collection point's channel when residents may use
    it, else H5."""
    if enterprise:
        return Channel.ENTERPRISE
    if point is not None and point.channel in PUBLIC_CHANNELS:
        return point.channel
    return Channel.H5


def channel_label(code: str) -> str | Promise:
    info = _CHANNELS.get(code)
    return info.label if info else code


# --- the built-ins ------------------------------------------------------------------------

register_kind(WorkKind(code=RESIDENT_APPEAL, label=_("群众诉求")))

_BUILTIN_PUBLIC = {Channel.H5, Channel.MINIPROGRAM, Channel.ENTERPRISE, Channel.QUESTIONNAIRE}
_BUILTIN_UNIT_STAFF = {
    Channel.VISIT,
    Channel.WECHAT_GROUP,
    Channel.CONSULTATION,
    Channel.QUESTIONNAIRE,
}
for _value, _label in Channel.choices:
    register_channel(
        ChannelInfo(
            code=_value,
            label=_label,
            public=_value in _BUILTIN_PUBLIC,
            unit_staff=_value in _BUILTIN_UNIT_STAFF,
        )
    )
