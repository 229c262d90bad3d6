"""Issue 14 item 3: image bombs, pixel and dimension caps, metadata stripped, generated names."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Attachment
from minhu.appeals.tests.factories import client_for
from minhu.core.errors import InvalidInput

from .factories import in_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int, name: str = "bomb.png") -> SimpleUploadedFile:
    """A tiny PNG claiming `width`×`height` (what a decompression bomb looks like to a parser:
    the real ones are a few hundred KB of zeros that inflate to gigabytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    data = (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return SimpleUploadedFile(name, data, content_type="image/png")


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "SN-123456"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 17.0),
    }
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    buf = io.BytesIO()
    img = Image.new("RGB", size, "blue")
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))  # left half red
    img.save(buf, "JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return SimpleUploadedFile("IMG_0001.jpg", buf.getvalue(), content_type="image/jpeg")


def _stored(att: Attachment) -> bytes:
    with att.file.open("rb") as f:
        return f.read()


@pytest.mark.parametrize("dims", [(40000, 40000), (10000, 6000)])
def test_bombs_and_huge_images_are_refused_by_the_verb(org, dims):
    a = in_progress(org)
    with pytest.raises(InvalidInput) as exc:
        actions.add_attachments(a, actor=org.s1_handler, files=[png_header_only(*dims)])
    assert exc.value.code == "image_too_large"
    assert "百万像素" in exc.value.message
    assert not Attachment.objects.exists()


def test_bomb_to_the_public_api_is_a_400(org):
    anon = client_for(None)
    body = {
        "subject": "垃圾清运不及时",
        "detail": "小区垃圾桶已经三天没有清运了",
        "appellant_phone": "13912345678",
        "attachments": [png_header_only(40000, 40000)],
    }
    r = anon.post("/api/v1/public/appeals/", body, format="multipart")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "image_too_large"
    assert not Appeal.objects.exists()


def test_bomb_to_the_h5_form_is_a_clear_error(client, org):
    data = {
        "detail": "小区门口的路灯坏了一周了，晚上很黑。",
        "subject": "",
        "category": "",
        "address": "幸福小区东门",
        "identity": "named",
        "name": "王女士",
        "phone": "13812345678",
        "photos": [png_header_only(40000, 40000)],
    }
    r = client.post("/h5/new/", data)
    assert r.status_code == 400
    assert "图片像素过大" in r.content.decode()
    assert not Appeal.objects.exists()


def test_exif_and_gps_are_stripped_and_orientation_applied(org):
    a = in_progress(org)
    (att,) = actions.add_attachments(
        a, actor=org.s1_handler, files=[jpeg_with_gps(size=(40, 20), orientation=6)]
    )
    data = _stored(att)
    for secret in (b"SpyCam", b"SN-123456", b"secret comment", b"Exif"):
        assert secret not in data
    img = Image.open(io.BytesIO(data))
    assert not img.getexif() and not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert img.size == (20, 40)  # rotated as the camera said, then the tag dropped
    assert att.size == len(data) and att.content_type == "image/jpeg"


def test_long_side_is_capped(org, settings):
    settings.MINHU_UPLOAD_MAX_SIDE = 1000
    buf = io.BytesIO()
    Image.new("RGB", (3000, 600), "green").save(buf, "PNG")
    f = SimpleUploadedFile("wide.png", buf.getvalue(), content_type="image/png")
    (att,) = actions.add_attachments(in_progress(org), actor=org.s1_handler, files=[f])
    assert Image.open(io.BytesIO(_stored(att))).size == (1000, 200)


def test_files_are_stored_under_generated_names(org):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    evil = SimpleUploadedFile("../../evil.html", buf.getvalue(), content_type="text/html")
    gif_buf = io.BytesIO()
    Image.new("P", (8, 8)).save(gif_buf, "GIF")
    gif = SimpleUploadedFile("anim.gif", gif_buf.getvalue(), content_type="image/gif")
    saved = actions.add_attachments(in_progress(org), actor=org.s1_handler, files=[evil, gif])
    names = [s.file.name for s in saved]
    assert all("evil" not in n and "anim" not in n and ".html" not in n for n in names)
    assert names[0].endswith(".png") and names[1].endswith(".png")
    assert saved[0].name == "evil.html"  # the label, without the path
    assert saved[1].content_type == "image/png"


def test_total_per_request_is_capped(org, settings):
    settings.MINHU_UPLOAD_MAX_TOTAL_BYTES = 1500
    files = []
    for color in ("red", "blue", "green"):
        buf = io.BytesIO()
        Image.effect_noise((24, 24), 80).convert("RGB").save(buf, "PNG")
        files.append(SimpleUploadedFile(f"{color}.png", buf.getvalue(), content_type="image/png"))
    assert sum(f.size for f in files) > 1500
    with pytest.raises(InvalidInput) as exc:
        actions.add_attachments(in_progress(org), actor=org.s1_handler, files=files)
    assert exc.value.code == "upload_total_too_large"
    assert not Attachment.objects.exists()
