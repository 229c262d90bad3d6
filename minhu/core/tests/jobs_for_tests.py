"""A job for test_jobs: records each start (committed at once) and its effect idempotently.
The first attempt waits long enough to be killed."""

import time

from django.db import connection, transaction

from minhu.core.jobs import job


@job(name="minhu.tests.mark", retry=3)
def mark(*, key: str, first_attempt_sleep: float = 0) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO test_job_starts (key) VALUES (%s)", [key])
        cursor.execute("SELECT count(*) FROM test_job_starts WHERE key = %s", [key])
        attempt = cursor.fetchone()[0]
    if attempt == 1 and first_attempt_sleep:
        time.sleep(first_attempt_sleep)
    with transaction.atomic(), connection.cursor() as cursor:
        # The effect is keyed: running the job again changes nothing.
        cursor.execute(
            "INSERT INTO test_job_done (key) VALUES (%s) ON CONFLICT (key) DO NOTHING", [key]
        )
