"""Verbs of the 幸福清单 and the 领办 projects. Each is one transaction.

Publishing is a staff decision about a solved work item, in public words; the item itself is
not changed. A project is registered as a work item (kind `led_project`) and dispatched to its
lead unit in the same transaction; its milestones are ticked by that unit (each tick a progress
note on the item, so it shows on the item's timeline) and the project is finished by resolving
the item with the project's result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.appeals import actions as appeal_actions
from minhu.appeals.access import access_appeal
from minhu.appeals.models import Appeal, Status
from minhu.core import audit
from minhu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from minhu.core.models import ConfigAction
from minhu.orgs.models import Role, Unit, UnitKind
from minhu.orgs.scope import scope_of

from . import access
from .models import PROJECT_CHANNEL, PROJECT_KIND, Listing, Milestone, Project, ProjectLink
from .personal import find_personal

SOLVED = (Status.RESOLVED, Status.REPLIED, Status.CLOSED)
MAX_MILESTONES = 20


def _text(value, field: str, label: str, *, min_len: int, max_len: int) -> str:
    value = (value or "").strip()
    if len(value) < min_len:
        raise InvalidInput(
            _("%(label)s至少%(n)d个字") % {"label": label, "n": min_len},
            code="too_short",
            field=field,
        )
    if len(value) > max_len:
        raise InvalidInput(
            _("%(label)s不能超过%(n)d个字") % {"label": label, "n": max_len},
            code="too_long",
            field=field,
        )
    return value


def _public_text(value, field: str, label: str, appeal: Appeal | None, **kw) -> str:
    value = _text(value, field, label, **kw)
    names = (appeal.appellant_name, appeal.enterprise_name) if appeal else ()
    phones = (appeal.appellant_phone,) if appeal else ()
    found = find_personal(value, names=names, phones=phones)
    if found:
        raise InvalidInput(
            _("%(label)s含有个人信息（%(what)s），公开前请删去") % {"label": label, "what": found},
            code="personal_data",
            field=field,
        )
    return value


# --- 幸福清单 ------------------------------------------------------------------------------------


def check_publish(actor, appeal: Appeal) -> None:
    """A solved item, not listed yet, by the centre or a staff member of its street or
    community (guard of `publish`; the pages ask it too)."""
    if actor is None or not access.may_publish(actor, appeal):
        raise PermissionDenied(_("只有调度中心或所在街道、社区可以公开该诉求"))
    if appeal.status not in SOLVED or appeal.resolved_at is None:
        raise InvalidInput(_("只有已解决的诉求可以列入幸福清单"), code="not_solved")
    if appeal.street_id is None:
        raise InvalidInput(_("该诉求没有所在街道，不能公开"), code="no_street")
    if Listing.objects.filter(appeal=appeal, withdrawn_at__isnull=True).exists():
        raise Conflict(_("该诉求已在幸福清单中"), code="already_listed")


@transaction.atomic
def publish(appeal: Appeal | int, *, actor, title: str, result: str, micro: bool = True) -> Listing:
    """列入幸福清单: the item's public title and result, with no personal data."""
    appeal = access_appeal(actor, appeal.pk if isinstance(appeal, Appeal) else appeal)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    check_publish(actor, appeal)
    title = _public_text(title, "title", _("公开标题"), appeal, min_len=4, max_len=100)
    result = _public_text(result, "result", _("办理成效"), appeal, min_len=4, max_len=1000)
    community = appeal.grid.parent if appeal.grid_id else None
    values = {
        "community": community,
        "street_id": appeal.street_id,
        "title": title,
        "result": result,
        "micro": bool(micro),
        "solved_on": timezone.localdate(appeal.resolved_at),
        "published_by": actor,
        "withdrawn_at": None,
        "withdrawn_by": None,
    }
    listing = Listing.objects.filter(appeal=appeal).first()
    if listing is None:
        listing = Listing.objects.create(appeal=appeal, **values)
    else:  # published again after a withdrawal
        for k, v in values.items():
            setattr(listing, k, v)
        listing.published_at = timezone.now()
        listing.save()
    audit.record(
        actor, ConfigAction.CREATE, listing, {"title": [None, title], "appeal": [None, appeal.code]}
    )
    return listing


