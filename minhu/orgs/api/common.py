"""Serializers and schema helpers used by every app's API."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from minhu.orgs.models import Unit


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. `illegal_transition`.")
    message = serializers.CharField(help_text="Chinese message for people.")
    details = serializers.DictField(
        help_text="Field errors (`{field: [messages]}`) or the error's own details "
        "(e.g. `{field: name}`)."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_TEXT = {
    400: "Invalid input (`invalid`, `required`, `invalid_choice`, ...)",
    401: "Not authenticated (`not_authenticated`, `authentication_failed`)",
    403: "Wrong role (`permission_denied`, ...)",
    404: "Not found, or outside the user's units (`not_found`)",
    409: "Not allowed in the current state (`illegal_transition`, `already_claimed`, ...)",
    415: "Body in a content type the operation does not take (`unsupported_media_type`)",
    429: "Too many requests (`throttled`)",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error statuses, all with the one error body."""
    return {c: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[c]) for c in codes}


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]
        read_only_fields = fields
