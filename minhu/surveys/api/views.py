"""The questionnaires' API: the surveys a user sees with their questions, and their answers
(respondents' phones masked by role)."""

from __future__ import annotations

import django_filters as df
from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter

from .. import access
from ..models import Question, Survey, SurveyStatus
from ..models import Response as Answer


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "kind",
            "text",
            "required",
            "options",
            "problem_options",
            "problem_rating_max",
        ]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    responses = serializers.IntegerField(source="n_responses", read_only=True)
    owner_unit = serializers.CharField(source="owner_unit.name", read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "slug",
            "title",
            "intro",
            "identity",
            "one_per_phone",
            "status",
            "owner_unit",
            "grid_id",
            "published_at",
            "closed_at",
            "responses",
            "questions",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text="Masked unless the role handles phones")
    appeal_code = serializers.CharField(source="appeal.code", read_only=True, default=None)

    class Meta:
        model = Answer
        fields = [
            "id",
            "answers",
            "name",
            "phone",
            "problem",
            "appeal_id",
            "appeal_code",
            "created_at",
        ]
        read_only_fields = fields

    def get_phone(self, obj: Answer) -> str:
        return access.shown_phone(self.context["request"].user, obj.phone)


class SurveyFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=SurveyStatus.choices)

    class Meta:
        model = Survey
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Questionnaires I may see", responses={200: SurveySerializer, **errors(400, 401)}
    ),
    retrieve=extend_schema(
        summary="One questionnaire with its questions",
        responses={200: SurveySerializer, **errors(401, 404)},
    ),
)
class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    queryset = Survey.objects.none()

    def get_queryset(self) -> QuerySet[Survey]:
        return (
            access.surveys_visible_to(self.request.user)
            .select_related("owner_unit")
            .prefetch_related("questions")
            .annotate(n_responses=Count("responses"))
            .order_by("-id")
        )


class AnswerFilter(df.FilterSet):
    survey = IntFilter(field_name="survey_id")
    problem = df.BooleanFilter()

    class Meta:
        model = Answer
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Answers of the questionnaires I may see, newest first (?survey=)",
        responses={200: AnswerSerializer, **errors(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One answer", responses={200: AnswerSerializer, **errors(401, 404)}
    ),
)
class AnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AnswerSerializer
    filterset_class = AnswerFilter
    queryset = Answer.objects.none()

    def get_queryset(self) -> QuerySet[Answer]:
        return (
            access.responses_visible_to(self.request.user).select_related("appeal").order_by("-id")
        )
