"""The routing API: proposals, duplicates, links and the reply check per appeal (scoped like the
appeal itself), hotspots (scoped), and for the dispatch centre the models, the dispatch
catalogue and the settings. Changes go through minhu.routing.actions."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minhu.appeals.access import CENTRE_ROLES, access_appeal, appeals_visible_to
from minhu.core.api import Pagination
from minhu.core.errors import InvalidInput, NotFound
from minhu.orgs.api.common import errors
from minhu.orgs.api.permissions import IsStaffMember
from minhu.orgs.scope import scope_of

from .. import actions, duplicates, hotspots, proposals, replycheck
from ..models import ClassifierModel, DispatchRule, RoutingConfig
from . import serializers as s


class IsCentre(BasePermission):
    message = gettext_lazy("只有调度中心可以执行此操作")

    def has_permission(self, request, view) -> bool:
        return scope_of(request.user).has_role(*CENTRE_ROLES)


def _appeal(user, appeal_id):
    try:
        return access_appeal(user, int(appeal_id))
    except (TypeError, ValueError):
        raise NotFound()


class ProposalView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        summary="The routing proposal of an appeal (top-3 categories, location, lead unit)",
        responses={200: s.ProposalSerializer, **errors(401, 403, 404)},
    )
    def get(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        data = proposals.proposal_for(appeal)
        if data is None:
            raise NotFound(_("暂无智能分拨建议"), code="no_proposal")
        return Response(s.ProposalSerializer(data).data)


class DuplicatesView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        summary="Likely duplicates of an appeal (recent, open, similar text, near place)",
        responses={200: s.DuplicateSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        rows = [
            {
                "id": a.pk,
                "code": a.code,
                "subject": a.subject,
                "status": a.status,
                "score": score,
                "reasons": reasons,
            }
            for a, score, reasons in duplicates.candidates(appeal, limit=5, user=request.user)
        ]
        return Response(s.DuplicateSerializer(rows, many=True).data)


class LinksView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    def _other(self, user, ref: str):
        ref = (ref or "").strip()
        other = (
            appeals_visible_to(user)
            .filter(Q(code=ref.upper()) | Q(pk=int(ref) if ref.isdigit() else 0))
            .first()
        )
        if other is None:
            raise NotFound(_("未找到要关联的诉求"))
        return other

    @extend_schema(
        summary="Appeals linked to this one",
        responses={200: s.LinkedAppealSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        linked = actions.linked_appeals(appeal, request.user)
        return Response(s.LinkedAppealSerializer(linked, many=True).data)

    @extend_schema(
        summary="Link another appeal (dispatch centre)",
        request=s.LinkInputSerializer,
        responses={201: s.LinkedAppealSerializer(many=True), **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        body = s.LinkInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        other = self._other(request.user, body.validated_data["other"])
        actions.link_appeals(
            appeal, actor=request.user, other=other, note=body.validated_data["note"]
        )
        linked = actions.linked_appeals(appeal, request.user)
        return Response(
            s.LinkedAppealSerializer(linked, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Remove a link (dispatch centre)",
        parameters=[OpenApiParameter("other", OpenApiTypes.STR, description="id or code")],
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        other = self._other(request.user, request.query_params.get("other", ""))
        actions.unlink_appeals(appeal, actor=request.user, other=other)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReplyCheckView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        summary="Check a draft reply: relevance, completeness, timeliness, warnings",
        request=s.ReplyCheckInputSerializer,
        responses={200: s.ReplyCheckSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, appeal_id: int) -> Response:
        appeal = _appeal(request.user, appeal_id)
        body = s.ReplyCheckInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = replycheck.check_reply(appeal, body.validated_data["text"])
        return Response(s.ReplyCheckSerializer(result).data)


class HotspotsView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]
    pagination_class = Pagination  # the schema then describes the page, not a bare list

    @extend_schema(
        summary="Hotspots of a month among the appeals the user may see",
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: now)"),
            OpenApiParameter("street", OpenApiTypes.INT),
        ],
        responses={200: s.HotspotSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        value = request.query_params.get("month") or f"{timezone.localdate():%Y-%m}"
        try:
            month = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise InvalidInput(_("月份格式应为 YYYY-MM"), code="invalid_month", field="month")
        street = request.query_params.get("street")
        start, end = hotspots.month_bounds(month)
        scope = scope_of(request.user)
        key = "all" if scope.all_units else f"u{request.user.pk}"
        clusters = hotspots.hotspots(
            appeals_visible_to(request.user),
            start=start,
            end=end,
            street_id=int(street) if street and street.isdigit() else None,
            scope_key=key,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset([c.as_dict() for c in clusters], request, view=self)
        return paginator.get_paginated_response(s.HotspotSerializer(page, many=True).data)


class ModelsView(APIView):
    permission_classes = [IsAuthenticated, IsCentre]
    pagination_class = Pagination  # the schema then describes the page, not a bare list

    @extend_schema(
        summary="Classifier model versions with their evaluation",
        responses={200: s.ClassifierModelSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        qs = ClassifierModel.objects.defer("blob").order_by("-version")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.ClassifierModelSerializer(page, many=True).data)


class ModelActivateView(APIView):
    permission_classes = [IsAuthenticated, IsCentre]

    @extend_schema(
        summary="Activate a model version",
        request=None,
        responses={200: s.ClassifierModelSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        model = actions.activate_model(pk, actor=request.user)
        return Response(s.ClassifierModelSerializer(model).data)


class RulesView(APIView):
    permission_classes = [IsAuthenticated, IsCentre]
    pagination_class = Pagination  # the schema then describes the page, not a bare list

    @extend_schema(
        summary="The dispatch catalogue (active rules; ?all=1 for every rule)",
        responses={200: s.DispatchRuleSerializer(many=True), **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        qs = DispatchRule.objects.prefetch_related("assist_units").order_by("category_id", "id")
        if request.query_params.get("all") != "1":
            qs = qs.filter(active=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.DispatchRuleSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a rule",
        request=s.DispatchRuleSerializer,
        responses={201: s.DispatchRuleSerializer, **errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        body = s.DispatchRuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        rule = actions.save_dispatch_rule(
            actor=request.user,
            category=d["category"],
            area=d.get("area"),
            lead_unit=d.get("lead_unit"),
            lead_local=d.get("lead_local", ""),
            assist_units=d.get("assist_units", []),
            note=d.get("note", ""),
        )
        return Response(s.DispatchRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleView(APIView):
    permission_classes = [IsAuthenticated, IsCentre]

    def _rule(self, pk) -> DispatchRule:
        rule = DispatchRule.objects.filter(pk=pk).first()
        if rule is None:
            raise NotFound()
        return rule

    @extend_schema(
        summary="Replace a rule",
        request=s.DispatchRuleSerializer,
        responses={200: s.DispatchRuleSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def put(self, request: Request, pk: int) -> Response:
        rule = self._rule(pk)
        body = s.DispatchRuleSerializer(rule, data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        rule = actions.save_dispatch_rule(
            actor=request.user,
            rule=rule,
            category=d["category"],
            area=d.get("area"),
            lead_unit=d.get("lead_unit"),
            lead_local=d.get("lead_local", ""),
            assist_units=d.get("assist_units", []),
            note=d.get("note", ""),
        )
        return Response(s.DispatchRuleSerializer(rule).data)

    @extend_schema(summary="Deactivate a rule", responses={204: None, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, pk: int) -> Response:
        actions.deactivate_dispatch_rule(self._rule(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConfigView(APIView):
    permission_classes = [IsAuthenticated, IsCentre]

    @extend_schema(summary="Routing settings", responses={200: s.RoutingConfigSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.RoutingConfigSerializer(RoutingConfig.get()).data)

    @extend_schema(
        summary="Change routing settings",
        request=s.RoutingConfigSerializer,
        responses={200: s.RoutingConfigSerializer, **errors(400, 401, 403)},
    )
    def patch(self, request: Request) -> Response:
        body = s.RoutingConfigSerializer(RoutingConfig.get(), data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        config = actions.update_config(actor=request.user, **body.validated_data)
        return Response(s.RoutingConfigSerializer(config).data)
