"""The appeal page and every action taken on it.

Each action is a form plus a runner that calls one verb of minhu.appeals.actions with
actor=request.user. Errors (DomainError) come back at the form, in Chinese; on success the page's
sections are re-rendered (htmx) or the browser is redirected (plain POST)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minhu.appeals import actions
from minhu.appeals.access import appeal_id_by_code, appeals_visible_to, can_see_phone, mask_phone
from minhu.appeals.attachments import serve_attachment
from minhu.appeals.models import Appeal, EventKind, ExtensionRequest
from minhu.core.errors import Conflict, DomainError, InvalidInput, NotFound
from minhu.routing import actions as routing_actions

from .. import forms as f
from ..due import deadline_state
from ..duplicates import candidates, linked
from ..permissions import AllowedActions, allowed_actions, may_open
from ..timeline import event_summary, status_label, step_dues
from .common import form_error, is_htmx, safe_next, visible_appeal_or_404
from .dispatch_form import (  # noqa: F401  (re-exported)
    dispatch_choices,
    dispatch_form,
    proposal_initial,
    suggested_lead,
)

# Which page a list fragment (`_from`) belongs to.
ORIGIN_PAGES = {"panel": "dispatch", "ext": "dispatch", "wb": "workbench", "fu": "follow_up"}


@dataclass
class Spec:
    form: type
    run: Callable  # (request, appeal, cleaned_data) -> success message
    allowed: Callable[[AllowedActions], bool]


def _run_dispatch(request, appeal, d):
    op = request.POST.get("op", "dispatch")
    with transaction.atomic():
        actions.classify(
            appeal.pk,
            actor=request.user,
            category=d.get("category"),
            urgency=d.get("urgency") or None,
            grid=d.get("grid"),
        )
        if op == "classify":
            return _("分类已保存")
        if not d.get("lead_unit"):
            raise InvalidInput(_("请选择主办单位"), code="required", field="lead_unit")
        actions.dispatch(
            appeal.pk,
            actor=request.user,
            lead_unit=d["lead_unit"],
            assist_units=list(d.get("assist_units") or []),
            note=d.get("note", ""),
        )
    return _("已派单至%(unit)s") % {"unit": d["lead_unit"].name}


def _run_merge(request, appeal, d):
    try:
        parent = appeal_id_by_code(request.user, d.get("parent_code"), field="parent_code")
    except NotFound as exc:  # an unknown code is the form's error, not a 404 of this page
        raise InvalidInput(exc.message, code="not_found", field="parent_code") from None
    child = actions.merge(appeal.pk, actor=request.user, parent=parent, note=d.get("note", ""))
    return _("已合并到 %(code)s") % {"code": child.parent.code}


def _run_claim(request, appeal, d):
    assignment = actions.claim(appeal.pk, actor=request.user, unit_id=d.get("unit_id"))
    return _("已签收（%(role)s）") % {"role": assignment.get_role_display()}


def _run_return(request, appeal, d):
    actions.return_appeal(appeal.pk, actor=request.user, reason=d.get("reason", ""))
    return _("已退回调度中心")


def _run_extension(request, appeal, d):
    actions.request_extension(
        appeal.pk, actor=request.user, days=d.get("days") or 0, reason=d.get("reason", "")
    )
    return _("延期申请已提交，等待调度中心审批")


def _run_decide_extension(request, appeal, d):
    ext = ExtensionRequest.objects.filter(pk=d["extension"], appeal=appeal).first()
    if ext is None:
        raise NotFound()
    actions.decide_extension(
        ext.pk, actor=request.user, approve=d["approve"], note=d.get("note", "")
    )
    return _("已批准延期") if d["approve"] else _("已驳回延期申请")


def _run_whistle(request, appeal, d):
    actions.blow_whistle(
        appeal.pk,
        actor=request.user,
        departments=list(d.get("departments") or []),
        reason=d.get("reason", ""),
    )
    return _("已吹哨，召集的部门将收到通知")


def _run_report(request, appeal, d):
    actions.report_summons(
        appeal.pk, actor=request.user, share=d.get("share", ""), unit_id=d.get("unit_id")
    )
    return _("已报到")


def _run_answer(request, appeal, d):
    actions.answer_summons(
        appeal.pk, actor=request.user, answer=d.get("answer", ""), unit_id=d.get("unit_id")
    )
    return _("已反馈")


def _run_cancel_summons(request, appeal, d):
    summons = actions.cancel_summons(
        appeal.pk, actor=request.user, summons_id=d["summons"], reason=d.get("reason", "")
    )
    return _("已撤销对%(unit)s的召集") % {"unit": summons.department.name}


def _run_progress(request, appeal, d):
    actions.add_progress(
        appeal.pk, actor=request.user, note=d.get("note", ""), attachments=d.get("attachments")
    )
    return _("已记录办理进展")


def _run_contact(request, appeal, d):
    actions.contact_appellant(appeal.pk, actor=request.user, note=d.get("note", ""))
    return _("已记录联系情况")


def _run_resolve(request, appeal, d):
    actions.resolve(
        appeal.pk,
        actor=request.user,
        outcome_kind=d.get("outcome_kind", ""),
        outcome=d.get("outcome", ""),
        measures=d.get("measures", ""),
        responsible_office=d.get("responsible_office", ""),
        responsible_person=d.get("responsible_person", ""),
        roadmap=d.get("roadmap", ""),
        timetable=d.get("timetable", ""),
        explanation=d.get("explanation", ""),
        attachments=d.get("attachments"),
    )
    return _("已办结，请答复群众")


def _run_reply(request, appeal, d):
    actions.reply(appeal.pk, actor=request.user, text=d.get("text", ""))
    return _("已答复群众")


def _run_follow_up(request, appeal, d):
    reached = d.get("reached", True)
    actions.record_follow_up(
        appeal.pk,
        actor=request.user,
        reached=reached,
        contacted=d.get("contacted"),
        solved=d.get("solved"),
        satisfaction=d.get("satisfaction", ""),
        comment=d.get("comment", ""),
        source=d.get("source") or "callback",
    )
    if not reached:
        return _("已记录：未接通")
    return _("回访已记录")


def _run_close(request, appeal, d):
    actions.close(appeal.pk, actor=request.user, note=d.get("note", ""))
    return _("已销号")


def _run_reopen(request, appeal, d):
    actions.reopen(appeal.pk, actor=request.user, reason=d.get("reason", ""))
    return _("已退回承办单位重办")


def _run_note(request, appeal, d):
    actions.add_note(appeal.pk, actor=request.user, text=d.get("text", ""))
    return _("备注已追加")


def _run_attach(request, appeal, d):
    saved = actions.add_attachments(appeal.pk, actor=request.user, files=d.get("files") or [])
    return _("已上传%(n)s张照片") % {"n": len(saved)}


def _run_edit(request, appeal, d):
    """Pass only the fields the user changed: an untouched field is never re-validated (an old
    phone number in another format does not block correcting the address)."""
    changes = {}
    for name in f.EditDetailsForm.FIELDS:
        if name not in d:
            continue
        new, old = d[name], getattr(appeal, name)
        if name in ("latitude", "longitude"):
            if new != old:
                changes[name] = new
        elif (new or "").strip() != (old or "").strip():
            changes[name] = new or ""
    # The verb runs even without changes: its guard answers first (and it writes nothing).
    actions.edit_details(appeal.pk, actor=request.user, note=d.get("note", ""), **changes)
    if not changes:
        raise InvalidInput(_("没有修改任何信息"), code="no_change")
    return _("信息已修改")


def _other_appeal(request, code: str) -> Appeal:
    """The appeal the user means by `code` (a tracking code), among those the user may see."""
    code = (code or "").strip().upper()
    if not code:
        raise InvalidInput(_("请填写要关联的诉求编号"), code="required", field="other_code")
    other = appeals_visible_to(request.user).filter(code=code).first()
    if other is None:
        raise InvalidInput(_("未找到该编号的诉求"), code="not_found", field="other_code")
    return other


def _run_link(request, appeal, d):
    other = _other_appeal(request, d.get("other_code"))
    if other.pk == appeal.pk:
        raise InvalidInput(_("不能关联到自身"), code="link_self", field="other_code")
    routing_actions.link_appeals(
        appeal.pk, actor=request.user, other=other.pk, note=d.get("note", "")
    )
    return _("已关联 %(code)s") % {"code": other.code}


def _run_unlink(request, appeal, d):
    other = appeals_visible_to(request.user).filter(pk=d.get("other") or 0).first()
    if other is None:
        raise NotFound()
    try:
        routing_actions.unlink_appeals(appeal.pk, actor=request.user, other=other.pk)
    except NotFound as exc:  # not linked (any more): say so at the form, not a 404
        raise Conflict(exc.message, code="not_linked")
    return _("已取消与 %(code)s 的关联") % {"code": other.code}


SPECS: dict[str, Spec] = {
    "dispatch": Spec(f.DispatchForm, _run_dispatch, lambda a: a.dispatch or a.classify),
    "merge": Spec(f.MergeForm, _run_merge, lambda a: a.merge),
    "claim": Spec(f.ClaimForm, _run_claim, lambda a: bool(a.claim_units)),
    "return": Spec(f.ReturnForm, _run_return, lambda a: a.return_appeal),
    "extension": Spec(f.ExtensionForm, _run_extension, lambda a: a.request_extension),
    "decide_extension": Spec(
        f.DecideExtensionForm, _run_decide_extension, lambda a: a.decide_extension
    ),
    "whistle": Spec(f.WhistleForm, _run_whistle, lambda a: a.whistle),
    "report": Spec(f.ReportForm, _run_report, lambda a: bool(a.report_units)),
    "answer": Spec(f.AnswerForm, _run_answer, lambda a: bool(a.answer_units)),
    "cancel_summons": Spec(
        f.CancelSummonsForm, _run_cancel_summons, lambda a: bool(a.cancel_summons)
    ),
    "progress": Spec(f.ProgressForm, _run_progress, lambda a: a.progress),
    "contact": Spec(f.ContactForm, _run_contact, lambda a: a.contact),
    "resolve": Spec(f.ResolveForm, _run_resolve, lambda a: a.resolve),
    "reply": Spec(f.ReplyForm, _run_reply, lambda a: a.reply),
    "follow_up": Spec(f.FollowUpForm, _run_follow_up, lambda a: a.follow_up),
    "close": Spec(f.CloseForm, _run_close, lambda a: a.close),
    "reopen": Spec(f.ReopenForm, _run_reopen, lambda a: a.reopen),
    "attach": Spec(f.AttachForm, _run_attach, lambda a: a.attach),
    "edit": Spec(f.EditDetailsForm, _run_edit, lambda a: a.edit),
    "note": Spec(f.NoteForm, _run_note, lambda a: a.note),
    "link": Spec(f.LinkForm, _run_link, lambda a: a.link),
    "unlink": Spec(f.UnlinkForm, _run_unlink, lambda a: a.link),
}


def build_form(name: str, appeal: Appeal, data=None, files=None, *, user=None):
    spec = SPECS[name]
    if name == "dispatch":
        form = dispatch_form(appeal, data)
        return form
    if name == "edit":
        visible = user is None or can_see_phone(user, appeal)
        return spec.form(data, files, appeal=appeal, phone_visible=visible)
    return spec.form(data, files)


def appeal_context(request, appeal: Appeal, *, bound: dict | None = None, flash=None) -> dict:
    """Everything the appeal page shows. `bound` holds a failed form by action name."""
    user = request.user
    appeal = (
        Appeal.objects.select_related(
            "category__parent__default_lead_unit",
            "category__default_lead_unit",
            "grid",
            "street",
            "lead_unit",
            "collection_point",
            "registered_by",
            "parent",
            "about_unit",
        )
        .filter(pk=appeal.pk)
        .first()
    )
    if appeal is None:
        raise Http404
    assignments = list(
        appeal.assignments.select_related("unit", "claimed_by").order_by("-round", "role", "id")
    )
    summonses = list(
        appeal.summonses.select_related("department", "reported_by", "whistle").order_by("id")
    )
    whistles = list(appeal.whistles.select_related("unit", "raised_by").order_by("raised_at"))
    extensions = list(
        appeal.extensions.select_related("unit", "requested_by", "decided_by").order_by(
            "-requested_at"
        )
    )
    follow_ups = list(appeal.follow_ups.select_related("actor", "unit").order_by("created_at"))
    events = list(appeal.events.select_related("actor", "unit"))
    attachments = list(appeal.attachments.order_by("created_at"))
    children = list(appeal.merged_children.only("id", "code", "subject", "status"))
    acts = allowed_actions(
        user,
        appeal,
        assignments=assignments,
        summonses=summonses,
        extensions=extensions,
        follow_ups=follow_ups,
        has_children=bool(children),
    )
    bound = bound or {}
    forms = {}
    for name, spec in SPECS.items():
        if not spec.allowed(acts):
            continue  # a denied attempt shows only its message (flash)
        if name in bound:
            forms[name] = bound[name]
        else:
            forms[name] = build_form(name, appeal, user=user)
    for s in summonses:
        s.report_state = deadline_state(s.report_due_at, s.reported_at)
        s.answer_state = deadline_state(s.answer_due_at, s.answered_at) if s.reported_at else ""
    links = linked(appeal, user)
    # Linked appeals the events name: only those the user may see are named (a query only
    # when the history names appeals that are not linked and visible now).
    visible_links = {a.pk for a in links}
    link_ids = (
        {e.data.get("other_id") for e in events if e.kind == EventKind.LINK and e.data}
        - visible_links
        - {None}
    )
    if link_ids:
        visible_links |= set(
            appeals_visible_to(user).filter(pk__in=link_ids).values_list("pk", flat=True)
        )
    for e in events:
        e.summary = event_summary(e, visible_links)
        e.from_label = status_label(e.from_status)
        e.to_label = status_label(e.to_status)
    phone_visible = can_see_phone(user, appeal)
    pending_extension = next((e for e in extensions if e.status == "pending"), None)
    current_fus = [fu for fu in follow_ups if fu.round == appeal.reopen_count]
    ctx = {
        "appeal": appeal,
        "assignments": assignments,
        "active_assignments": [a for a in assignments if a.active],
        "past_assignments": [a for a in assignments if not a.active],
        "assist_names": [a.unit.name for a in assignments if a.active and a.role == "assist"],
        "summonses": summonses,
        "whistles": whistles,
        "extensions": extensions,
        "pending_extension": pending_extension,
        "follow_ups": follow_ups,
        "unreached_this_round": sum(1 for fu in current_fus if not fu.reached),
        "events": events,
        "photos": attachments,
        "children": children,
        "acts": acts,
        "forms": forms,
        "open_form": next(iter(bound), ""),
        "dues": step_dues(appeal),
        "phone": appeal.appellant_phone if phone_visible else mask_phone(appeal.appellant_phone),
        "phone_visible": phone_visible,
        "flash": flash,
        "duplicates": candidates(appeal, user=user) if acts.merge else [],
        "links": links,
    }
    return ctx


@login_required
def appeal_detail(request, pk: int):
    appeal = visible_appeal_or_404(request.user, pk)
    ctx = appeal_context(request, appeal)
    ctx["tracking_qr"] = tracking_qr(request, appeal)
    return render(request, "web/appeal/detail.html", ctx)


def tracking_qr(request, appeal: Appeal) -> dict:
    """The printed work order's QR code: the appeal's public tracking page (which still asks
    for the appellant's phone before it shows anything)."""
    from django.utils.safestring import mark_safe

    from minhu.residents import qr

    url = qr.absolute(request, reverse("residents:track_detail", args=[appeal.code]))
    return {"url": url, "svg": mark_safe(qr.make(url).svg_inline(scale=3, border=2))}


@login_required
def appeal_main(request, pk: int):
    """The page's sections alone (htmx refresh)."""
    appeal = visible_appeal_or_404(request.user, pk)
    return render(request, "web/appeal/_main.html", appeal_context(request, appeal))


def perform(request, appeal: Appeal, name: str):
    """Validate the form and run the action. Returns (ok, message, form)."""
    spec = SPECS.get(name)
    if spec is None:
        raise Http404
    form = build_form(name, appeal, request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return False, "", form
    try:
        message = spec.run(request, appeal, form.cleaned_data)
    except NotFound:
        raise Http404
    except DomainError as exc:
        form_error(form, exc)
        return False, exc.message, form
    return True, message, form


@login_required
@require_POST
def appeal_action(request, pk: int, name: str):
    appeal = visible_appeal_or_404(request.user, pk)
    ok, message, form = perform(request, appeal, name)
    origin = request.POST.get("_from", "appeal")
    if origin in ORIGIN_PAGES and not may_open(request.user, ORIGIN_PAGES[origin]):
        origin = "appeal"  # a list fragment only for those who may open that list
    if origin != "appeal":
        # Lists (dispatch centre, workbench, follow-up) render their own fragments.
        from .fragments import render_fragment

        return render_fragment(request, origin, appeal, name, ok, message, form)
    if ok:
        if is_htmx(request):
            return render(
                request,
                "web/appeal/_main.html",
                appeal_context(request, appeal, flash=("success", message)),
            )
        messages.success(request, message)
        return redirect(safe_next(request, reverse("web:appeal", args=[appeal.pk])))
    ctx = appeal_context(request, appeal, bound={name: form}, flash=("error", message or ""))
    if is_htmx(request):
        return render(request, "web/appeal/_main.html", ctx)
    return render(request, "web/appeal/detail.html", ctx, status=400)


@login_required
def attachment_file(request, pk: int, att_id: int):
    """Photos are served only to staff who may see the appeal (appeals.attachments)."""
    try:
        return serve_attachment(request.user, pk, att_id)
    except NotFound:
        raise Http404 from None
