"""Uploaded images: checked, bounded and stripped before anything is stored.

Every photo (staff pages, residents' H5, the API) goes through `prepare_image`:

1. at most MINHU_UPLOAD_MAX_BYTES bytes each, MINHU_UPLOAD_MAX_TOTAL_BYTES together;
2. real image content of an allowed type (JPEG, PNG, WebP, GIF), read, not trusted by name;
3. at most MINHU_UPLOAD_MAX_PIXELS pixels, checked from the header before anything is decoded,
   so a small "decompression bomb" (a 40000×40000 PNG of 194 KB) is refused with a clear error
   instead of exhausting memory (Pillow's own DecompressionBombError is caught as well);
4. decoded and **re-encoded**: the orientation of the camera applied, the longest side brought
   down to MINHU_UPLOAD_MAX_SIDE pixels, and nothing of the original file kept but its pixels:
   no EXIF (GPS position, camera serial), no XMP, no comments, no trailing data. GIFs keep only
   their first frame (stored as PNG);
5. stored under a generated name (`<random>.jpg`); the name the person gave is kept only as
   a display label.
"""

from __future__ import annotations

import io
import os
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from minhu.core.errors import InvalidInput

# Pillow format -> (format written, content type, extension)
_OUTPUT = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}


@dataclass
class PreparedImage:
    file: ContentFile  # re-encoded content, with a generated name
    content_type: str
    size: int
    label: str  # the uploaded file's own name (display only)


def _wrong_type() -> InvalidInput:
    return InvalidInput(
        _("只能上传图片（JPEG、PNG、WebP、GIF）"), code="invalid_file_type", field="attachments"
    )


def _too_big_image() -> InvalidInput:
    mp = settings.MINHU_UPLOAD_MAX_PIXELS // 1_000_000
    return InvalidInput(
        _("图片像素过大（不能超过%(mp)d百万像素）") % {"mp": mp},
        code="image_too_large",
        field="attachments",
    )


def check_size(f) -> None:
    if f.size > settings.MINHU_UPLOAD_MAX_BYTES:
        mb = settings.MINHU_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(
            _("图片不能超过%(mb)dMB") % {"mb": mb}, code="file_too_large", field="attachments"
        )


def check_total(files) -> None:
    """The photos of one request together: at most MINHU_UPLOAD_MAX_TOTAL_BYTES."""
    total = sum(f.size for f in files)
    if total > settings.MINHU_UPLOAD_MAX_TOTAL_BYTES:
        mb = settings.MINHU_UPLOAD_MAX_TOTAL_BYTES // (1024 * 1024)
        raise InvalidInput(
            _("照片总大小不能超过%(mb)dMB") % {"mb": mb},
            code="upload_total_too_large",
            field="attachments",
        )


@contextmanager
def _opened(f):
    """The image in `f` (Pillow), with every failure to read it as InvalidInput."""
    try:
        f.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f) as img:
                yield img
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big_image()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _wrong_type()
    finally:
        f.seek(0)


def validate_image(f) -> str:
    """The content type the image will be stored as, or InvalidInput (no decoding yet)."""
    check_size(f)
    with _opened(f) as img:
        fmt = img.format
        width, height = img.size
        img.verify()
    if fmt not in settings.MINHU_UPLOAD_TYPES or fmt not in _OUTPUT:
        raise _wrong_type()
    if width * height > settings.MINHU_UPLOAD_MAX_PIXELS:
        raise _too_big_image()
    return _OUTPUT[fmt][1]


def prepare_image(f) -> PreparedImage:
    """`f` checked (see the module docstring) and re-encoded without metadata."""
    validate_image(f)
    with _opened(f) as img:
        out_format, _type, ext = _OUTPUT[img.format]
        img.seek(0)  # first frame of an animation
        img = ImageOps.exif_transpose(img)  # the camera's rotation, then EXIF dropped
        side = settings.MINHU_UPLOAD_MAX_SIDE
        if max(img.size) > side:
            img.thumbnail((side, side), Image.Resampling.LANCZOS)
        if out_format == "JPEG":
            img = img.convert("RGB")
        elif img.mode not in ("RGB", "RGBA", "L", "LA"):
            img = img.convert("RGBA")
        img.info = {}  # no comment, ICC profile, XMP or text chunks carried over
        buf = io.BytesIO()
        # No exif=: only the pixels are written.
        options = {"quality": 85, "optimize": True} if out_format != "PNG" else {}
        img.save(buf, format=out_format, **options)
    data = buf.getvalue()
    label = os.path.basename(getattr(f, "name", "") or "")[:200]
    return PreparedImage(
        file=ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}"),
        content_type=_type,
        size=len(data),
        label=label,
    )


def serve_attachment(user, appeal_id: int, attachment_id: int):
    """A photo of an appeal as a private, non-sniffable file response, for staff who may see
    the appeal (the staff page and the API both serve through this). NotFound outside the
    user's scope, for another appeal's photo and for a file gone from storage."""
    from django.http import FileResponse

    from minhu.core.errors import NotFound

    from .access import access_appeal

    appeal = access_appeal(user, appeal_id)
    att = appeal.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise NotFound()
    try:
        handle = att.file.open("rb")
    except OSError:  # FileNotFoundError included
        raise NotFound() from None
    response = FileResponse(handle, content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
