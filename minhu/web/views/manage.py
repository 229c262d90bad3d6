"""Administration pages in the staff UI (role admin): organisation tree, users and roles,
categories, time limits, calendar overrides, collection points, and the log of their changes.

Forms check the shape of the input; the verbs (`orgs.actions`, `categories.actions`,
`deadlines.actions`, `appeals.config_actions`) check the rules, write, and record each change
(`core.ConfigChange`). A verb's error comes back at the form field it names."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minhu.appeals import config_actions
from minhu.appeals.kinds import channel_choices, channel_values
from minhu.appeals.models import CollectionPoint, Urgency
from minhu.categories import actions as category_actions
from minhu.categories.models import Category
from minhu.core.errors import DomainError
from minhu.deadlines import actions as deadline_actions
from minhu.deadlines.calendar import is_calendar_covered
from minhu.deadlines.models import CalendarOverride, Measure, Step, TimeLimitPolicy
from minhu.deadlines.policies import DEFAULT_LIMITS, URGENT_DEFAULTS
from minhu.orgs import actions as org_actions
from minhu.orgs.models import Membership, Role, Unit, UnitKind, User

from .. import manage_forms as mf
from ..filters import paginate
from ..permissions import page_required
from .common import form_error, safe_next

SECTIONS = [
    ("web:manage_units", gettext_lazy("组织架构")),
    ("web:manage_users", gettext_lazy("用户与角色")),
    ("web:manage_categories", gettext_lazy("诉求分类")),
    ("web:manage_time_limits", gettext_lazy("办理时限")),
    ("web:manage_calendar", gettext_lazy("工作日历")),
    ("web:manage_points", gettext_lazy("意见征集点")),
    ("web:manage_changes", gettext_lazy("变更记录")),
]


def _render(request, template, ctx, section, status=200):
    ctx = {**ctx, "sections": SECTIONS, "section": section}
    return render(request, template, ctx, status=status)


def _data(form, *exclude: str) -> dict:
    """The form's model fields from cleaned_data, for a verb (many-to-many as lists)."""
    out = {}
    for name in form._meta.fields:
        if name in exclude or name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        out[name] = list(value) if isinstance(value, QuerySet) else value
    return out


def _form_page(request, form, *, title, section, back, status=None, extra=None):
    status = status or (400 if request.method == "POST" else 200)
    ctx = {"form": form, "title": title, "back": back, **(extra or {})}
    return _render(request, "web/manage/form.html", ctx, section, status=status)


@page_required("manage")
def manage_home(request):
    return redirect("web:manage_units")


# --- units ----------------------------------------------------------------------------------


@page_required("manage")
def units(request):
    qs = Unit.objects.select_related("parent").annotate(
        n_members=Count("memberships", filter=Q(memberships__active=True), distinct=True)
    )
    q = (request.GET.get("q") or "").strip()
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind in UnitKind.values:
        qs = qs.filter(kind=kind)
    if state == "active":
        qs = qs.filter(active=True)
    elif state == "inactive":
        qs = qs.filter(active=False)
    page = paginate(request, qs.order_by("path"))
    ctx = {"page": page, "q": q, "kind": kind, "state": state, "kinds": UnitKind.choices}
    return _render(request, "web/manage/units.html", ctx, "web:manage_units")


@page_required("manage")
def unit_edit(request, pk: int | None = None):
    unit = get_object_or_404(Unit, pk=pk) if pk else None
    form = mf.UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            if unit is None:
                saved = org_actions.create_unit(actor=request.user, **_data(form))
            else:
                saved = org_actions.update_unit(unit.pk, actor=request.user, **_data(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存单位「%(name)s」") % {"name": saved.name})
            return redirect("web:manage_units")
    title = _("编辑单位：%(name)s") % {"name": unit.name} if unit else _("新建单位")
    return _form_page(
        request, form, title=title, section="web:manage_units", back=reverse("web:manage_units")
    )


@page_required("manage")
@require_POST
def unit_toggle(request, pk: int):
    unit = get_object_or_404(Unit, pk=pk)
    try:
        unit = org_actions.set_unit_active(unit.pk, actor=request.user, active=not unit.active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = _("已启用「%(name)s」") if unit.active else _("已停用「%(name)s」")
        messages.success(request, done % {"name": unit.name})
    return redirect(safe_next(request, reverse("web:manage_units")))


# --- users ----------------------------------------------------------------------------------


@page_required("manage")
def users(request):
    members = Membership.objects.select_related("unit").order_by("unit__path")
    qs = User.objects.prefetch_related(Prefetch("memberships", queryset=members))
    q = (request.GET.get("q") or "").strip()
    role = request.GET.get("role", "")
    unit = request.GET.get("unit", "")
    state = request.GET.get("state", "")
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(phone__icontains=q)
        )
    if role in Role.values:
        qs = qs.filter(memberships__role=role, memberships__active=True)
    if unit.isdigit():
        qs = qs.filter(memberships__unit_id=int(unit))
    if state == "active":
        qs = qs.filter(is_active=True)
    elif state == "inactive":
        qs = qs.filter(is_active=False)
    page = paginate(request, qs.distinct().order_by("username"))
    ctx = {
        "page": page,
        "q": q,
        "role": role,
        "unit": unit,
        "state": state,
        "roles": Role.choices,
        "units": Unit.objects.filter(active=True).exclude(kind=UnitKind.GRID).order_by("path"),
    }
    return _render(request, "web/manage/users.html", ctx, "web:manage_users")


@page_required("manage")
def user_create(request):
    form = mf.UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = org_actions.create_user(
                actor=request.user,
                password=d["password"],
                unit=d["unit"],
                role=d["role"],
                **_data(form),
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已创建用户 %(username)s") % {"username": user.username})
            return redirect("web:manage_user", user.pk)
    return _form_page(
        request,
        form,
        title=_("新建用户"),
        section="web:manage_users",
        back=reverse("web:manage_users"),
    )


@page_required("manage")
def user_edit(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    op = request.POST.get("op") if request.method == "POST" else None
    form = mf.UserEditForm(request.POST if op == "profile" else None, instance=account)
    pw_form = mf.StaffSetPasswordForm(account, request.POST if op == "password" else None)
    m_form = mf.MembershipForm(request.POST if op == "membership" else None, user=account)
    status = 200
    if op == "profile":
        if form.is_valid():
            try:
                org_actions.update_user(account.pk, actor=request.user, **_data(form))
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已保存用户信息"))
                return redirect("web:manage_user", account.pk)
        status = 400
    elif op == "password":
        if pw_form.is_valid():
            try:
                org_actions.set_password(
                    account.pk, actor=request.user, password=pw_form.cleaned_data["new_password1"]
                )
            except DomainError as exc:
                field = "new_password2" if exc.details.get("field") == "password" else None
                pw_form.add_error(field, exc.message)
            else:
                messages.success(request, _("已重设密码"))
                return redirect("web:manage_user", account.pk)
        status = 400
    elif op == "membership":
        if m_form.is_valid():
            try:
                m = org_actions.add_membership(account.pk, actor=request.user, **_data(m_form))
            except DomainError as exc:
                form_error(m_form, exc)
            else:
                messages.success(
                    request,
                    _("已添加角色：%(unit)s · %(role)s")
                    % {"unit": m.unit, "role": m.get_role_display()},
                )
                return redirect("web:manage_user", account.pk)
        status = 400
    elif op == "unlock":
        try:
            unlocked = org_actions.unlock_login(account.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已解除登录锁定") if unlocked else _("该账号未被锁定"))
        return redirect("web:manage_user", account.pk)
    elif op == "membership_toggle":
        m = get_object_or_404(Membership, pk=request.POST.get("membership"), user=account)
        try:
            m = org_actions.set_membership_active(m.pk, actor=request.user, active=not m.active)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            done = (
                _("已恢复角色：%(unit)s · %(role)s")
                if m.active
                else _("已停用角色：%(unit)s · %(role)s")
            )
            messages.success(request, done % {"unit": m.unit, "role": m.get_role_display()})
        return redirect("web:manage_user", account.pk)
    memberships = account.memberships.select_related("unit").order_by("unit__path")
    ctx = {
        "account": account,
        "form": form,
        "pw_form": pw_form,
        "m_form": m_form,
        "memberships": memberships,
        "login_locked": org_actions.login_locked(account),
    }
    return _render(request, "web/manage/user.html", ctx, "web:manage_users", status=status)


# --- categories and time limits -------------------------------------------------------------


@page_required("manage")
def categories(request):
    q = (request.GET.get("q") or "").strip()
    limits = Count("time_limits", distinct=True)
    tops = Category.objects.filter(parent__isnull=True).annotate(n_limits=limits)
    children = Category.objects.select_related("default_lead_unit").annotate(n_limits=limits)
    if q:
        children = children.filter(Q(name__icontains=q) | Q(keywords__icontains=q))
        tops = tops.filter(
            Q(name__icontains=q)
            | Q(children__name__icontains=q)
            | Q(children__keywords__icontains=q)
        ).distinct()
    tops = tops.select_related("default_lead_unit").prefetch_related(
        Prefetch("children", queryset=children.order_by("sort", "id"))
    )
    page = paginate(request, tops.order_by("sort", "id"))
    return _render(
        request, "web/manage/categories.html", {"page": page, "q": q}, "web:manage_categories"
    )


@page_required("manage")
def category_edit(request, pk: int | None = None):
    cat = get_object_or_404(Category, pk=pk) if pk else None
    initial = {}
    if cat is None and request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = mf.CategoryForm(request.POST or None, instance=cat, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if cat is None:
                saved = category_actions.create_category(actor=request.user, **_data(form))
            else:
                saved = category_actions.update_category(cat.pk, actor=request.user, **_data(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存分类「%(name)s」") % {"name": saved})
            return redirect("web:manage_categories")
    title = _("编辑分类：%(name)s") % {"name": cat} if cat else _("新建分类")
    return _form_page(
        request,
        form,
        title=title,
        section="web:manage_categories",
        back=reverse("web:manage_categories"),
    )


def _builtin_limits():
    rows = []
    for step, (amount, measure) in DEFAULT_LIMITS.items():
        rows.append((Step(step).label, _("一般（默认）"), amount, Measure(measure).label))
    for urgency, steps in URGENT_DEFAULTS.items():
        for step, (amount, measure) in steps.items():
            rows.append((Step(step).label, Urgency(urgency).label, amount, Measure(measure).label))
    return rows


@page_required("manage")
def time_limits(request):
    qs = TimeLimitPolicy.objects.select_related("category__parent")
    step = request.GET.get("step", "")
    category = request.GET.get("category", "")
    if step in Step.values:
        qs = qs.filter(step=step)
    if category.isdigit():
        qs = qs.filter(Q(category_id=int(category)) | Q(category__parent_id=int(category)))
    page = paginate(request, qs.order_by("step", "category__sort", "category_id", "urgency"))
    ctx = {
        "page": page,
        "step": step,
        "category": category,
        "steps": Step.choices,
        "categories": Category.objects.select_related("parent").order_by("sort", "id"),
        "builtin": _builtin_limits(),
    }
    return _render(request, "web/manage/time_limits.html", ctx, "web:manage_time_limits")


@page_required("manage")
def time_limit_edit(request, pk: int | None = None):
    row = get_object_or_404(TimeLimitPolicy, pk=pk) if pk else None
    initial = {}
    if row is None and request.GET.get("category", "").isdigit():
        initial["category"] = int(request.GET["category"])
    form = mf.TimeLimitForm(request.POST or None, instance=row, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if row is None:
                deadline_actions.create_time_limit(actor=request.user, **_data(form))
            else:
                deadline_actions.update_time_limit(row.pk, actor=request.user, **_data(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存时限规则"))
            return redirect("web:manage_time_limits")
    return _form_page(
        request,
        form,
        title=_("编辑时限规则") if row else _("新建时限规则"),
        section="web:manage_time_limits",
        back=reverse("web:manage_time_limits"),
    )


@page_required("manage")
@require_POST
def time_limit_delete(request, pk: int):
    row = get_object_or_404(TimeLimitPolicy, pk=pk)
    try:
        deadline_actions.delete_time_limit(row.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除时限规则（新派单按其余规则计算）"))
    return redirect("web:manage_time_limits")


# --- calendar -------------------------------------------------------------------------------


@page_required("manage")
def calendar(request):
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), 2100)
    form = mf.CalendarOverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = deadline_actions.create_calendar_override(actor=request.user, **_data(form))
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已添加 %(date)s") % {"date": f"{row.date:%Y-%m-%d}"})
            return redirect(reverse("web:manage_calendar") + f"?year={row.date.year}")
    rows = CalendarOverride.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
    ).order_by("date")
    ctx = {
        "rows": rows,
        "year": year,
        "years": range(this_year - 2, this_year + 3),
        "covered": is_calendar_covered(year),
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return _render(request, "web/manage/calendar.html", ctx, "web:manage_calendar", status=status)


@page_required("manage")
@require_POST
def calendar_delete(request, pk: int):
    row = get_object_or_404(CalendarOverride, pk=pk)
    year = row.date.year
    try:
        deadline_actions.delete_calendar_override(row.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除日历调整"))
    return redirect(reverse("web:manage_calendar") + f"?year={year}")


# --- collection points ----------------------------------------------------------------------


def qr_url(code: str) -> str:
    """The residents' QR code image of a collection point, if that page exists."""
    path = f"/h5/qr/{code}.svg"
    try:
        resolve(path)
    except (Resolver404, NoReverseMatch):
        return ""
    return path


@page_required("manage")
def points(request):
    qs = CollectionPoint.objects.select_related("unit").annotate(n_appeals=Count("appeals"))
    q = (request.GET.get("q") or "").strip()
    channel = request.GET.get("channel", "")
    state = request.GET.get("state", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
    if channel in channel_values():
        qs = qs.filter(channel=channel)
    if state == "active":
        qs = qs.filter(active=True)
    elif state == "inactive":
        qs = qs.filter(active=False)
    page = paginate(request, qs.order_by("unit__path", "name"))
    qr_available = bool(qr_url("x"))
    for p in page.object_list:
        p.qr = f"/h5/qr/{p.code}.svg" if qr_available else ""
    ctx = {
        "page": page,
        "q": q,
        "channel": channel,
        "state": state,
        "channels": channel_choices(),
        "qr_available": qr_available,
    }
    return _render(request, "web/manage/points.html", ctx, "web:manage_points")


@page_required("manage")
def point_edit(request, pk: int | None = None):
    point = get_object_or_404(CollectionPoint, pk=pk) if pk else None
    form = mf.CollectionPointForm(request.POST or None, instance=point)
    if request.method == "POST" and form.is_valid():
        try:
            if point is None:
                saved = config_actions.create_collection_point(actor=request.user, **_data(form))
            else:
                saved = config_actions.update_collection_point(
                    point.pk, actor=request.user, **_data(form)
                )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已保存征集点「%(name)s」") % {"name": saved.name})
            return redirect("web:manage_points")
    return _form_page(
        request,
        form,
        title=_("编辑征集点：%(name)s") % {"name": point.name} if point else _("新建意见征集点"),
        section="web:manage_points",
        back=reverse("web:manage_points"),
    )
