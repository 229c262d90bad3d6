"""QR codes of collection points: SVG / PNG, posters, and what they encode."""

from __future__ import annotations

import io

import pytest
import segno
from django.contrib.staticfiles import finders
from PIL import Image

from minhu.appeals.models import Channel

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


def expected_svg(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="svg", scale=10, border=4)
    return buf.getvalue()


def png_matrix(data: bytes, scale: int = 12, border: int = 4) -> list[list[bool]]:
    """Read the modules back out of the served PNG (dark = True), one pixel per module."""
    img = Image.open(io.BytesIO(data)).convert("L")
    size = img.width // scale - 2 * border
    return [
        [
            img.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2))
            < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_svg_encodes_the_point_form_url(client, point):
    r = client.get(f"/h5/qr/{point.code}.svg")
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
    url = f"{BASE}/h5/p/{point.code}/"
    assert r.content == expected_svg(url)
    assert r.content != expected_svg(f"{BASE}/h5/p/other/")  # the comparison can fail
    # ... and that URL is the point's submit form.
    assert "东一社区意见征集点" in client.get(url.removeprefix(BASE)).content.decode()


def test_png_modules_match_the_url(client, point):
    r = client.get(f"/h5/qr/{point.code}.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    qr = segno.make(f"{BASE}/h5/p/{point.code}/", error="m", micro=False)
    assert png_matrix(r.content) == [[bool(m) for m in row] for row in qr.matrix]
    download = client.get(f"/h5/qr/{point.code}.png?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="{point.code}-submit.png"'


def test_public_base_url_setting(client, point, settings):
    settings.MINHU_PUBLIC_BASE_URL = "https://minhu.example.gov.cn/"
    r = client.get(f"/h5/qr/{point.code}.svg")
    assert r.content == expected_svg(f"https://minhu.example.gov.cn/h5/p/{point.code}/")


def test_poster_shows_name_call_and_url(client, point):
    r = client.get(f"/h5/qr/{point.code}/poster/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "东一社区意见征集点" in html and "扫码反映问题" in html
    assert f"{BASE}/h5/p/{point.code}/" in html
    assert f'src="/h5/qr/{point.code}.svg"' in html
    css = finders.find("residents/poster.css")
    assert "size: A5" in open(css, encoding="utf-8").read()


def test_enterprise_point_code_opens_the_enterprise_form(client, point):
    point.channel = Channel.ENTERPRISE
    point.save()
    r = client.get(f"/h5/qr/{point.code}.svg")
    assert r.content == expected_svg(f"{BASE}/h5/e/p/{point.code}/")
    assert "营商环境意见码" in client.get(f"/h5/qr/{point.code}/poster/").content.decode()


def test_service_hall_rating_code(client, hall, point):
    r = client.get(f"/h5/qr/{hall.code}/rate.svg")
    assert r.status_code == 200
    assert r.content == expected_svg(f"{BASE}/h5/p/{hall.code}/rate/")
    assert client.get(f"/h5/qr/{hall.code}/rate.png")["Content-Type"] == "image/png"
    poster = client.get(f"/h5/qr/{hall.code}/rate/poster/").content.decode()
    assert "扫码评价服务" in poster and f"{BASE}/h5/p/{hall.code}/rate/" in poster
    # Ordinary points have no rating code.
    assert client.get(f"/h5/qr/{point.code}/rate.svg").status_code == 404
    assert client.get(f"/h5/qr/{point.code}/rate/poster/").status_code == 404


def test_unknown_point(client, org):
    assert client.get("/h5/qr/nope.svg").status_code == 404
    assert client.get("/h5/qr/nope.png").status_code == 404
    assert client.get("/h5/qr/nope/poster/").status_code == 404
