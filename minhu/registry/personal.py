"""Personal data of the registry: ID-number validation (GB 11643), encryption (Fernet from the
`cryptography` package, key MINHU_REGISTRY_KEY), the keyed hash used for duplicate checks, and
masking. Nothing here touches the database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def normalize_id(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident identity number (GB 11643-1999), or None."""
    v = normalize_id(value)
    if not _ID_RE.match(v):
        return "身份证号应为18位（末位可为X）"
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if born.year < 1900 or born > dt.date.today():
        return "身份证号中的出生日期无效"
    if id_check_digit(v[:17]) != v[17]:
        return "身份证号校验位不正确"
    return None


def birth_year_of(value: str) -> int:
    return int(normalize_id(value)[6:10])


def gender_of(value: str) -> str:
    return "m" if int(normalize_id(value)[16]) % 2 else "f"


def _key_material() -> bytes:
    key = settings.MINHU_REGISTRY_KEY
    return key.encode() if isinstance(key, str) else key


@lru_cache(maxsize=4)
def _fernet(key: bytes) -> Fernet:
    return Fernet(key)


def encrypt_id(value: str) -> str:
    return _fernet(_key_material()).encrypt(normalize_id(value).encode()).decode()


def decrypt_id(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(_key_material()).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def id_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256 under a key derived from the registry key): equal ID numbers
    give equal hashes, so duplicates are found without decrypting; useless without the key."""
    mac_key = hashlib.sha256(b"minhu-registry-id-hash:" + _key_material()).digest()
    return hmac.new(mac_key, normalize_id(value).encode(), hashlib.sha256).hexdigest()


def derived_dev_key(secret_key: str) -> str:
    """The registry key used when DEBUG is on and MINHU_REGISTRY_KEY is unset (dev and tests)."""
    digest = hashlib.sha256(b"minhu-registry-dev:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def mask_id(value: str) -> str:
    v = normalize_id(value)
    if len(v) < 8:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(phone: str) -> str:
    p = (phone or "").strip()
    if len(p) >= 7:
        return p[:3] + "*" * (len(p) - 7) + p[-4:]
    return "*" * len(p)


def mask_name(name: str) -> str:
    n = (name or "").strip()
    if len(n) <= 1:
        return n
    return n[0] + "*" * (len(n) - 1)