@transaction.atomic
def withdraw(listing: Listing | int, *, actor) -> Listing:
    """撤下: the entry leaves the public page (kept, with who withdrew it)."""
    listing = audit.lock(Listing, listing)
    if not access.may_publish(actor, listing.appeal):
        raise NotFound()
    if listing.withdrawn_at is not None:
        raise InvalidInput(_("该条目已撤下"), code="already_withdrawn")
    listing.withdrawn_at = timezone.now()
    listing.withdrawn_by = actor
    listing.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit.record(actor, ConfigAction.DEACTIVATE, listing, {"withdrawn": [False, True]})
    return listing


# --- 领办 projects ---------------------------------------------------------------------------------

PROJECT_WRITE_ROLES = (Role.DISPATCHER, Role.ADMIN)


def may_create_project(actor) -> bool:
    return actor is not None and scope_of(actor).has_role(*PROJECT_WRITE_ROLES)


def _milestones(rows: Iterable) -> list[tuple[str, dt.date | None]]:
    out = []
    for row in rows:
        title, due = (row, None) if isinstance(row, str) else (row[0], row[1])
        title = (title or "").strip()
        if not title:
            continue
        if len(title) > 100:
            raise InvalidInput(_("节点名称不能超过100个字"), code="too_long", field="milestones")
        out.append((title, due))
    if len(out) > MAX_MILESTONES:
        raise InvalidInput(
            _("节点不能超过%(n)d个") % {"n": MAX_MILESTONES}, code="too_many", field="milestones"
        )
    return out


@transaction.atomic
def create_project(
    *,
    actor,
    title: str,
    description: str,
    leader_kind: str,
    leader: str,
    lead_unit: Unit,
    responsible: str,
    area: Unit | None = None,
    due_on: dt.date | None = None,
    milestones: Sequence = (),
    public: bool = True,
) -> Project:
    """领办一件事: the project, its milestones, and its work item dispatched to the lead unit."""
    if not may_create_project(actor):
        raise PermissionDenied(_("领办项目由调度中心登记"))
    from .models import LeaderKind

    if leader_kind not in LeaderKind.values:
        raise InvalidInput(_("领办方式不正确"), code="invalid_choice", field="leader_kind")
    if not isinstance(lead_unit, Unit) or not lead_unit.active:
        raise InvalidInput(_("请选择承办单位"), code="required", field="lead_unit")
    if area is not None and area.kind not in (
        UnitKind.STREET,
        UnitKind.TOWN,
        UnitKind.COMMUNITY,
        UnitKind.VILLAGE,
    ):
        raise InvalidInput(_("所在地须是街道（镇）或社区（村）"), code="invalid_area", field="area")
    if due_on is not None and due_on < timezone.localdate():
        raise InvalidInput(_("计划完成日期不能早于今天"), code="in_past", field="due_on")
    project = Project.objects.create(
        title=_public_text(title, "title", _("项目名称"), None, min_len=4, max_len=100),
        description=_public_text(
            description, "description", _("项目内容"), None, min_len=5, max_len=3000
        ),
        leader_kind=leader_kind,
        leader=_text(leader, "leader", _("领办人/领办单位"), min_len=2, max_len=60),
        lead_unit=lead_unit,
        responsible=_text(responsible, "responsible", _("责任人"), min_len=2, max_len=40),
        area=area,
        due_on=due_on,
        public=bool(public),
        created_by=actor,
    )
    Milestone.objects.bulk_create(
        Milestone(project=project, position=i, title=t, due_on=d)
        for i, (t, d) in enumerate(_milestones(milestones))
    )
    grid = None
    item = appeal_actions.register_appeal(
        actor=actor,
        kind=PROJECT_KIND,
        source=project,
        channel=PROJECT_CHANNEL,
        subject=project.title,
        detail=_("【%(kind)s】%(leader)s领办，责任人：%(person)s。%(text)s")
        % {
            "kind": project.get_leader_kind_display(),
            "leader": project.leader,
            "person": project.responsible,
            "text": project.description,
        },
        grid=grid,
    )
    appeal_actions.dispatch(item, actor=actor, lead_unit=lead_unit)
    item.refresh_from_db()
    project.appeal = item
    project.save(update_fields=["appeal"])
    audit.record_created(actor, project, ("title", "leader", "lead_unit", "responsible", "area"))
    return project


