"""Schema fuzzing (schemathesis) of the whole API, as four roles.

Every operation of the OpenAPI schema that drf-spectacular generates is called in process through
Django's WSGI handler with generated (valid and invalid) input, as an admin, a street handler, the
district leader and anonymously. A test fails on any 5xx and on any response that disagrees with the
schema: an undocumented status code or content type, or a body that does not match. Bounded
(`MAX_EXAMPLES` per operation and role) and derandomised, so a run is repeatable and takes a few
minutes on 2 cores. Each example runs in a savepoint that is rolled back: every example sees the
same small organisation and appeals in every status.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

ON_POSTGRES = "postgresql" in settings_module.DATABASES["default"]["ENGINE"]
# Examples per operation and role. The PostgreSQL pass of `make test` runs the same fuzzing with
# fewer examples (bounded in time: its point is what PostgreSQL does differently, e.g. refusing
# NUL bytes in text, int8 overflow, strict types), the SQLite pass with more.
MAX_EXAMPLES = 5 if ON_POSTGRES else 12
ROLES = ("admin", "s1_handler", "district_leader", "anonymous")


def _schema_dict() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


_handler: WSGIHandler | None = None


def wsgi_app(environ, start_response):
    """Django's WSGI handler, without closing the test's database connection after each request
    (what Django's own test client does too)."""
    global _handler
    if _handler is None:
        _handler = WSGIHandler()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _handler(environ, start_response)
        body = b"".join(response)
        response.close()
        return [body]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "checks": {
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "negative_data_rejection": {"enabled": False},
            "positive_data_acceptance": {"enabled": False},
            "missing_required_header": {"enabled": False},
            "unsupported_method": {"enabled": False},
            "ignored_auth": {"enabled": False},
            "use_after_free": {"enabled": False},
            "ensure_resource_availability": {"enabled": False},
        },
    }
)

schema = schemathesis.openapi.from_dict(_schema_dict(), config=CONFIG)
schema.app = wsgi_app

# Object ids in paths: mostly ones that exist in the test organisation (so the operation's own
# code runs); the edges the generator likes (0, huge, past 2^63) are kept as they are.
ID_PARAMS = {"id", "pk", "appeal_id", "att_id", "ext_id", "summons_id"}


@schema.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    for name, value in path_parameters.items():
        if name in ID_PARAMS and isinstance(value, int) and 40 < value < 2**31:
            path_parameters[name] = value % 40 + 1
    return path_parameters


@pytest.fixture
def world(db):
    from minhu.appeals.models import Status
    from minhu.appeals.tests import factories
    from minhu.orgs.testing import build_org

    org = build_org()
    for status in Status.values:
        factories.build(org, status)
    return org


@pytest.fixture(params=ROLES)
def auth_headers(request, world):
    from rest_framework.authtoken.models import Token

    if request.param == "anonymous":
        return {}
    user = getattr(world, request.param)
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_schema(case, auth_headers):
    """No 5xx and every response as the schema describes it, for each operation and role."""
    with transaction.atomic():
        try:
            case.call_and_validate(headers=auth_headers)
        finally:
            transaction.set_rollback(True)
