"""The two formats of GeoReport v2: JSON and XML (root and item elements as the spec names
them), both UTF-8 with the XML declaration."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Lists inside an item: the element of each entry.
CHILD_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_item(tag: str, data: Any) -> str:
    if isinstance(data, dict):
        inner = "".join(_xml_field(k, v) for k, v in data.items())
        return f"<{tag}>{inner}</{tag}>"
    return f"<{tag}>{_xml_value(data)}</{tag}>"


def _xml_field(name: str, value: Any) -> str:
    if isinstance(value, list):
        child = CHILD_TAGS.get(name, "item")
        return f"<{name}>{''.join(_xml_item(child, v) for v in value)}</{name}>"
    if isinstance(value, dict):
        return _xml_item(name, value)
    return f"<{name}>{_xml_value(value)}</{name}>"


def to_xml(root: str, data: Any, item: str | None = None) -> str:
    """`data`: a list (each entry an `item` element under `root`) or a dict (fields of `root`)."""
    if isinstance(data, list):
        body = "".join(_xml_item(item or "item", row) for row in data)
        doc = f"<{root}>{body}</{root}>"
    else:
        doc = _xml_item(root, data)
    return '<?xml version="1.0" encoding="utf-8"?>' + doc


def respond(
    fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(root, data, item)
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body.encode("utf-8"), content_type=CONTENT_TYPES[fmt], status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error document: [{"code", "description"}] / <errors><error>."""
    return respond(
        fmt,
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )
