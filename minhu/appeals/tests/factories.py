"""Building appeals in every status through the actions themselves (no direct writes)."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from minhu.appeals import actions
from minhu.appeals.models import (
    Appeal,
    AppealEvent,
    AppellantKind,
    Assignment,
    Attachment,
    Channel,
    ExtensionRequest,
    FollowUp,
    Satisfaction,
    Status,
    Summons,
)
from minhu.deadlines.models import DeadlineMiss
from minhu.notifications.models import Notification

PHONE = "13812345678"
SHANGHAI = timezone.get_fixed_timezone(8 * 60)


def at(*args: int) -> dt.datetime:
    """An aware moment in China time: at(2025, 1, 24, 10, 0)."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


def register(org, *, actor=None, phone: str = PHONE, grid="grid1", **kw) -> Appeal:
    kind = kw.pop("appellant_kind", AppellantKind.PERSON)
    return actions.register_appeal(
        actor=actor,
        channel=kw.pop("channel", Channel.H5 if actor is None else Channel.HOTLINE),
        subject=kw.pop("subject", "路灯不亮"),
        detail=kw.pop("detail", "小区门口的路灯坏了一个星期"),
        appellant_kind=kind,
        appellant_name=kw.pop("appellant_name", "张三"),
        appellant_phone="" if kind == AppellantKind.ANONYMOUS else phone,
        grid=getattr(org, grid) if isinstance(grid, str) else grid,
        **kw,
    )


def dispatched(org, **kw) -> Appeal:
    a = register(org, **kw)
    actions.classify(a, actor=org.dispatcher, category=org.category)
    actions.dispatch(a, actor=org.dispatcher, lead_unit=org.street1, assist_units=[org.dept2])
    return a


def in_progress(org, **kw) -> Appeal:
    a = dispatched(org, **kw)
    actions.claim(a, actor=org.s1_handler)
    return a


def escalated(org, **kw) -> Appeal:
    a = in_progress(org, **kw)
    actions.blow_whistle(a, actor=org.s1_leader, departments=[org.dept1], reason="需要城管执法配合")
    return a


def returned(org, **kw) -> Appeal:
    a = dispatched(org, **kw)
    actions.return_appeal(a, actor=org.s1_handler, reason="不属于本街道职责")
    return a


def resolved(org, **kw) -> Appeal:
    a = in_progress(org, **kw)
    actions.resolve(a, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    return a


def replied(org, **kw) -> Appeal:
    a = resolved(org, **kw)
    actions.reply(a, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    return a


def closed(org, **kw) -> Appeal:
    a = replied(org, **kw)
    actions.record_follow_up(
        a, actor=org.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    actions.close(a, actor=org.dispatcher)
    return a


def merged(org, **kw) -> Appeal:
    a = register(org, **kw)
    parent = register(org, subject="路灯坏了", phone="13900000000")
    actions.merge(a, actor=org.dispatcher, parent=parent)
    return a


BUILDERS = {
    Status.NEW: register,
    Status.DISPATCHED: dispatched,
    Status.IN_PROGRESS: in_progress,
    Status.ESCALATED: escalated,
    Status.RETURNED: returned,
    Status.RESOLVED: resolved,
    Status.REPLIED: replied,
    Status.CLOSED: closed,
    Status.MERGED: merged,
}


def build(org, status: str, **kw) -> Appeal:
    a = BUILDERS[status](org, **kw)
    a.refresh_from_db()
    assert a.status == status
    return a


def snapshot(appeal: Appeal) -> SimpleNamespace:
    """Everything an action could change about an appeal (to prove a refusal changed nothing)."""
    row = Appeal.objects.get(pk=appeal.pk)
    return SimpleNamespace(
        row=model_to_dict(row) | {"updated_at": row.updated_at, "created_at": row.created_at},
        events=AppealEvent.objects.count(),
        assignments=list(Assignment.objects.filter(appeal=appeal).order_by("id").values()),
        extensions=list(ExtensionRequest.objects.filter(appeal=appeal).order_by("id").values()),
        summonses=list(Summons.objects.filter(appeal=appeal).order_by("id").values()),
        notifications=Notification.objects.count(),
        appeals=Appeal.objects.count(),
        follow_ups=FollowUp.objects.count(),
        misses=DeadlineMiss.objects.count(),
        attachments=Attachment.objects.count(),
    )


def png(name: str = "photo.png", color: str = "red") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def not_an_image(name: str = "evil.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"#!/bin/sh\necho hi\n", content_type="image/png")


def client_for(user=None):
    """An API client authenticated as `user` (anonymous when None)."""
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]
