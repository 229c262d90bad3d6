"""URL pieces shared by every app's API: the `id` path converter and the router that uses it.

An object id in a path is a positive 64-bit integer: `<id:pk>` matches only that, so
`/appeals/abc/` and `/appeals/9223372036854775808/` are 404 `not_found` (the JSON error body,
through `minhu.core.api.page_not_found`) before any view or database sees them.
"""

from __future__ import annotations

from django.urls import register_converter
from rest_framework.routers import SimpleRouter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError("not an object id")  # no match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")

# drf-spectacular: what an `id` path parameter is.
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


class Router(SimpleRouter):
    """DRF's SimpleRouter with path() routes whose lookup is an `id` unless the viewset names
    another converter (`lookup_value_converter = "str"`)."""

    def __init__(self, trailing_slash: bool = True):
        super().__init__(trailing_slash=trailing_slash, use_regex_path=False)
        self._default_value_pattern = "id"
