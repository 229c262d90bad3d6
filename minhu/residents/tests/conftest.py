"""Fixtures for the residents' H5 tests."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel, CollectionPoint

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _clean_cache_and_media(settings, tmp_path):
    """Rate-limit counters live in the (process-wide) cache; uploads go to a temp dir."""
    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    cache.clear()


def png_bytes(size: tuple[int, int] = (16, 16), color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def png_upload(name: str = "photo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


@pytest.fixture
def point(org) -> CollectionPoint:
    return CollectionPoint.objects.create(
        name="东一社区意见征集点", code="s1c1-yjd", unit=org.community1, address="东街道东一路1号"
    )


@pytest.fixture
def hall(org) -> CollectionPoint:
    return CollectionPoint.objects.create(
        name="区政务服务大厅", code="hall", unit=org.district, is_service_hall=True
    )


def handle_and_reply(appeal: Appeal, org, text: str = "您好，路灯已经修好，感谢您的反映。"):
    """Staff steps through the verbs: dispatch to the east street, claim, resolve, reply."""
    actions.dispatch(appeal, actor=org.dispatcher, lead_unit=org.street1)
    actions.claim(appeal, actor=org.s1_handler)
    actions.contact_appellant(appeal, actor=org.s1_handler, note="电话联系了解情况")
    actions.resolve(appeal, actor=org.s1_handler, outcome_kind="on_spot", outcome="更换了灯泡")
    actions.reply(appeal, actor=org.s1_handler, text=text)
    appeal.refresh_from_db()
    return appeal


def register(channel: str = Channel.H5, **kwargs) -> Appeal:
    defaults = {
        "subject": "路灯不亮",
        "detail": "小区门口的路灯坏了一周了",
        "appellant_name": "张三",
        "appellant_phone": PHONE,
    }
    return actions.register_appeal(actor=None, channel=channel, **{**defaults, **kwargs})
