"""Fixtures for the staff web app's tests: appeals in every state of the loop."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from minhu.appeals import actions
from minhu.appeals.models import Appeal, Channel

PHONE = "13812345678"


def png_file(name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def make_appeal(org):
    counter = {"n": 0}

    def make(subject: str | None = None, *, grid=None, **kwargs) -> Appeal:
        counter["n"] += 1
        kwargs.setdefault("channel", Channel.H5)
        kwargs.setdefault("appellant_name", "张三")
        kwargs.setdefault("appellant_phone", PHONE)
        return actions.register_appeal(
            actor=kwargs.pop("actor", None),
            subject=subject or f"小区路灯不亮第{counter['n']}处",
            detail=kwargs.pop("detail", "小区门口的路灯坏了一个星期，晚上出行不方便。"),
            grid=grid or org.grid1,
            **kwargs,
        )

    return make


@pytest.fixture
def loop(org, make_appeal):
    """Moves an appeal along the loop: loop.to(appeal, "in_progress") etc."""

    class Loop:
        def dispatched(self, a, lead=None, assist=()):
            actions.classify(a, actor=org.dispatcher, category=org.category)
            actions.dispatch(
                a, actor=org.dispatcher, lead_unit=lead or org.street1, assist_units=list(assist)
            )
            a.refresh_from_db()
            return a

        def in_progress(self, a, **kw):
            self.dispatched(a, **kw)
            actions.claim(a, actor=org.s1_handler)
            a.refresh_from_db()
            return a

        def resolved(self, a, **kw):
            self.in_progress(a, **kw)
            actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
            a.refresh_from_db()
            return a

        def replied(self, a, **kw):
            self.resolved(a, **kw)
            actions.reply(a, actor=org.s1_handler, text="您好，路灯已经修好，感谢您的反映。")
            a.refresh_from_db()
            return a

        def followed_up(self, a, **kw):
            self.replied(a, **kw)
            actions.record_follow_up(
                a, actor=org.callback, contacted=True, solved=True, satisfaction="satisfied"
            )
            a.refresh_from_db()
            return a

    return Loop()


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def org_tx(transactional_db):
    """The test organisation for live-server (transactional) tests."""
    from minhu.orgs.testing import build_org

    return build_org()
