"""outcome_kind (当场解决 / 协调解决 / 长期推进) is filterable in the API and the appeal list."""

from __future__ import annotations

import pytest
from django.test import Client

from minhu.appeals import actions
from minhu.appeals.tests.factories import client_for

from .factories import in_progress

pytestmark = pytest.mark.django_db


def _resolved(org, kind: str):
    a = in_progress(org)
    extra = (
        {"roadmap": "分三步改造", "timetable": "明年六月前", "explanation": "需立项改造"}
        if kind == "long_term"
        else {}
    )
    actions.resolve(a, actor=org.s1_handler, outcome_kind=kind, outcome="已经处理完毕", **extra)
    return a


def test_outcome_kind_filters_api_and_list(org):
    spot = [_resolved(org, "on_spot") for _ in range(2)]
    coord = _resolved(org, "coordinated")
    long_ = _resolved(org, "long_term")
    open_ = in_progress(org)
    api = client_for(org.dispatcher)

    def codes(params):
        r = api.get("/api/v1/appeals/", params)
        assert r.status_code == 200, r.content
        return {x["code"] for x in r.json()["results"]}

    assert codes({"outcome_kind": "on_spot"}) == {a.code for a in spot}
    assert codes({"outcome_kind": "coordinated"}) == {coord.code}
    assert codes({"outcome_kind": "on_spot,long_term"}) == {a.code for a in [*spot, long_]}
    assert open_.code not in codes({"outcome_kind": "on_spot,coordinated,long_term"})
    assert api.get("/api/v1/appeals/", {"outcome_kind": "nonsense"}).status_code == 400

    web = Client()
    web.force_login(org.dispatcher)
    page = web.get("/appeals/", {"outcome_kind": "coordinated"}).content.decode()
    assert coord.code in page and spot[0].code not in page and open_.code not in page
    assert 'name="outcome_kind"' in page
    # other lists keep their filter bar as it was
    assert 'name="outcome_kind"' not in web.get("/dispatch/").content.decode()
