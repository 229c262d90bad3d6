"""SMS backends. The real gateway is outside Minhu; deployments plug theirs in through
MINHU_SMS_BACKEND (a class with send(phone, text) that raises on failure)."""

from __future__ import annotations

import logging

logger = logging.getLogger("minhu.sms")


class LogSMSBackend:
    """Writes messages to the log instead of sending them (development, demo)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


class MemorySMSBackend:
    """Keeps messages in memory, for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        if phone.startswith("000"):
            raise RuntimeError("gateway rejected number")
        MemorySMSBackend.outbox.append((phone, text))
