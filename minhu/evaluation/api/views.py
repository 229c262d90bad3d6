"""Accountability API under /api/v1/evaluation/. Reads are scoped like the web pages; writes
call the verbs in evaluation.actions; errors use the common error body."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from minhu.appeals.access import appeals_visible_to
from minhu.core.api import Pagination
from minhu.core.errors import InvalidInput, NotFound, PermissionDenied
from minhu.core.parsers import JSONObjectParser
from minhu.core.times import local_iso
from minhu.orgs.models import Unit

from .. import (
    access,
    actions,
    dashboard,
    evaluations,
    figures,
    importer,
    ledgers,
    promises,
    public,
    rankings,
    rates,
)
from ..config import active_config
from ..models import (
    HarmfulConduct,
    Interview,
    NegativeIndicator,
    Nomination,
    NominationStatus,
    RankingGroup,
    RankingSnapshot,
    Supervision,
)
from ..periods import current_period, last_ended_period, parse_period
from . import serializers as body

# Response bodies (their fields are documented in docs/accountability.md).
OBJECT = OpenApiTypes.OBJECT
ARRAY = {"type": "array", "items": {"type": "object", "additionalProperties": True}}


def _doc(
    summary: str,
    *params: str,
    request=None,
    responses=None,
    methods: list[str] | None = None,
    operation_id: str | None = None,
):
    """OpenAPI description for a function view: `responses` maps statuses to bodies (default:
    200 with a JSON object)."""
    return extend_schema(
        operation_id=operation_id,
        methods=methods,
        summary=summary,
        tags=["evaluation"],
        request=request,
        responses=responses or {200: OBJECT},
        parameters=[OpenApiParameter(p, OpenApiTypes.STR, OpenApiParameter.QUERY) for p in params],
    )


def _s(v):
    return None if v is None else str(v)


def _period(request, default=None):
    config = active_config()
    raw = (
        request.query_params.get("period")
        if request.method == "GET"
        else request.data.get("period")
    )
    return parse_period(
        raw, config.period_start_day, default=default or last_ended_period(config.period_start_day)
    )


def _unit(request, key="unit"):
    value = request.query_params.get(key) if request.method == "GET" else request.data.get(key)
    if value in (None, ""):
        return None
    return access.visible_unit(request.user, value)


# --- config, rates, drill-down --------------------------------------------------------------


@_doc("当前考核规则")
@api_view(["GET"])
def config_view(request):
    access.require_staff(request.user)
    c = active_config()
    return Response(
        {
            "id": c.pk,
            "active": bool(c.pk and c.active),
            **c.as_dict(),
            "interview_threshold": _s(c.interview_threshold),
            "interview_bottom_n": c.interview_bottom_n,
            "review_threshold": _s(c.review_threshold),
            "review_negative_limit": c.review_negative_limit,
            "supervise_overdue_days": c.supervise_overdue_days,
            "supervision_days": c.supervision_days,
        }
    )


@_doc("三率与综合得分", "period", "unit")
@api_view(["GET"])
def rates_view(request):
    """Figures for one unit (?unit=) or for every street/town and department."""
    access.require_staff(request.user)
    config = active_config()
    period = _period(request)
    unit = _unit(request)
    if unit is not None:
        units = [unit]
    else:
        units = [u for g in RankingGroup for u in rankings.group_units(g)]
    figs = rates.figures_for_units(units, period, config)
    return Response(
        {
            "period": period.key,
            "start": period.first_day.isoformat(),
            "end": period.last_day.isoformat(),
            "results": [
                {
                    "unit": u.pk,
                    "unit_name": u.name,
                    **figs[u.pk].as_dict(),
                    "drilldown": f"/api/v1/evaluation/drilldown/?period={period.key}&unit={u.pk}&metric=valid",
                }
                for u in units
            ],
        }
    )


@_doc("组成某一数字的回访与诉求", "period", "unit", "metric")
@api_view(["GET"])
def drilldown_view(request):
    """The follow-ups (with their appeals) behind a figure: ?period=&unit=&metric=."""
    access.require_staff(request.user)
    config = active_config()
    period = _period(request)
    unit = _unit(request)
    if unit is None and not access.sees_district(request.user):
        unit = access.home_unit(request.user)
        if unit is None:
            raise NotFound()
    metric = request.query_params.get("metric", "valid")
    qs = rates.drilldown(period.first_day, period.end_day, config, metric, unit)
    if not access.sees_district(request.user):
        qs = qs.filter(appeal__in=appeals_visible_to(request.user).values("pk"))
    paginator = Pagination()
    page = paginator.paginate_queryset(qs, request)
    return paginator.get_paginated_response(
        [
            {
                "follow_up": f.pk,
                "appeal": f.appeal_id,
                "appeal_code": f.appeal.code,
                "subject": f.appeal.subject,
                "unit": f.unit_id,
                "unit_name": f.unit.name if f.unit_id else "",
                "source": f.source,
                "reached": f.reached,
                "contacted": f.contacted,
                "solved": f.solved,
                "satisfaction": f.satisfaction,
                "created_at": local_iso(f.created_at),
            }
            for f in page
        ]
    )


# --- rankings -------------------------------------------------------------------------------


@_doc("考核排名（含环比、同比）", "period", "group")
@api_view(["GET"])
def rankings_view(request):
    access.require_staff(request.user)
    config = active_config()
    period = _period(request)
    groups = request.query_params.getlist("group") or list(RankingGroup.values)
    out = {}
    cache: dict = {}
    for g in groups:
        if g not in RankingGroup.values:
            raise InvalidInput(_("排名组不正确"), code="invalid_group", field="group")
        snap = rankings.published(period, g)
        out[g] = {
            "published": None
            if snap is None
            else {
                "snapshot": snap.pk,
                "version": snap.version,
                "frozen_at": local_iso(snap.frozen_at),
            },
            "rows": [r.as_dict() for r in rankings.ranking(period, g, config, cache)],
        }
    return Response({"period": period.key, "groups": out, "definitions": figures.definitions()})


@_doc("发布并冻结排名", request=body.PublishBody, responses={201: OBJECT})
@api_view(["POST"])
def publish_view(request):
    config = active_config()
    data = body.read(body.PublishBody, request.data)
    period = parse_period(data.get("period"), config.period_start_day)
    snaps = actions.publish_ranking(
        actor=request.user,
        period=period,
        groups=data.get("groups") or list(RankingGroup.values),
        note=data["note"],
        revise=data["revise"],
    )
    return Response(
        {"snapshots": [{"id": s.pk, "group": s.group, "version": s.version} for s in snaps]},
        status=status.HTTP_201_CREATED,
    )


def _snapshot(pk) -> RankingSnapshot:
    try:
        return RankingSnapshot.objects.get(pk=pk)
    except (RankingSnapshot.DoesNotExist, ValueError):
        raise NotFound()


@_doc("排名快照列表", "period", responses={200: ARRAY}, operation_id="evaluation_snapshots_list")
@api_view(["GET"])
def snapshots_view(request):
    access.require_staff(request.user)
    qs = RankingSnapshot.objects.all()
    if request.query_params.get("period"):
        qs = qs.filter(period=request.query_params["period"])
    return Response(
        [
            {
                "id": s.pk,
                "period": s.period,
                "group": s.group,
                "version": s.version,
                "frozen_at": local_iso(s.frozen_at),
                "superseded": s.superseded,
                "note": s.note,
            }
            for s in qs[:200]
        ]
    )


@_doc("排名快照")
@api_view(["GET"])
def snapshot_view(request, pk: int):
    access.require_staff(request.user)
    snap = _snapshot(pk)
    return Response(
        {
            "id": snap.pk,
            "period": snap.period,
            "group": snap.group,
            "version": snap.version,
            "config": snap.config,
            "frozen_at": local_iso(snap.frozen_at),
            "rows": [r.as_dict() for r in rankings.snapshot_rows(snap)],
        }
    )


@_doc("快照与重新计算的差异及原因")
@api_view(["GET"])
def snapshot_difference_view(request, pk: int):
    access.require_staff(request.user)
    diff = rankings.explain_difference(_snapshot(pk), active_config())
    return Response(
        {
            "changed": diff.changed,
            "summary": diff.summary(),
            "late_follow_ups": diff.late_total,
            "config_changes": [
                {"setting": k, "frozen": old, "now": new} for k, old, new in diff.config_changes
            ],
            "units": [
                {
                    "unit": u.unit_id,
                    "unit_name": u.unit_name,
                    "changed": u.changed,
                    "frozen": u.frozen.as_dict(),
                    "live": u.live.as_dict(),
                    "frozen_rank": u.frozen_rank,
                    "live_rank": u.live_rank,
                    "late": [
                        {
                            "follow_up": f.pk,
                            "appeal": f.appeal_id,
                            "appeal_code": f.appeal.code,
                            "created_at": local_iso(f.created_at),
                            "satisfaction": f.satisfaction,
                        }
                        for f in u.late
                    ],
                    "removed": u.removed,
                }
                for u in diff.units
            ],
        }
    )


# --- dashboard ------------------------------------------------------------------------------


@_doc("数据看板", "period", "unit")
@api_view(["GET"])
def dashboard_view(request):
    access.require_staff(request.user)
    config = active_config()
    period = _period(request, current_period(config.period_start_day))
    unit = _unit(request)
    if unit is None and not access.sees_district(request.user):
        unit = access.home_unit(request.user)
        if unit is None:
            raise NotFound()
    if unit is not None and unit.kind not in dashboard.DASHBOARD_KINDS:
        raise InvalidInput(_("只有街道、镇和区直部门有看板"), code="no_dashboard", field="unit")
    return Response(dashboard.as_json(dashboard.build(period, config, unit)))


# --- evaluations and 约谈 ---------------------------------------------------------------------


def _score(s) -> dict:
    return {
        "unit": s.unit_id,
        "unit_name": s.unit_name,
        "total": s.total,
        "satisfied": s.satisfied,
        "basic": s.basic,
        "unsatisfied": s.unsatisfied,
        "rate": _s(s.rate),
        "unverified": s.unverified,
        "negatives": s.negatives,
        "negative_items": s.negative_items,
        "details": {k: {**v, "rate": _s(v.get("rate"))} for k, v in s.details.items()},
    }


@_doc("评价结果", "period", methods=["GET"])
@_doc("提交基层评机关", methods=["POST"], request=body.ReviewBody, responses={201: OBJECT})
@api_view(["GET", "POST"])
def reviews_view(request):
    config = active_config()
    if request.method == "POST":
        data = body.read(body.ReviewBody, request.data)
        period = parse_period(data.get("period"), config.period_start_day)
        dept = Unit.objects.filter(pk=data.get("department")).first()
        if dept is None:
            raise InvalidInput(_("请选择被评部门"), code="required", field="department")
        review = actions.submit_department_review(
            actor=request.user,
            department=dept,
            period=period,
            satisfaction=data["satisfaction"],
            indicators=list(NegativeIndicator.objects.filter(code__in=data["indicators"])),
            comment=data["comment"],
        )
        return Response({"id": review.pk}, status=status.HTTP_201_CREATED)
    access.require_staff(request.user)
    period = _period(request, current_period(config.period_start_day))
    data = {
        "period": period.key,
        "department_reviews": [_score(s) for s in evaluations.department_reviews(period, config)],
        "enterprise_ratings": [_score(s) for s in evaluations.enterprise_ratings(period, config)],
        "service_ratings": [_score(s) for s in evaluations.service_ratings(period, config)],
    }
    if not access.sees_district(request.user):
        from minhu.orgs.scope import scope_of

        mine = scope_of(request.user).unit_ids
        for k in ("department_reviews", "enterprise_ratings", "service_ratings"):
            data[k] = [s for s in data[k] if s["unit"] in mine]
    return Response(data)


def _interview(i: Interview) -> dict:
    return {
        "id": i.pk,
        "unit": i.unit_id,
        "unit_name": i.unit.name,
        "period": i.period,
        "source": i.source,
        "reason": i.reason,
        "score": _s(i.score),
        "status": i.status,
        "held_at": local_iso(i.held_at),
        "interviewer": i.interviewer,
        "attendees": i.attendees,
        "record": i.record,
        "promise": i.promise,
        "promise_due": local_iso(i.promise_due),
        "item": i.item_id,
        "promise_state": promises.state_of(i.item) if i.item_id else None,
    }


@_doc("约谈列表", "status")
@api_view(["GET"])
def interviews_view(request):
    access.require_staff(request.user)
    qs = access.interviews_visible_to(request.user).select_related("unit", "item")
    if request.query_params.get("status"):
        qs = qs.filter(status=request.query_params["status"])
    paginator = Pagination()
    page = paginator.paginate_queryset(qs.order_by("-period", "id"), request)
    return paginator.get_paginated_response([_interview(i) for i in page])


@_doc("记录约谈", request=body.InterviewRecordBody)
@api_view(["POST"])
def interview_record_view(request, pk: int):
    if not access.interviews_visible_to(request.user).filter(pk=pk).exists():
        raise NotFound()
    data = body.read(body.InterviewRecordBody, request.data)
    obj = actions.record_interview(
        pk,
        actor=request.user,
        held_at=data.get("held_at"),
        interviewer=data["interviewer"],
        attendees=data["attendees"],
        record=data["record"],
        promise=data["promise"],
        promise_due=data.get("promise_due"),
    )
    obj = Interview.objects.select_related("unit", "item").get(pk=obj.pk)
    return Response(_interview(obj))


# --- 红黑榜 ---------------------------------------------------------------------------------


def _nomination(n: Nomination, public: bool = False) -> dict:
    d = {
        "id": n.pk,
        "list_kind": n.list_kind,
        "period": n.period,
        "subject_name": n.subject_name,
        "reason": n.reason,
        "conduct": n.conduct.name if n.conduct_id else None,
    }
    if not public:
        d.update(
            unit=n.unit_id,
            status=n.status,
            rule=n.rule_id,
            evidence=n.evidence,
            decision_note=n.decision_note,
        )
    return d


@_doc("红黑榜提名", "period", methods=["GET"], responses={200: ARRAY})
@_doc("提名", methods=["POST"], request=body.NominationBody, responses={201: OBJECT})
@api_view(["GET", "POST"])
def nominations_view(request):
    if not access.is_centre(request.user):
        raise NotFound()
    config = active_config()
    if request.method == "POST":
        data = body.read(body.NominationBody, request.data)
        period = parse_period(data.get("period"), config.period_start_day)
        unit = access.visible_unit(request.user, data["unit"]) if data.get("unit") else None
        conduct = None
        if data["conduct"]:
            conduct = HarmfulConduct.objects.filter(code=data["conduct"]).first()
            if conduct is None:
                raise InvalidInput(
                    _("损害营商环境行为不正确"), code="invalid_choice", field="conduct"
                )
        n = actions.nominate(
            actor=request.user,
            list_kind=data["list_kind"],
            period=period,
            reason=data["reason"],
            unit=unit,
            subject_name=data["subject_name"],
            conduct=conduct,
        )
        return Response(_nomination(n), status=status.HTTP_201_CREATED)
    period = _period(request)
    qs = Nomination.objects.filter(period=period.key).select_related("conduct")
    return Response([_nomination(n) for n in qs])


@_doc("按规则生成提名", request=body.PeriodBody, responses={201: ARRAY})
@api_view(["POST"])
def nominations_propose_view(request):
    config = active_config()
    data = body.read(body.PeriodBody, request.data)
    period = parse_period(data.get("period"), config.period_start_day)
    made = actions.propose_from_rules(actor=request.user, period=period)
    return Response([_nomination(n) for n in made], status=status.HTTP_201_CREATED)


@_doc("审核提名", request=body.DecideBody)
@api_view(["POST"])
def nomination_decide_view(request, pk: int):
    data = body.read(body.DecideBody, request.data)
    n = actions.decide_nomination(
        pk, actor=request.user, approve=data["approve"], note=data["note"]
    )
    return Response(_nomination(n))


@_doc("公开阅卷：区的已结束考核周期的各项数字（含定义）与已发布排名", "period")
@api_view(["GET"])
@permission_classes([AllowAny])
def public_exam_view(request, pk: int):
    """The public figures of a district (no login, no personal data; cached, rate-limited)."""
    public.check_limit(request)
    unit = public.district(pk)
    config = active_config()
    period = public.period_of(request.query_params.get("period"), config)
    return Response(public.exam(unit, period, config))


@_doc("公开的红黑榜", "period")
@api_view(["GET"])
@permission_classes([AllowAny])
def public_redblack_view(request):
    """The published lists (no login)."""
    public.check_limit(request)
    qs = Nomination.objects.filter(status=NominationStatus.APPROVED).select_related("conduct")
    if request.query_params.get("period"):
        qs = qs.filter(period=request.query_params["period"])
    return Response(
        {
            "conducts": list(
                HarmfulConduct.objects.filter(active=True).values_list("name", flat=True)
            ),
            "results": [
                _nomination(n, public=True) for n in qs.order_by("-period", "list_kind")[:500]
            ],
        }
    )


# --- 督办 -----------------------------------------------------------------------------------


def _supervision(s: Supervision) -> dict:
    return {
        "id": s.pk,
        "appeal": s.appeal_id,
        "unit": s.unit_id,
        "reason": s.reason,
        "requirement": s.requirement,
        "auto": s.auto,
        "status": s.status,
        "due_at": local_iso(s.due_at),
        "overdue": s.is_overdue,
        "created_at": local_iso(s.created_at),
        "result": s.result,
    }


@_doc("督办列表", "status", methods=["GET"])
@_doc("新建督办", methods=["POST"], request=body.SupervisionBody, responses={201: OBJECT})
@api_view(["GET", "POST"])
def supervisions_view(request):
    if request.method == "POST":
        data = body.read(body.SupervisionBody, request.data)
        due = data.get("due_at")
        if data.get("appeal"):
            appeal = appeals_visible_to(request.user).filter(pk=data["appeal"]).first()
            if appeal is None:
                raise NotFound()
            s = actions.supervise_appeal(
                appeal,
                actor=request.user,
                reason=data["reason"],
                requirement=data["requirement"],
                due_at=due,
            )
        else:
            if not data.get("unit"):
                raise InvalidInput(_("请指定诉求或单位"), code="required", field="unit")
            s = actions.supervise_unit(
                access.visible_unit(request.user, data["unit"]),
                actor=request.user,
                reason=data["reason"],
                requirement=data["requirement"],
                due_at=due,
            )
        return Response(_supervision(s), status=status.HTTP_201_CREATED)
    access.require_staff(request.user)
    qs = access.supervisions_visible_to(request.user)
    if request.query_params.get("status"):
        qs = qs.filter(status=request.query_params["status"])
    paginator = Pagination()
    page = paginator.paginate_queryset(qs.order_by("due_at", "id"), request)
    return paginator.get_paginated_response([_supervision(s) for s in page])


@_doc("办结或撤销督办", request=body.CloseSupervisionBody)
@api_view(["POST"])
def supervision_close_view(request, pk: int):
    data = body.read(body.CloseSupervisionBody, request.data)
    s = actions.close_supervision(
        pk, actor=request.user, result=data["result"], cancel=data["cancel"]
    )
    return Response(_supervision(s))


# --- ledgers and import ---------------------------------------------------------------------


@extend_schema(
    summary="导出台账xlsx",
    tags=["evaluation"],
    parameters=[body.LedgerQuery],
    responses={
        (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): (
            OpenApiTypes.BINARY
        )
    },
)
@api_view(["GET"])
def ledger_view(request, kind: str):
    access.require_staff(request.user)
    q = body.read(body.LedgerQuery, request.query_params)
    req = ledgers.build(
        request.user,
        kind,
        start=q.get("start"),
        end=q.get("end"),
        unit_id=q.get("unit"),
        category_id=q.get("category"),
        handler_id=q.get("handler"),
        status=q["status"] or None,
    )
    return FileResponse(ledgers.render(req), as_attachment=True, filename=f"{req.title}.xlsx")


@_doc(
    "导入历史工单（xlsx/CSV）",
    responses={201: OBJECT, 202: OBJECT},
    request={
        "multipart/form-data": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
        }
    },
)
@api_view(["POST"])
@parser_classes([MultiPartParser, FormParser, JSONObjectParser])
def import_view(request):
    """A small file is imported at once (201). A larger one (over importer.INLINE_BYTES) is
    checked and written by a background job: 202 with the import's id; poll
    GET imports/{id}/ for its progress and report."""
    f = request.FILES.get("file")
    if f is None:
        raise InvalidInput(_("请上传文件"), code="required", field="file")
    if f.size > importer.INLINE_BYTES:
        imp = importer.start_import(actor=request.user, upload=f)
        return Response(_history_import(imp), status=status.HTTP_202_ACCEPTED)
    batch, result = importer.import_file(f.read(), f.name, actor=request.user)
    if batch is None:
        raise InvalidInput(
            _("文件有%(n)d处错误，未导入任何工单") % {"n": len(result.errors)},
            code="import_rejected",
            rows=result.total,
            errors=[e.as_dict() for e in result.errors[:1000]],
        )
    return Response({"batch": batch.pk, "rows": batch.rows}, status=status.HTTP_201_CREATED)


def _history_import(imp) -> dict:
    return {
        "id": imp.pk,
        "status": imp.status,
        "file_name": imp.file_name,
        "total_rows": imp.total_rows,
        "checked_rows": imp.checked_rows,
        "written_rows": importer.written_rows(imp),
        "percent": importer.percent(imp),
        "error_count": imp.error_count,
        "errors": imp.errors,
        "message": imp.message,
        "batch": imp.batch_id,
        "finished": imp.finished,
    }


@_doc("后台导入的进度与结果", methods=["GET"])
@api_view(["GET"])
def import_status_view(request, pk: int):
    from minhu.evaluation.models import HistoryImport

    try:
        importer.check_import(request.user)
    except PermissionDenied:
        raise NotFound(_("未找到该导入")) from None
    imp = HistoryImport.objects.filter(pk=pk).first()
    if imp is None:
        raise NotFound(_("未找到该导入"))
    return Response(_history_import(imp))
