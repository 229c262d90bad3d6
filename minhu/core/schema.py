"""OpenAPI schema generation shared by every app (drf-spectacular's AutoSchema, extended).

Read-only fields say what the model says: a field whose source is a nullable column (or goes
through a nullable foreign key: `whistle.unit`) is `nullable`, and a choice whose column may be
blank has `""` among its values (DRF's read-only fields drop both from the model's definition).

Every operation documents the error statuses the API's common machinery can answer with, each
with the one error body (`{"error": {"code", "message", "details"}}`): a client generated from
the schema then knows every status it may get. Views may still declare them themselves (with a
more precise description: `minhu.orgs.api.common.errors`); what they declare wins.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    from minhu.orgs.api.common import errors

    return errors(*codes)


def _source_fields(field: serializers.Field) -> list[models.Field] | None:
    """The model fields a serializer field reads through (`whistle.unit`: Summons.whistle,
    Whistle.unit), or None when it does not read a model field."""
    parent = field.parent
    if isinstance(parent, serializers.ListSerializer):
        parent = parent.parent
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return None
    chain = []
    for attr in field.source.split("."):
        if model is None:
            return None
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if model_field.many_to_many or model_field.one_to_many:
            return None
        chain.append(model_field)
        model = model_field.related_model
    return chain


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "response" and getattr(field, "read_only", False):
            chain = _source_fields(field)
            if chain:
                if any(getattr(f, "null", False) for f in chain):
                    field.allow_null = True
                if isinstance(field, serializers.ChoiceField) and chain[-1].blank:
                    field.allow_blank = True
                if isinstance(field, serializers.CharField) and chain[-1].blank:
                    field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "allow_blank", False) and schema.get("format") in ("email", "uri"):
            # "" is no e-mail address nor URL: the format would refuse the empty value.
            schema.pop("format")
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes = [400, 401, 403, 404]
        if self.method in UNSAFE:
            codes += [409]
        if "requestBody" in operation:
            codes += [415]
        if getattr(self.view, "get_throttles", None) and self.view.get_throttles():
            codes += [429]
        responses = operation.setdefault("responses", {})
        missing = [c for c in codes if str(c) not in responses]
        if missing:
            extra = self._get_response_bodies_for(_error_responses(*missing))
            responses.update(extra)
        return operation

    def _get_response_bodies_for(self, declared: dict[int, OpenApiResponse]) -> dict[str, dict]:
        return {
            # Errors are JSON whatever the operation's own renderers (xlsx, files) are.
            str(code): self._get_response_for_code(
                resp, str(code), media_types=["application/json"]
            )
            for code, resp in declared.items()
        }
