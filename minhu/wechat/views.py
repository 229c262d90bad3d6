"""Staff pages of the WeChat-group channel (/wechat/): the register of groups, a group with its
messages and records, registering a message on a phone (a grid worker's few taps), a message
with the text to copy back into the group, and counts per grid, community and street."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minhu.core.errors import DomainError, InvalidInput
from minhu.orgs.models import Membership, Unit, UnitKind
from minhu.orgs.scope import scope_of
from minhu.web.permissions import scoped_page

from . import access, actions, answers, stats
from .models import CHANNEL, RecordKind, WechatGroup

_reader = scoped_page(lambda user: scope_of(user).has_role(*access.READ_ROLES))


def _ctx(request, tab: str, **kw):
    return {"tab": tab, "can_manage": access.may_manage_any(request.user), **kw}


def _keepers(unit_ids) -> list:
    """Staff who may keep a group on the units `unit_ids`."""
    return list(
        Membership.objects.filter(unit_id__in=unit_ids, active=True, user__is_active=True)
        .select_related("user", "unit")
        .order_by("unit__path", "user__display_name")[:1000]
    )


def _group_units(group: WechatGroup) -> list[int]:
    """The group's unit and, for a community's group, its grids."""
    if group.grid_id:
        return [group.unit_id]
    return [
        group.unit_id,
        *Unit.objects.filter(parent_id=group.unit_id).values_list("pk", flat=True),
    ]


@_reader
@require_http_methods(["GET", "POST"])
def groups_view(request):
    """群册: my groups first (a keeper's cards), the register with search, adding a group."""
    error = None
    units = access.units_for(request.user)
    if request.method == "POST":
        raw_unit = request.POST.get("unit") or ""
        unit = units.filter(pk=int(raw_unit)).first() if raw_unit.isdigit() else None
        try:
            g = actions.create_group(
                actor=request.user,
                unit=unit,
                name=request.POST.get("name", ""),
                keeper=request.POST.get("keeper") or None,
                member_count=request.POST.get("member_count") or 0,
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已登记微信群：%(name)s") % {"name": g.name})
            return redirect("wechat:group", g.pk)
    visible = access.groups_visible_to(request.user).select_related("unit", "keeper")
    mine = list(visible.filter(keeper=request.user, active=True))
    qs = visible.annotate(n_messages=Count("messages"))
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(unit__name__icontains=q) | Q(keeper__display_name__icontains=q)
        )
    community = request.GET.get("community") or ""
    if community.isdigit():
        qs = qs.filter(community_id=int(community))
    state = request.GET.get("state") or "active"
    if state == "active":
        qs = qs.filter(active=True)
    elif state == "inactive":
        qs = qs.filter(active=False)
    page = Paginator(qs.order_by("community__path", "name", "id"), 30).get_page(
        request.GET.get("page")
    )
    communities = Unit.objects.filter(
        pk__in=access.groups_visible_to(request.user).values("community_id")
    ).order_by("path")
    manage_units = list(units[:1000]) if access.may_manage_any(request.user) else []
    return render(
        request,
        "wechat/groups.html",
        _ctx(
            request,
            "groups",
            mine=mine,
            page=page,
            q=q,
            community=community,
            state=state,
            communities=communities,
            units=manage_units,
            keepers=_keepers([u.pk for u in manage_units]),
            error=error,
            values=request.POST if error else {},
        ),
        status=400 if error else 200,
    )


@_reader
@require_http_methods(["GET", "POST"])
def group_view(request, pk):
    group = access.access_group(request.user, pk)
    can_manage = access.may_manage(request.user, group.unit)
    error = None
    if request.method == "POST":
        if not can_manage:
            raise Http404()
        try:
            values = {
                "name": request.POST.get("name", group.name),
                "member_count": request.POST.get("member_count", group.member_count),
                "note": request.POST.get("note", group.note),
            }
            if request.POST.get("keeper"):
                values["keeper"] = request.POST["keeper"]
            if "active" in request.POST:
                values = {"active": request.POST["active"] == "1"}
            actions.update_group(group, actor=request.user, **values)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("已保存"))
            return redirect("wechat:group", group.pk)
    msgs = group.messages.select_related("appeal", "appeal__lead_unit").order_by("-id")
    page = Paginator(msgs, 20).get_page(request.GET.get("page"))
    records = group.records.select_related("recorded_by")[:20]
    rec_counts = dict(
        group.records.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    return render(
        request,
        "wechat/group.html",
        _ctx(
            request,
            "groups",
            group=group,
            can_manage=can_manage,
            can_post=access.may_post(request.user, group) and group.active,
            page=page,
            records=records,
            rec_counts=rec_counts,
            record_kinds=RecordKind.choices,
            keepers=_keepers(_group_units(group)) if can_manage else [],
            error=error,
            today=timezone.localdate().isoformat(),
        ),
        status=400 if error else 200,
    )


def _grid_choices(group: WechatGroup):
    if group.grid_id:
        return []
    return list(Unit.objects.filter(parent=group.community, kind=UnitKind.GRID, active=True))


@_reader
@require_http_methods(["GET", "POST"])
def post_view(request, pk):
    """登记群消息 (phone): paste or forward the message, optionally the sender's phone."""
    group = access.access_group(request.user, pk)
    if not access.may_post(request.user, group):
        raise Http404()
    grids = _grid_choices(group)
    error = None
    if request.method == "POST":
        grid = None
        if (request.POST.get("grid") or "").isdigit():
            grid = next((g for g in grids if g.pk == int(request.POST["grid"])), None)
        posted_at = None
        raw = (request.POST.get("posted_at") or "").strip()
        try:
            if raw:
                try:
                    posted_at = timezone.make_aware(dt.datetime.fromisoformat(raw))
                except ValueError:
                    raise InvalidInput(
                        _("发送时间格式不正确"), code="invalid_datetime", field="posted_at"
                    )
            m = actions.register_message(
                actor=request.user,
                group=group,
                text=request.POST.get("text", ""),
                sender=request.POST.get("sender", ""),
                sender_phone=request.POST.get("sender_phone", ""),
                posted_at=posted_at,
                subject=request.POST.get("subject", ""),
                grid=grid,
            )
        except DomainError as exc:
            error = exc
        else:
            if m.duplicate_of_id:
                messages.warning(
                    request,
                    _("这条消息与已登记的工单 %(code)s 相同，已并入该工单，不再重复立单")
                    % {"code": m.appeal.code},
                )
            else:
                messages.success(request, _("已登记为工单 %(code)s") % {"code": m.appeal.code})
            return redirect("wechat:message", m.pk)
    return render(
        request,
        "wechat/post.html",
        _ctx(
            request,
            "groups",
            group=group,
            grids=grids,
            error=error,
            values=request.POST if error else {},
        ),
        status=400 if error else 200,
    )


@_reader
def message_view(request, pk):
    m = access.access_message(request.user, pk)
    a = m.appeal
    track_url = request.build_absolute_uri(reverse("residents:track") + f"?code={a.code}")
    likely = []
    if not m.duplicate_of_id and a.status != "closed":
        from minhu.routing import duplicates

        likely = [c for c, _s, _r in duplicates.candidates(a, 3, user=request.user)]
    return render(
        request,
        "wechat/message.html",
        _ctx(
            request,
            "groups",
            m=m,
            a=a,
            group=m.group,
            phone=access.shown_phone(request.user, m.sender_phone),
            ack_text=answers.acknowledgement(m),
            answer_text=answers.answer(m, track_url),
            can_post=access.may_post(request.user, m.group),
            repeats=list(m.repeats.select_related("group")) if not m.duplicate_of_id else [],
            likely=likely,
        ),
    )


@_reader
@require_POST
def answered_view(request, pk):
    m = access.access_message(request.user, pk)
    try:
        n = actions.mark_answered(m, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录群内回复（%(n)d条消息）") % {"n": n})
    return redirect("wechat:message", m.pk)


@_reader
@require_POST
def record_view(request, pk):
    group = access.access_group(request.user, pk)
    raw = (request.POST.get("happened_on") or "").strip()
    try:
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise InvalidInput(_("日期格式不正确"), code="invalid_date", field="happened_on")
        r = actions.add_record(
            actor=request.user,
            group=group,
            kind=request.POST.get("kind", ""),
            title=request.POST.get("title", ""),
            note=request.POST.get("note", ""),
            happened_on=day,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录：%(kind)s") % {"kind": r.get_kind_display()})
    return redirect("wechat:group", group.pk)


def _channel_yoy(user, code: str) -> dict | None:
    """The channel's volume year on year (evaluation.figures), for district-wide readers."""
    if not scope_of(user).all_units:
        return None
    from minhu.evaluation import figures

    return figures.channel_yoy(code)


@_reader
def stats_view(request):
    level = request.GET.get("level") or "community"
    if level not in stats.LEVELS:
        level = "community"

    def _date(name):
        try:
            return dt.date.fromisoformat(request.GET.get(name) or "")
        except ValueError:
            return None

    since, until = _date("since"), _date("until")
    rows = stats.counts(request.user, level, since=since, until=until)
    return render(
        request,
        "wechat/stats.html",
        _ctx(
            request,
            "stats",
            level=level,
            levels=[("street", _("按街道")), ("community", _("按社区")), ("grid", _("按网格"))],
            rows=rows,
            total=stats.totals(rows),
            since=since.isoformat() if since else "",
            until=until.isoformat() if until else "",
            yoy=_channel_yoy(request.user, CHANNEL),
        ),
    )
