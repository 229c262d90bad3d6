"""Checking uploaded images: real image content of an allowed type, within the size limit."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from minhu.core.errors import InvalidInput


def validate_image(f) -> str:
    """Returns the content type, or raises InvalidInput. The file is read, not trusted by name."""
    if f.size > settings.MINHU_UPLOAD_MAX_BYTES:
        mb = settings.MINHU_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(
            _("图片不能超过%(mb)dMB") % {"mb": mb}, code="file_too_large", field="attachments"
        )
    try:
        f.seek(0)
        with Image.open(f) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(
            _("只能上传图片（JPEG、PNG、WebP、GIF）"), code="invalid_file_type", field="attachments"
        )
    finally:
        f.seek(0)
    allowed = settings.MINHU_UPLOAD_TYPES
    if fmt not in allowed:
        raise InvalidInput(
            _("只能上传图片（JPEG、PNG、WebP、GIF）"), code="invalid_file_type", field="attachments"
        )
    return allowed[fmt]
