"""QR codes for collection points (made with segno) and the URLs they encode."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from minhu.appeals.models import Channel, CollectionPoint

# Error correction "M" (15%) survives a scuffed poster; 4 modules of quiet zone per the spec.
ERROR = "m"
BORDER = 4
SVG_SCALE = 10
PNG_SCALE = 12


def absolute(request: HttpRequest, path: str) -> str:
    """The public URL of `path`: MINHU_PUBLIC_BASE_URL when set (what phones outside reach),
    else the host the request came in on."""
    base = getattr(settings, "MINHU_PUBLIC_BASE_URL", "")
    if base:
        return base.rstrip("/") + path
    return request.build_absolute_uri(path)


def point_path(point: CollectionPoint, kind: str = "submit") -> str:
    """The page a point's code opens: the submit form (enterprise form for enterprise points)
    or, for a service hall's rating code, the rating page."""
    if kind == "rate":
        return reverse("residents:point_rate", args=[point.code])
    if point.channel == Channel.ENTERPRISE:
        return reverse("residents:enterprise_point", args=[point.code])
    return reverse("residents:point", args=[point.code])


def make(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR, micro=False)


def svg(url: str) -> bytes:
    buf = io.BytesIO()
    make(url).save(buf, kind="svg", scale=SVG_SCALE, border=BORDER)
    return buf.getvalue()


def png(url: str) -> bytes:
    buf = io.BytesIO()
    make(url).save(buf, kind="png", scale=PNG_SCALE, border=BORDER)
    return buf.getvalue()
