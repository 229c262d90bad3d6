"""Staff pages of the registry (server-rendered, htmx): per-grid lists with search and
pagination, the household page with its residents, cadre link and history, edit forms through
the verbs, revealing one personal value with a reason, and the admins' unmasking log."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minhu.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from minhu.orgs.models import Role, Unit
from minhu.orgs.scope import scope_of
from minhu.web.filters import paginate

from . import access, actions, importer, personal
from .forms import (
    BuildingFilter,
    BuildingForm,
    EstateFilter,
    EstateForm,
    HouseholdFilter,
    HouseholdForm,
    ImportForm,
    RegistryFilter,
    ResidentFilter,
    ResidentForm,
    RevealForm,
    ShopFilter,
    ShopForm,
)
from .models import (
    CadreLink,
    CadreTier,
    Household,
    RegistryChange,
    RegistryImport,
    Resident,
    Unmasking,
)

TABS = [
    ("households", gettext_lazy("住户")),
    ("residents", gettext_lazy("居民")),
    ("buildings", gettext_lazy("楼宇")),
    ("estates", gettext_lazy("小区/村")),
    ("shops", gettext_lazy("商铺")),
    ("cadres", gettext_lazy("联户")),
    ("imports", gettext_lazy("导入导出")),
]


def _render(request, template, ctx, tab, status=200):
    ctx = {
        **ctx,
        "tabs": [(t, str(label)) for t, label in TABS],
        "tab": tab,
        "is_admin": Role.ADMIN in scope_of(request.user).roles,
        "can_edit_any": access.grids_editable_by(request.user).exists(),
    }
    return render(request, template, ctx, status=status)


def _get(model: str, request, pk, *, for_write=False):
    try:
        return access.access(request.user, model, pk, for_write=for_write)
    except NotFound:
        raise Http404()
    except PermissionDenied as e:
        raise DjangoPermissionDenied(e.message)


def _current_cadre():
    return CadreLink.objects.filter(household=OuterRef("pk"), ended_at__isnull=True)


@login_required
def households(request):
    grids = access.grids_visible_to(request.user)
    form = HouseholdFilter(request.GET or None, grids=grids)
    qs = (
        form.apply(access.households_visible_to(request.user))
        .select_related("grid", "building")
        .annotate(
            cadre_name=Subquery(_current_cadre().values("cadre__display_name")[:1]),
            cadre_tier=Subquery(_current_cadre().values("tier")[:1]),
        )
        .order_by("grid__path", "address", "id")
    )
    page = paginate(request, qs)
    for hh in page.object_list:
        hh.phone_masked = personal.mask_phone(hh.phone)
    return _render(
        request, "registry/households.html", {"page": page, "filters": form}, "households"
    )


def _simple_list(request, tab, filter_cls, visible, related, order):
    grids = access.grids_visible_to(request.user)
    form = filter_cls(request.GET or None, grids=grids)
    qs = form.apply(visible(request.user)).select_related(*related).order_by(*order)
    page = paginate(request, qs)
    # A resident has no grid of its own: its household's.
    on_page = {
        o.grid_id if hasattr(o, "grid_id") else o.household.grid_id for o in page.object_list
    }
    editable = set(
        access.grids_editable_by(request.user).filter(pk__in=on_page).values_list("pk", flat=True)
    )
    return _render(
        request,
        f"registry/{tab}.html",
        {"page": page, "filters": form, "editable_grids": editable},
        tab,
    )


@login_required
def residents(request):
    resp = _simple_list(
        request,
        "residents",
        ResidentFilter,
        access.residents_visible_to,
        ["household", "household__grid"],
        ["household__grid__path", "household__address", "id"],
    )
    return resp


@login_required
def buildings(request):
    return _simple_list(
        request,
        "buildings",
        BuildingFilter,
        access.buildings_visible_to,
        ["estate", "grid"],
        ["grid__path", "estate__name", "name"],
    )


@login_required
def estates(request):
    return _simple_list(
        request,
        "estates",
        EstateFilter,
        access.estates_visible_to,
        ["grid"],
        ["grid__path", "name"],
    )


@login_required
def shops(request):
    return _simple_list(
        request,
        "shops",
        ShopFilter,
        access.shops_visible_to,
        ["grid", "building"],
        ["grid__path", "name"],
    )


@login_required
def household(request, pk):
    hh = _get("household", request, pk)
    hh = (
        Household.objects.select_related("grid", "building", "estate")
        .prefetch_related(
            Prefetch("residents", queryset=Resident.objects.order_by("-active", "id")),
            Prefetch(
                "cadre_links",
                queryset=CadreLink.objects.select_related("cadre", "unit").order_by("-assigned_at"),
            ),
        )
        .get(pk=hh.pk)
    )
    resident_ids = [r.pk for r in hh.residents.all()]
    history = (
        RegistryChange.objects.filter(model="household", object_id=hh.pk)
        | RegistryChange.objects.filter(model="resident", object_id__in=resident_ids)
    ).select_related("actor")[:30]
    may_edit = access.may_edit(request.user, hh.grid_id)
    links = list(hh.cadre_links.all())
    current = next((link for link in links if link.ended_at is None), None)
    ctx = {
        "hh": hh,
        "phone_masked": personal.mask_phone(hh.phone),
        "may_edit": may_edit,
        "links": links,
        "current_link": current,
        "candidates": _candidate_choices(hh.grid) if may_edit else [],
        "history": history,
        "reveal_form": RevealForm(),
    }
    return _render(request, "registry/household.html", ctx, "households")


def _candidate_choices(grid) -> list[tuple[str, str]]:
    from . import assignment

    return [
        (
            f"{u.pk}:{unit.pk}:{tier}",
            f"{u.display_name or u.username} · {CadreTier(tier).label} · {unit.name}",
        )
        for u, unit, tier in assignment.candidates(grid)
    ]


@login_required
@require_POST
def household_cadre(request, pk):
    """调整联户 by hand (one of the grid's candidates) or end the current link, with a reason."""
    from . import assignment

    hh = _get("household", request, pk, for_write=True)
    try:
        if request.POST.get("action") == "end":
            link = hh.cadre_links.filter(ended_at__isnull=True).first()
            reason = (request.POST.get("reason") or "").strip()
            if link is None:
                raise InvalidInput(_("该住户尚未联户"), code="no_link")
            if len(reason) < 2:
                raise InvalidInput(_("请填写解除原因"), code="required", field="reason")
            actions.end_link(link, actor=request.user, reason=reason)
            messages.success(request, _("已解除联户"))
        else:
            choice = request.POST.get("candidate", "")
            found = [
                (u, unit, tier)
                for u, unit, tier in assignment.candidates(hh.grid)
                if f"{u.pk}:{unit.pk}:{tier}" == choice
            ]
            if not found:
                raise InvalidInput(_("请选择联户干部"), code="invalid_cadre", field="cadre")
            u, unit, tier = found[0]
            actions.link_cadre(hh, actor=request.user, cadre=u, tier=tier, unit=unit, source="page")
            messages.success(
                request, _("已改由%(name)s联户") % {"name": u.display_name or u.username}
            )
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("registry:household", pk=hh.pk)


@login_required
def leaders(request):
    """区领导包联: which district leader 包联 each street/town (admins set it)."""
    from minhu.orgs.models import Membership, UnitKind

    from .models import LeaderTownLink

    if Role.ADMIN not in scope_of(request.user).roles:
        raise Http404()
    leaders_qs = (
        Membership.objects.filter(role=Role.DISTRICT_LEADER, active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    choices = {m.user_id: m.user for m in leaders_qs}
    towns = list(
        Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.TOWN], active=True).order_by("path")
    )
    if request.method == "POST":
        try:
            town = next(t for t in towns if str(t.pk) == request.POST.get("town"))
        except StopIteration:
            raise Http404()
        raw = request.POST.get("leader", "")
        leader = choices.get(int(raw)) if raw.isdigit() else None
        try:
            if raw and leader is None:
                raise InvalidInput(_("包联人须为区领导"), code="not_a_leader", field="leader")
            actions.set_town_leader(town, actor=request.user, leader=leader)
            messages.success(request, _("已保存%(town)s的包联领导") % {"town": town.name})
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("registry:leaders")
    current = {
        link.town_id: link
        for link in LeaderTownLink.objects.filter(ended_at__isnull=True).select_related("leader")
    }
    rows = [(t, current.get(t.pk)) for t in towns]
    ctx = {"rows": rows, "leaders": list(choices.values())}
    return _render(request, "registry/leaders.html", ctx, "leaders")


@login_required
def household_form(request, pk=None):
    editable = access.grids_editable_by(request.user)
    hh = _get("household", request, pk, for_write=True) if pk else None
    if hh is None and not editable.exists():
        raise Http404()
    initial = {}
    if hh is not None:
        initial = {
            "building": hh.building_id,
            "unit_no": hh.unit_no,
            "room": hh.room,
            "address": hh.address,
            "head_name": hh.head_name,
            "member_count": hh.member_count,
            "tags": hh.tag_list,
            "active": hh.active,
        }
    form = HouseholdForm(
        request.POST or None, initial=initial, grids=editable, editing=hh is not None
    )
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        if not d.get("phone") and hh is not None:
            d.pop("phone")
        try:
            if hh is None:
                grid = d.pop("grid")
                hh = actions.save_household(actor=request.user, grid=grid, source="page", **d)
            else:
                actions.save_household(hh, actor=request.user, source="page", **d)
            return redirect("registry:household", pk=hh.pk)
        except DomainError as e:
            form.add_error(
                e.details.get("field") if e.details.get("field") in form.fields else None, e.message
            )
    title = _("修改住户") if hh else _("新增住户")
    back = reverse("registry:household", args=[hh.pk]) if hh else reverse("registry:households")
    return _render(
        request, "registry/form.html", {"form": form, "title": title, "back": back}, "households"
    )


@login_required
def resident_form(request, household_pk, pk=None):
    hh = _get("household", request, household_pk, for_write=True)
    r = None
    if pk is not None:
        r = _get("resident", request, pk, for_write=True)
        if r.household_id != hh.pk:
            raise Http404()
    initial = (
        {
            "name": r.name,
            "relation": r.relation,
            "gender": r.gender,
            "birth_year": r.birth_year,
            "active": r.active,
        }
        if r
        else {}
    )
    form = ResidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        id_number = d.pop("id_number") or None
        if not d.get("phone") and r is not None:
            d.pop("phone")
        try:
            if r is None:
                actions.save_resident(
                    actor=request.user, household=hh, id_number=id_number, source="page", **d
                )
            else:
                actions.save_resident(
                    r, actor=request.user, id_number=id_number, source="page", **d
                )
            return redirect("registry:household", pk=hh.pk)
        except DomainError as e:
            field = e.details.get("field")
            form.add_error(field if field in form.fields else None, e.message)
    title = _("修改居民") if r else _("新增居民")
    back = reverse("registry:household", args=[hh.pk])
    return _render(
        request,
        "registry/form.html",
        {"form": form, "title": f"{title} · {hh.address}", "back": back},
        "households",
    )


@login_required
@require_POST
def reveal(request, model, pk, field):
    form = RevealForm(request.POST)
    value, error = None, None
    if form.is_valid():
        try:
            value = actions.reveal(
                actor=request.user,
                model=model,
                pk=pk,
                field=field,
                reason=form.cleaned_data["reason"],
            )
        except NotFound:
            raise Http404()
        except DomainError as e:
            error = e.message
    else:
        error = _("请填写查看原因")
    ctx = {"value": value, "error": error, "model": model, "pk": pk, "field": field}
    return render(request, "registry/_revealed.html", ctx, status=200 if value is not None else 400)


@login_required
def unmaskings(request):
    if Role.ADMIN not in scope_of(request.user).roles:
        raise Http404()
    qs = Unmasking.objects.select_related("actor").order_by("-at", "-id")
    if request.GET.get("actor", "").isdigit():
        qs = qs.filter(actor_id=int(request.GET["actor"]))
    page = paginate(request, qs)
    return _render(request, "registry/unmaskings.html", {"page": page}, "unmaskings")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@login_required
def import_template(request):
    return _xlsx(importer.template(), "户籍台账导入模板.xlsx")


@login_required
def export(request):
    user = request.user
    grids = access.grids_visible_to(user)
    form = RegistryFilter(request.GET or None, grids=grids)
    grid = form.cleaned_data.get("grid") if form.is_bound and form.is_valid() else None

    def scoped(qs, lookup="grid"):
        return qs.filter(**{lookup: grid}) if grid else qs

    content = importer.export(
        scoped(access.households_visible_to(user)).order_by("grid__path", "address"),
        scoped(access.residents_visible_to(user), "household__grid").order_by("household_id", "id"),
        scoped(access.buildings_visible_to(user)).order_by("grid__path", "name"),
        scoped(access.shops_visible_to(user)).order_by("grid__path", "name"),
    )
    return _xlsx(content, "户籍台账导出.xlsx")


def _imports_of(user):
    qs = RegistryImport.objects.select_related("created_by")
    if Role.ADMIN not in scope_of(user).roles:
        qs = qs.filter(created_by=user)
    return qs


@login_required
def imports(request):
    can_import = access.grids_editable_by(request.user).exists()
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_import:
            raise DjangoPermissionDenied(_("您无权导入台账"))
        if form.is_valid():
            try:
                imp = actions.start_import(actor=request.user, upload=form.cleaned_data["file"])
                return redirect("registry:import", pk=imp.pk)
            except DomainError as e:
                form.add_error("file", e.message)
    page = paginate(request, _imports_of(request.user))
    ctx = {
        "form": form,
        "page": page,
        "can_import": can_import,
        "filters": RegistryFilter(grids=access.grids_visible_to(request.user)),
    }
    return _render(request, "registry/imports.html", ctx, "imports")


@login_required
def import_status(request, pk):
    try:
        imp = _imports_of(request.user).get(pk=pk)
    except RegistryImport.DoesNotExist:
        raise Http404()
    kinds = [
        ("estate", _("小区/村")),
        ("building", _("楼宇")),
        ("household", _("住户")),
        ("resident", _("居民")),
        ("shop", _("商铺")),
    ]
    ctx = {"imp": imp, "errors": imp.errors[:200], "kinds": kinds}
    if request.headers.get("HX-Request"):
        return render(request, "registry/_import_status.html", ctx)
    return _render(request, "registry/import.html", ctx, "imports")


@login_required
def cadres(request):
    from django.conf import settings

    from . import assignment

    user = request.user
    grids = access.grids_visible_to(user)
    form = RegistryFilter(request.GET or None, grids=grids)
    grid = form.cleaned_data.get("grid") if form.is_bound and form.is_valid() else None
    try:
        max_load = max(1, min(10000, int(request.GET.get("max_load", ""))))
    except ValueError:
        max_load = getattr(settings, "MINHU_REGISTRY_MAX_LOAD", assignment.DEFAULT_MAX_LOAD)
    message = None
    if request.method == "POST":
        try:
            target = access.grids_editable_by(user).get(pk=request.POST.get("grid"))
        except (ValueError, TypeError, Unit.DoesNotExist):
            raise Http404()
        try:
            n = actions.auto_assign(target, actor=user)
            message = _("已为%(grid)s自动联户 %(n)s 户") % {"grid": target.name, "n": n}
        except DomainError as e:
            message = e.message
        grid = target
    qs = access.households_visible_to(user)
    if grid:
        qs = qs.filter(grid=grid)
    cov = assignment.coverage(qs, max_load=max_load)
    pool = assignment.pool_for(grid) if grid else None
    ctx = {
        "filters": form,
        "cov": cov,
        "grid": grid,
        "pool": pool,
        "max_load": max_load,
        "message": message,
        "may_assign": bool(grid) and access.may_edit(user, grid.pk),
    }
    return _render(request, "registry/cadres.html", ctx, "cadres")


# --- estates, buildings, shops: add and edit through the verbs ------------------------------

EDITABLE = {
    # model: (form, verb, list tab, fields shown as initial values, title new/edit)
    "estate": (
        EstateForm,
        actions.save_estate,
        "estates",
        ["name", "kind", "address", "active"],
        (gettext_lazy("新增小区/自然村"), gettext_lazy("修改小区/自然村")),
    ),
    "building": (
        BuildingForm,
        actions.save_building,
        "buildings",
        ["estate", "name", "unit_count", "floor_count", "unmanaged", "active"],
        (gettext_lazy("新增楼宇"), gettext_lazy("修改楼宇")),
    ),
    "shop": (
        ShopForm,
        actions.save_shop,
        "shops",
        ["building", "name", "operator", "business_type", "licence_no", "address", "active"],
        (gettext_lazy("新增商铺"), gettext_lazy("修改商铺")),
    ),
}


def _edit(request, model: str, pk=None):
    form_cls, verb, tab, fields, titles = EDITABLE[model]
    editable = access.grids_editable_by(request.user)
    obj = _get(model, request, pk, for_write=True) if pk else None
    if obj is None and not editable.exists():
        raise Http404()
    initial = {}
    if obj is not None:
        for f in fields:
            value = getattr(obj, f)
            initial[f] = value.pk if hasattr(value, "pk") else value
    form = form_cls(request.POST or None, initial=initial, grids=editable, editing=bool(obj))
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        if "phone" in d and not d["phone"] and obj is not None:
            d.pop("phone")  # blank keeps the stored number (never shown)
        try:
            if obj is None:
                verb(actor=request.user, grid=d.pop("grid"), source="page", **d)
            else:
                verb(obj, actor=request.user, source="page", **d)
            return redirect(f"registry:{tab}")
        except DomainError as e:
            field = e.details.get("field")
            form.add_error(field if field in form.fields else None, e.message)
    ctx = {
        "form": form,
        "title": str(titles[1] if obj else titles[0]),
        "back": reverse(f"registry:{tab}"),
    }
    return _render(request, "registry/form.html", ctx, tab)


@login_required
def estate_form(request, pk=None):
    return _edit(request, "estate", pk)


@login_required
def building_form(request, pk=None):
    return _edit(request, "building", pk)


@login_required
def shop_form(request, pk=None):
    return _edit(request, "shop", pk)
