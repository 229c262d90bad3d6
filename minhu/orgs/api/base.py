"""Base view for configuration objects: every staff member reads, the admin role writes."""

from __future__ import annotations

from django.db.models import ProtectedError
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from minhu.core.errors import Conflict

from .permissions import IsAdminRoleOrReadOnly


class ConfigModelViewSet(viewsets.ModelViewSet):
    """Plain CRUD through validating serializers. Rows still referenced cannot be deleted
    (409 `protected`): deactivate them instead."""

    permission_classes = [IsAuthenticated, IsAdminRoleOrReadOnly]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_destroy(self, instance) -> None:
        try:
            instance.delete()
        except ProtectedError:
            raise Conflict("该记录已被引用，不能删除；请改为停用", code="protected")
