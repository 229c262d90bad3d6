"""Phone verification for public ratings (群众评服务, 企业评政府).

A rating counts in the rates only if it is tied to something that cannot be made up for free
(issue 14 item 6). Here: a phone number proven by a six-digit code sent through the SMS backend
(MINHU_SMS_BACKEND). The code lives in the shared cache (Redis when configured) for
CODE_TTL seconds, is used once, and dies after MAX_TRIES wrong guesses. Sending is limited per
client address and per phone (`core.ratelimit.PUBLIC_LIMITS`: sms_code, sms_code_phone).
Ratings keep only a keyed hash of the phone (`phone_hash`), never the number."""

from __future__ import annotations

import hmac
import logging
import secrets

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from minhu.appeals.actions import PHONE_RE
from minhu.core import ratelimit
from minhu.core.errors import InvalidInput, TooManyRequests

logger = logging.getLogger("minhu.residents")

CODE_TTL = 600
MAX_TRIES = 5


def phone_hash(phone: str) -> str:
    return ratelimit.digest("rating_phone", phone)


def _key(phone: str) -> str:
    return "minhu:rating_sms:" + phone_hash(phone)


def clean_phone(phone: str) -> str:
    phone = "".join((phone or "").split())
    if not phone:
        raise InvalidInput(_("请填写手机号"), code="required", field="phone")
    if not PHONE_RE.match(phone) or not phone.startswith("1"):
        raise InvalidInput(
            _("手机号格式不正确，请填写11位手机号"), code="invalid_phone", field="phone"
        )
    return phone


def send_code(request: HttpRequest, phone: str) -> None:
    """Send a new code to `phone` (a mobile number). Raises InvalidInput for a bad number,
    TooManyRequests over the limits, InvalidInput `sms_failed` when the gateway refuses."""
    phone = clean_phone(phone)
    for bucket, key in (("sms_code", None), ("sms_code_phone", phone_hash(phone))):
        if ratelimit.public_exceeded(bucket, request, key=key):
            raise TooManyRequests(
                _("验证码发送过于频繁，请%(n)d分钟后再试")
                % {"n": ratelimit.public_window_minutes(bucket)},
                code="sms_code_limit",
            )
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key(phone), {"code": ratelimit.digest("code", code), "tries": 0}, CODE_TTL)
    ratelimit.public_hit("sms_code", request)
    ratelimit.public_hit("sms_code_phone", request, key=phone_hash(phone))
    from minhu.notifications.delivery import sms_backend

    text = _("【民呼】您的评价验证码是%(code)s，%(m)d分钟内有效。如非本人操作，请忽略。") % {
        "code": code,
        "m": CODE_TTL // 60,
    }
    try:
        sms_backend().send(phone, text)
    except Exception:  # the gateway is outside: any failure is reported, not raised
        logger.exception("rating verification SMS failed")
        cache.delete(_key(phone))
        raise InvalidInput(
            _("验证码发送失败，请稍后再试"), code="sms_failed", field="phone"
        ) from None


def confirm(phone: str, code: str) -> str:
    """Check `code` for `phone` and use it up; returns the phone's keyed hash."""
    phone = clean_phone(phone)
    code = "".join((code or "").split())
    if not code:
        raise InvalidInput(_("请填写短信验证码"), code="required", field="sms_code")
    key = _key(phone)
    held = cache.get(key)
    if not held:
        raise InvalidInput(_("验证码已失效，请重新获取"), code="sms_code_expired", field="sms_code")
    if not hmac.compare_digest(held["code"], ratelimit.digest("code", code)):
        tries = held["tries"] + 1
        if tries >= MAX_TRIES:
            cache.delete(key)
        else:
            cache.set(key, {**held, "tries": tries}, CODE_TTL)
        raise InvalidInput(_("验证码不正确"), code="sms_code_wrong", field="sms_code")
    cache.delete(key)
    return phone_hash(phone)
