"""Request parsers of the API (DEFAULT_PARSER_CLASSES and the views that list their own)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    """JSON bodies must be objects: every endpoint takes named fields. `[null, null]`, `"x"` or
    `5` are 400 `parse_error` here, before any view looks into the body."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("请求体必须是 JSON 对象"))
        return data
