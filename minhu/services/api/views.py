"""The service supermarket's API: the catalogue, the orders (the front desk's verbs) and the
figures, scoped like the pages ("not found" outside; phones masked unless the role needs
them)."""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from minhu.core.errors import InvalidInput
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter
from minhu.orgs.api.permissions import IsStaffMember
from minhu.orgs.models import Unit
from minhu.services import actions, stats
from minhu.services.access import orders_visible_to, services_visible_to
from minhu.services.models import OrderStatus, Service, ServiceCategory, ServiceOrder

from . import serializers as s

ACTION_ERRORS = errors(400, 401, 403, 404, 409)


def _unit(pk: int) -> Unit:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise InvalidInput(_("所选单位不存在"), code="invalid_unit", field="provider")
    return unit


class ServiceFilter(df.FilterSet):
    category = df.ChoiceFilter(choices=ServiceCategory.choices)
    active = df.BooleanFilter()
    provider = IntFilter(field_name="provider_id")
    area = IntFilter(field_name="areas", help_text="Services offered in this community")
    q = df.CharFilter(field_name="name", lookup_expr="icontains", max_length=50)

    class Meta:
        model = Service
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="The service catalogue visible to the user",
        responses={200: s.ServiceSerializer, **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One service", responses={200: s.ServiceSerializer, **errors(401, 403, 404)}
    ),
)
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaffMember]
    serializer_class = s.ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.none()

    def get_queryset(self) -> QuerySet[Service]:
        return (
            services_visible_to(self.request.user)
            .select_related("provider")
            .prefetch_related("areas")
            .distinct()
            .order_by("category", "name", "id")
        )

    def _answer(self, service: Service, code: int = status.HTTP_200_OK) -> Response:
        service = (
            Service.objects.prefetch_related("areas").select_related("provider").get(pk=service.pk)
        )
        return Response(s.ServiceSerializer(service).data, status=code)

    @extend_schema(
        summary="Put a service in the catalogue (front-desk staff of its communities)",
        request=s.ServiceInputSerializer,
        responses={201: s.ServiceSerializer, **ACTION_ERRORS},
    )
    def create(self, request: Request) -> Response:
        body = s.ServiceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        provider, areas = _unit(data.pop("provider")), data.pop("areas")
        service = actions.create_service(
            actor=request.user,
            provider=provider,
            areas=list(Unit.objects.filter(pk__in=areas)),
            **data,
        )
        return self._answer(service, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a service (fields given only); `active: false` takes it off the shelf",
        request=s.ServiceInputSerializer(partial=True),
        responses={200: s.ServiceSerializer, **ACTION_ERRORS},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        body = s.ServiceInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        provider = _unit(data.pop("provider")) if "provider" in data else None
        areas = data.pop("areas", None)
        service = actions.update_service(
            pk,
            actor=request.user,
            provider=provider,
            areas=None if areas is None else list(Unit.objects.filter(pk__in=areas)),
            **data,
        )
        return self._answer(service)


class OrderFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=OrderStatus.choices)
    service = IntFilter(field_name="service_id")
    community = IntFilter(field_name="community_id")
    number = df.CharFilter(field_name="number", lookup_expr="iexact", max_length=12)

    class Meta:
        model = ServiceOrder
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Service orders visible to the user (their desks' and those placed with them)",
        responses={200: s.ServiceOrderSerializer, **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One service order",
        responses={200: s.ServiceOrderSerializer, **errors(401, 403, 404)},
    ),
)
class ServiceOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated, IsStaffMember]
    serializer_class = s.ServiceOrderSerializer
    filterset_class = OrderFilter
    queryset = ServiceOrder.objects.none()

    def get_queryset(self) -> QuerySet[ServiceOrder]:
        return (
            orders_visible_to(self.request.user)
            .select_related("service", "community", "item")
            .order_by("-created_at", "-id")
        )

    def _answer(self, order: ServiceOrder, code: int = status.HTTP_200_OK) -> Response:
        order = (
            ServiceOrder.objects.select_related("service", "community", "item")
            .filter(pk=order.pk)
            .get()
        )
        return Response(
            s.ServiceOrderSerializer(order, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(
        summary="Take a phone or walk-in order at the front desk and place it at once",
        description="Registers the order's work item (kind `service_order`) and dispatches it "
        "to the service's provider; the resident is sent the tracking code by SMS.",
        request=s.TakeOrderSerializer,
        responses={201: s.ServiceOrderSerializer, **ACTION_ERRORS},
    )
    def create(self, request: Request) -> Response:
        body = s.TakeOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        community = Unit.objects.filter(pk=data.pop("community")).first()
        order = actions.take_order(
            data.pop("service"), actor=request.user, community=community, **data
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Place a resident's online order with its provider (front desk)",
        request=None,
        responses={200: s.ServiceOrderSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def place(self, request: Request, pk=None) -> Response:
        return self._answer(actions.place_order(pk, actor=request.user))

    @extend_schema(
        summary="Refuse a resident's online order, with the reason they are sent (front desk)",
        request=s.RejectSerializer,
        responses={200: s.ServiceOrderSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request: Request, pk=None) -> Response:
        body = s.RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(actions.reject_order(pk, actor=request.user, **body.validated_data))


class FiguresQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=["provider", "service", "category"], default="provider")
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class ServiceFiguresView(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        summary="Orders, 办结率, 按时办结率 and 满意率 per provider, service or category",
        description="Over the orders visible to the user, taken in [start, end). Every rate "
        "comes with its definition (numerator ÷ denominator).",
        parameters=[
            OpenApiParameter("by", str, enum=["provider", "service", "category"]),
            OpenApiParameter("start", str, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, description="YYYY-MM-DD (not included)"),
        ],
        responses={200: s.ServiceFiguresSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = FiguresQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        orders = orders_visible_to(request.user)
        start, end = q.get("start"), q.get("end")
        rows = stats.by(orders, q["by"], start, end)
        total = stats.total(orders, start, end).as_dict()
        total["id"], total["name"] = "", ""
        body = {
            "by": q["by"],
            "total": total,
            "rows": [{**r.as_dict(), "id": str(r.key)} for r in rows],
            "definitions": {
                k: {**d.as_dict(), "text": d.text} for k, d in stats.DEFINITIONS.items()
            },
        }
        return Response(s.ServiceFiguresSerializer(body).data)
