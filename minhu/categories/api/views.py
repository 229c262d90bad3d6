"""The two-level category taxonomy: all staff read, the admin role writes."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from minhu.categories import actions
from minhu.categories.models import Category, CategoryField
from minhu.orgs.api.base import ConfigModelViewSet
from minhu.orgs.api.common import errors
from minhu.orgs.api.filters import IntFilter, TextSearchFilter

from .serializers import CategoryFieldSerializer, CategorySerializer, CategoryTreeSerializer


class CategoryFilter(df.FilterSet):
    parent = IntFilter(field_name="parent_id", help_text="Children of this category")
    top = df.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="Only first-level categories"
    )
    active = df.BooleanFilter()
    q = TextSearchFilter(
        fields=("name", "code", "keywords"), help_text="Text in name, code or keywords"
    )

    class Meta:
        model = Category
        fields: list[str] = []


class CategoryViewSet(ConfigModelViewSet):
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    delete_verb = actions.delete_category

    def get_queryset(self):
        return Category.objects.select_related("parent").order_by("sort", "id")

    @extend_schema(
        summary="First-level categories with their children",
        parameters=[OpenApiParameter("active", OpenApiTypes.BOOL, description="Only active")],
        responses={200: CategoryTreeSerializer(many=True), **errors(401, 403)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request: Request) -> Response:
        qs = self.get_queryset()
        if request.query_params.get("active") in ("1", "true", "True"):
            qs = qs.filter(active=True)
        rows = list(qs)
        children: dict[int, list[Category]] = {}
        for c in rows:
            if c.parent_id:
                children.setdefault(c.parent_id, []).append(c)
        tops = [c for c in rows if not c.parent_id]
        data = CategoryTreeSerializer(tops, many=True, context={"children": children}).data
        return Response(data)


class CategoryFieldFilter(df.FilterSet):
    category = IntFilter(field_name="category_id", help_text="Fields of this category")
    active = df.BooleanFilter()

    class Meta:
        model = CategoryField
        fields: list[str] = []


class CategoryFieldViewSet(ConfigModelViewSet):
    """Per-category extra fields: all staff read, the admin role writes (audited)."""

    serializer_class = CategoryFieldSerializer
    filterset_class = CategoryFieldFilter
    delete_verb = actions.delete_category_field

    def get_queryset(self):
        return CategoryField.objects.order_by("category_id", "order", "id")
