"""Outbox delivery as a scheduled job. Each pass claims due rows with SKIP LOCKED, so two
workers never send one notification; a failed SMS is retried by the outbox itself with
exponential back-off (delivery.retry_delay) up to MAX_ATTEMPTS."""

from minhu.core.jobs import job

from .delivery import deliver_pending


@job(periodic="* * * * *", lock="minhu.deliver", retry=0)
def deliver() -> dict:
    return dict(deliver_pending())
