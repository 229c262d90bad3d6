"""Issue 14 item 9: deciding an extension outside one's scope answers "not found" whether the
request exists or not (it used to be 403 for a real one and 404 for a made-up one)."""

import pytest

from minhu.appeals import actions
from minhu.appeals.tests.factories import client_for, error_code

from .factories import in_progress

pytestmark = pytest.mark.django_db


def test_extension_decisions_tell_nothing_outside_scope(org):
    a = in_progress(org)
    ext = actions.request_extension(a, actor=org.s1_handler, days=2, reason="需要采购灯具")
    outsider = client_for(org.s2_handler)
    body = {"approve": True}
    real = outsider.post(f"/api/v1/appeals/{a.pk}/extensions/{ext.pk}/decide/", body, format="json")
    fake = outsider.post(
        f"/api/v1/appeals/{a.pk}/extensions/{ext.pk + 999}/decide/", body, format="json"
    )
    assert (real.status_code, error_code(real)) == (404, "not_found")
    assert (fake.status_code, error_code(fake)) == (404, "not_found")
    assert real.json() == fake.json()
    # the centre still decides it
    ok = client_for(org.dispatcher).post(
        f"/api/v1/appeals/{a.pk}/extensions/{ext.pk}/decide/", body, format="json"
    )
    assert ok.status_code == 200, ok.content
