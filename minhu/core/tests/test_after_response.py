"""Intake routing (a job) runs after the answer has been sent, not before it; on PostgreSQL it
is stored for the worker in the registering transaction."""

from __future__ import annotations

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from rest_framework.authtoken.models import Token

from minhu.appeals.models import Appeal
from minhu.core import after_response

pytestmark = pytest.mark.queue

ran: list = []


def record_hook(appeal_id: int) -> None:
    ran.append((appeal_id, Appeal.objects.filter(pk=appeal_id).exists()))


def failing_hook(appeal_id: int) -> None:
    raise RuntimeError("routing broke")


def _post(handler, token: str, body: dict):
    raw = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/appeals/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    started = []
    response = handler(environ, lambda status, headers: started.append(status))
    return started, response


@pytest.mark.django_db(transaction=True)
def test_intake_hooks_run_when_the_server_closes_the_response(org, settings, caplog):
    settings.MINHU_JOBS = "inline"  # the embedded default: jobs in-process, after the answer
    settings.MINHU_INTAKE_HOOKS = [f"{__name__}.record_hook", f"{__name__}.failing_hook"]
    ran.clear()
    token = Token.objects.create(user=org.dispatcher).key
    body = {
        "channel": "hotline",
        "subject": "路灯不亮",
        "detail": "小区门口的路灯坏了一周",
        "appellant_phone": "13812345678",
        "grid": org.grid1.pk,
    }
    started, response = _post(WSGIHandler(), token, body)
    assert started == ["201 Created"]
    appeal_id = json.loads(b"".join(response))["id"]
    assert ran == []  # the answer is complete; routing has not run yet
    response.close()  # what the WSGI server does once it has sent the answer
    assert ran == [(appeal_id, True)]  # committed before the hook ran
    # A failing hook is logged; the client already has its 201.
    assert "run_intake_hooks failed" in caplog.text and "routing broke" in caplog.text
    after_response.defer(ran.append, "later")  # between requests: at once
    assert ran[-1] == "later"


def test_outside_a_request_deferred_work_runs_at_once():
    seen = []
    after_response.defer(seen.append, 1)
    assert seen == [1]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_routing_is_a_queued_job_stored_with_the_appeal(org, settings):
    if "procrastinate.contrib.django" not in settings.INSTALLED_APPS:
        pytest.skip("the procrastinate backend runs on PostgreSQL")
    from procrastinate.contrib.django.models import ProcrastinateJob

    from minhu.appeals import actions

    settings.MINHU_JOBS = "procrastinate"
    settings.MINHU_INTAKE_HOOKS = [f"{__name__}.record_hook"]
    ran.clear()
    appeal = actions.register_appeal(
        actor=org.dispatcher,
        channel="hotline",
        subject="路灯不亮",
        detail="小区门口的路灯坏了一周",
        appellant_phone="13812345678",
    )
    assert ran == []  # not in this process: the worker runs it
    # (Only this appeal's: other transactional tests may have left queued jobs of their own.)
    [queued] = ProcrastinateJob.objects.filter(
        task_name="minhu.appeals.jobs.run_intake_hooks", args__appeal_id=appeal.pk
    )
    assert queued.args == {"appeal_id": appeal.pk} and queued.status == "todo"