def _lock_project(actor, project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    if not access.projects_visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    return Project.objects.select_for_update(of=("self",)).select_related("appeal").get(pk=pk)


def _require_lead(actor, project: Project) -> None:
    scope = scope_of(actor)
    if scope.has_role(*PROJECT_WRITE_ROLES):
        return
    if not (scope.roles_in(project.lead_unit_id) & {Role.HANDLER, Role.UNIT_LEADER}):
        raise PermissionDenied(_("只有承办单位可以推进该项目"))


@transaction.atomic
def complete_milestone(milestone: Milestone | int, *, actor, note: str = "") -> Milestone:
    """节点完成: ticked by the lead unit while the item is in progress; the note goes on the
    item's timeline as progress."""
    pk = milestone.pk if isinstance(milestone, Milestone) else milestone
    try:
        project_id = Milestone.objects.values_list("project_id", flat=True).get(pk=pk)
    except (Milestone.DoesNotExist, ValueError, TypeError):
        raise NotFound()
    project = _lock_project(actor, project_id)
    milestone = Milestone.objects.select_for_update().get(pk=pk)
    _require_lead(actor, project)
    if milestone.done_on is not None:
        raise InvalidInput(_("该节点已完成"), code="already_done")
    note = (note or "").strip()[:300]
    appeal_actions.add_progress(
        project.appeal,
        actor=actor,
        note=_("节点完成：%(title)s") % {"title": milestone.title} + (f"。{note}" if note else ""),
    )
    milestone.done_on = timezone.localdate()
    milestone.note = note
    milestone.save(update_fields=["done_on", "note"])
    return milestone


@transaction.atomic
def finish_project(project: Project | int, *, actor, result: str) -> Project:
    """项目完成: every milestone done, the item resolved with the project's result."""
    project = _lock_project(actor, project)
    _require_lead(actor, project)
    if project.milestones.filter(done_on__isnull=True).exists():
        raise InvalidInput(_("还有未完成的节点"), code="milestones_open")
    result = _public_text(result, "result", _("完成情况"), None, min_len=4, max_len=2000)
    appeal_actions.resolve(
        project.appeal,
        actor=actor,
        outcome_kind="coordinated",
        outcome=result,
        responsible_person=project.responsible,
    )
    return project


@transaction.atomic
def link_appeal(project: Project | int, appeal: Appeal | int, *, actor) -> ProjectLink:
    """关联诉求: an appeal the project answers (the actor must see both)."""
    project = _lock_project(actor, project)
    _require_lead(actor, project)
    try:
        appeal = access_appeal(actor, appeal.pk if isinstance(appeal, Appeal) else appeal)
    except NotFound:
        raise InvalidInput(_("没有这个诉求"), code="unknown_appeal", field="appeal")
    if appeal.pk == project.appeal_id:
        raise InvalidInput(_("不能关联项目自身"), code="self_link", field="appeal")
    try:
        with transaction.atomic():
            return ProjectLink.objects.create(project=project, appeal=appeal, linked_by=actor)
    except IntegrityError:
        raise Conflict(_("该诉求已关联"), code="already_linked", field="appeal")


@transaction.atomic
def unlink_appeal(project: Project | int, appeal_id: int, *, actor) -> None:
    project = _lock_project(actor, project)
    _require_lead(actor, project)
    deleted, _n = ProjectLink.objects.filter(project=project, appeal_id=appeal_id).delete()
    if not deleted:
        raise NotFound()
