"""Base view for configuration objects: every staff member reads, the admin role writes.

Writes go through the verbs of each app (`orgs.actions`, `categories.actions`,
`deadlines.actions`, `appeals.config_actions`): serializers check the shape of the input and
call the verb from create()/update(); the viewset calls the delete verb."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from minhu.core.errors import InvalidInput

from .permissions import IsAdminRoleOrReadOnly


class VerbErrorsMixin:
    """A verb's InvalidInput keeps its code and message; its `field` is also reported the way
    serializer errors are (`details: {field: [message]}`), so clients read both alike."""

    def handle_exception(self, exc):
        if isinstance(exc, InvalidInput):
            field = exc.details.get("field")
            if field and field not in exc.details:
                exc.details = {**exc.details, field: [exc.message]}
        return super().handle_exception(exc)


class ConfigModelViewSet(VerbErrorsMixin, viewsets.ModelViewSet):
    """CRUD through validating serializers whose create()/update() call the app's verbs. Rows
    still referenced cannot be deleted (409 `protected`): deactivate them instead."""

    permission_classes = [IsAuthenticated, IsAdminRoleOrReadOnly]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    # The app's delete verb: f(instance, *, actor).
    delete_verb: Callable | None = None

    def perform_destroy(self, instance) -> None:
        verb = type(self).delete_verb
        if verb is None:  # pragma: no cover - every config viewset names its verb
            raise NotImplementedError(f"{type(self).__name__}.delete_verb")
        verb(instance, actor=self.request.user)


def actor_of(serializer) -> object:
    """The request's user, for a serializer's create()/update()."""
    return serializer.context["request"].user
