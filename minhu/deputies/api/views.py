"""The deputies' API: the register (phones masked by role), their suggestions with the formal
answer and rating, entering one, counts per deputy and per lead unit."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter, YearFilter
from minhu.orgs.models import Unit, UnitKind

from .. import access, actions
from ..models import Deputy, DeputyLevel, Suggestion


class DeputySerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    phone = serializers.SerializerMethodField(help_text="Masked unless the role handles phones")

    class Meta:
        model = Deputy
        fields = [
            "id",
            "name",
            "level",
            "level_label",
            "constituency",
            "phone",
            "workplace",
            "active",
        ]
        read_only_fields = fields

    def get_phone(self, obj: Deputy) -> str:
        return access.shown_phone(self.context["request"].user, obj.phone)


class SuggestionSerializer(serializers.ModelSerializer):
    deputy = serializers.CharField(source="deputy.name", read_only=True)
    appeal_code = serializers.CharField(source="appeal.code", read_only=True)
    status = serializers.CharField(source="appeal.status", read_only=True)
    lead_unit = serializers.CharField(source="appeal.lead_unit.name", read_only=True, default=None)
    answer = serializers.CharField(source="appeal.reply", read_only=True)
    answered_at = serializers.DateTimeField(source="appeal.replied_at", read_only=True)
    satisfaction = serializers.CharField(source="appeal.satisfaction", read_only=True)

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "number",
            "year",
            "title",
            "content",
            "deputy_id",
            "deputy",
            "appeal_id",
            "appeal_code",
            "status",
            "lead_unit",
            "answer",
            "answered_at",
            "satisfaction",
            "created_at",
        ]
        read_only_fields = fields


class SuggestionInSerializer(serializers.Serializer):
    deputy = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=5000)
    grid = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, allow_null=True, default=None
    )


class CountsSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    closed = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    per_deputy = CountsSerializer(many=True)
    per_unit = CountsSerializer(many=True)


class DeputyFilter(df.FilterSet):
    q = df.CharFilter(method="filter_q", max_length=60, help_text="Name or constituency")
    level = df.ChoiceFilter(choices=DeputyLevel.choices)
    active = df.BooleanFilter()

    class Meta:
        model = Deputy
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(constituency__icontains=value))


@extend_schema_view(
    list=extend_schema(
        summary="The register of deputies", responses={200: DeputySerializer, **errors(400, 401)}
    ),
    retrieve=extend_schema(
        summary="One deputy", responses={200: DeputySerializer, **errors(401, 404)}
    ),
)
class DeputyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DeputySerializer
    filterset_class = DeputyFilter
    queryset = Deputy.objects.none()

    def get_queryset(self) -> QuerySet[Deputy]:
        return access.deputies_visible_to(self.request.user).order_by("name", "id")


class SuggestionFilter(df.FilterSet):
    deputy = IntFilter(field_name="deputy_id")
    year = YearFilter(field_name="year")
    q = df.CharFilter(
        method="filter_q", max_length=100, help_text="Title, number, deputy, item code"
    )

    class Meta:
        model = Suggestion
        fields: list[str] = []

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(title__icontains=value)
            | Q(number__icontains=value)
            | Q(deputy__name__icontains=value)
            | Q(appeal__code__iexact=value)
        )


def _rows(rows: list[dict], key: str, name: str) -> list[dict]:
    return [
        {**{k: r[k] for k in CountsSerializer().fields if k in r}, "key": r[key], "name": r[name]}
        for r in rows
    ]


@extend_schema_view(
    list=extend_schema(
        summary="Deputies' suggestions I may see",
        responses={200: SuggestionSerializer, **errors(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One suggestion with its answer",
        responses={200: SuggestionSerializer, **errors(401, 404)},
    ),
    create=extend_schema(
        summary="Enter a suggestion (a work item with the deputy as appellant)",
        request=SuggestionInSerializer,
        responses={201: SuggestionSerializer, **errors(400, 401, 403, 404, 409, 415)},
    ),
)
class SuggestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    queryset = Suggestion.objects.none()

    def get_queryset(self) -> QuerySet[Suggestion]:
        return (
            access.suggestions_visible_to(self.request.user)
            .select_related("deputy", "appeal", "appeal__lead_unit")
            .order_by("-id")
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = SuggestionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        grid = Unit.objects.filter(pk=v["grid"], kind=UnitKind.GRID).first() if v["grid"] else None
        s = actions.submit_suggestion(
            actor=request.user,
            deputy=v["deputy"],
            title=v["title"],
            content=v["content"],
            grid=grid,
            year=v["year"],
        )
        s = Suggestion.objects.select_related("deputy", "appeal", "appeal__lead_unit").get(pk=s.pk)
        return Response(SuggestionSerializer(s).data, status=201)

    @extend_schema(
        summary="Counts per deputy and per lead unit",
        responses={200: StatsSerializer, **errors(400, 401)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def stats(self, request: Request) -> Response:
        self.filter_queryset(self.get_queryset())  # validates the query: 400 on a bad ?year=
        raw = request.query_params.get("year")
        year = int(raw) if raw else None
        return Response(
            {
                "per_deputy": _rows(
                    access.counts_per_deputy(request.user, year), "deputy_id", "deputy__name"
                ),
                "per_unit": _rows(
                    access.counts_per_unit(request.user, year),
                    "appeal__lead_unit_id",
                    "appeal__lead_unit__name",
                ),
            }
        )
