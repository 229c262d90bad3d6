"""Idempotent intake: a client that retries a request (timeout, 503, lost connection) with the
same `Idempotency-Key` gets the first response back instead of a second appeal.

The key is remembered in the same transaction as what the request created, so either both are
stored or neither: a request that failed (4xx, 5xx, database down) leaves no key behind and can
be retried. Two concurrent requests with one key: the second waits on the unique index, its
transaction is rolled back and it answers with the first's response. The same key with a
different body is refused (`idempotency_key_reused`). Keys are scoped (a staff user's, the
public endpoint's); public clients must use random keys (a UUID).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import Conflict, InvalidInput
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# Not part of what was sent: a resend may carry a fresh CSRF token.
IGNORED_FIELDS = {"csrfmiddlewaretoken"}


def fingerprint(data: Any, files: Any = None) -> str:
    """A digest of what was sent: form/JSON fields and the uploaded files' names and sizes."""
    if hasattr(data, "lists"):
        fields = {k: v for k, v in data.lists() if k not in IGNORED_FIELDS}
    else:
        fields = data if isinstance(data, dict) else {"_": data}
    uploads = []
    if files is not None and hasattr(files, "lists"):
        uploads = sorted((k, f.name, f.size) for k, fs in files.lists() for f in fs)
    raw = json.dumps([fields, uploads], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            _("Idempotency-Key 无效（1–200 个可见字符）"), code="idempotency_key_invalid"
        )
    return key


def _replay(scope: str, key: str, digest: str) -> tuple[int, Any] | None:
    row = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if row is None:
        return None
    if row.fingerprint != digest:
        raise Conflict(_("该 Idempotency-Key 已用于另一内容的请求"), code="idempotency_key_reused")
    return row.status, row.body


def run_once(
    scope: str, key: str | None, digest: str, produce: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """(status, body, replayed). Without a key `produce` just runs. With one, `produce` runs
    inside a transaction that also stores its result under the key, unless a request with the
    key already succeeded: then its stored result is returned and nothing runs."""
    if key is None:
        status, body = produce()
        return status, body, False
    key = check_key(key)
    stored = _replay(scope, key, digest)
    if stored is not None:
        return (*stored, True)
    try:
        with transaction.atomic():
            status, body = produce()
            IdempotencyKey.objects.create(
                scope=scope, key=key, fingerprint=digest, status=status, body=body
            )
    except IntegrityError:
        # The same key committed by a concurrent request first: everything here rolled back.
        stored = _replay(scope, key, digest)
        if stored is None:
            raise
        return (*stored, True)
    return status, body, False
