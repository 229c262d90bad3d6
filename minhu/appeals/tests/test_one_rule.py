"""Rules the issue-18 review found written in two to four places, now written once: each test
asks every place that applies the rule and fails when one of them drifts."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest
from django.db import transaction

from minhu.appeals import actions, guards
from minhu.appeals.models import Appeal, Satisfaction
from minhu.appeals.tests.factories import client_for
from minhu.core.errors import DomainError
from minhu.residents.timeline import rating_state

from .factories import PHONE, in_progress, register, replied, resolved

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(__file__).resolve().parents[2]  # the minhu package


class _Rollback(Exception):
    pass


def _rate_accepted(appeal: Appeal, phone: str) -> bool:
    try:
        with transaction.atomic():
            actions.rate(appeal.code, phone=phone, satisfaction=Satisfaction.SATISFIED)
            raise _Rollback
    except _Rollback:
        return True
    except DomainError:
        return False


def _rating_cases(org) -> list[tuple[str, Appeal, str]]:
    answered = replied(org)
    rated = replied(org, subject="楼道灯不亮")
    actions.rate(rated.code, phone=PHONE, satisfaction=Satisfaction.SATISFIED)
    parent = in_progress(org, subject="东门路灯", phone="13700000000")
    child = register(org, subject="东门路灯坏了", phone="13900000000")
    waiting = register(org, subject="东门路灯还是坏", phone="13900000001")
    for c in (child, waiting):
        actions.merge(c, actor=org.dispatcher, parent=parent)
    actions.resolve(parent, actor=org.s1_handler, outcome_kind="on_spot", outcome="已更换灯泡")
    actions.reply(parent, actor=org.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    actions.rate(waiting.code, phone="13900000001", satisfaction=Satisfaction.SATISFIED)
    return [
        ("resolved, not answered", resolved(org, subject="井盖丢失"), PHONE),
        ("answered", answered, PHONE),
        ("rated this round", rated, PHONE),
        ("merged child, answered", child, "13900000000"),
        ("merged child, rated", waiting, "13900000001"),
    ]


def test_may_rate_is_one_rule_for_the_verb_the_api_and_the_h5_page(org):
    public = client_for(None)
    seen = []
    for label, appeal, phone in _rating_cases(org):
        appeal = Appeal.objects.get(pk=appeal.pk)
        verb = _rate_accepted(appeal, phone)
        api = public.get(
            f"/api/v1/public/appeals/{appeal.code}/", HTTP_X_APPELLANT_PHONE=phone
        ).json()["can_rate"]
        h5 = rating_state(appeal)["can_rate"]
        assert (label, api, h5) == (label, verb, verb)
        seen.append(verb)
    assert seen == [False, True, False, True, False]  # the cases cover both answers


ROLE_SET_NAMES = {
    "CENTRE_ROLES",
    "UNIT_ROLES",
    "FOLLOW_UP_ROLES",
    "PHONE_ROLES",
    "LEADER_ROLES",
    "REGISTER_ROLES",
}


def role_set_definitions(root: pathlib.Path = ROOT) -> dict[str, list[str]]:
    """Module-level assignments of the shared role-set names, outside the tests."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in ROLE_SET_NAMES:
                    found.setdefault(t.id, []).append(path.relative_to(root).as_posix())
    return found


def test_role_sets_are_defined_once_in_orgs():
    assert role_set_definitions() == {name: ["orgs/models.py"] for name in ROLE_SET_NAMES}


def test_the_role_set_scan_finds_a_copy(tmp_path):
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "models.py").write_text("UNIT_ROLES = frozenset()\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "permissions.py").write_text("UNIT_ROLES: set = {'handler'}\n")
    assert role_set_definitions(tmp_path) == {
        "UNIT_ROLES": ["orgs/models.py", "web/permissions.py"]
    }


def test_channels_per_role_come_from_the_channel_declarations(org):
    from minhu.appeals.kinds import _CHANNELS, ChannelInfo, register_channel

    intake_view = (ROOT / "web/views/dispatch.py").read_text(encoding="utf-8")
    assert not re.search(r"UNIT_CHANNELS|STAFF_CHANNELS", intake_view)
    before = set(guards.channels_for(org.s1_handler))
    register_channel(ChannelInfo(code="test_desk", label="测试台", unit_staff=True))
    try:
        assert set(guards.channels_for(org.s1_handler)) == before | {"test_desk"}
        a = register(org, actor=org.s1_handler, channel="test_desk")
        assert a.channel == "test_desk"
    finally:
        _CHANNELS.pop("test_desk")


def test_due_state_is_one_rule_for_the_model_sql_the_api_and_the_pages(org, settings):
    """Items due long ago, just now, within and after MINHU_DUE_SOON_HOURS, and closed: the
    model's due_state, the SQL annotation and filter, the API's due_state and filter, and the
    web's filter all give each item the same state."""
    import datetime as dt

    from django.utils import timezone

    from minhu.appeals import queries
    from minhu.appeals.models import Status
    from minhu.web import due as web_due

    settings.MINHU_DUE_SOON_HOURS = 4
    now = timezone.now()
    offsets = {"long_ago": -48, "just_past": -0.1, "soon": 3.9, "later": 4.1, "far": 72}
    items = {}
    for label, hours in offsets.items():
        a = in_progress(org, subject=f"路灯{label}")
        Appeal.objects.filter(pk=a.pk).update(current_due_at=now + dt.timedelta(hours=hours))
        items[label] = a.pk
    done = replied(org, subject="已答复的路灯")
    Appeal.objects.filter(pk=done.pk).update(status=Status.CLOSED)
    items["closed"] = done.pk
    expected = {
        "long_ago": "overdue",
        "just_past": "overdue",
        "soon": "due_soon",
        "later": "on_time",
        "far": "on_time",
        "closed": "",
    }
    rows = {a.pk: a for a in queries.with_due_state(Appeal.objects.all(), now)}
    desk = client_for(org.dispatcher)
    api = {
        r["id"]: r["due_state"]
        for r in desk.get("/api/v1/appeals/", {"page_size": 100}).json()["results"]
    }
    for label, pk in items.items():
        state = expected[label]
        assert Appeal.objects.get(pk=pk).due_state(now) == state, label
        assert rows[pk].due_state == state, label
        assert api[pk] == state, label
    for state in ("overdue", "due_soon", "on_time"):
        want = {pk for label, pk in items.items() if expected[label] == state}
        sql = set(
            queries.filter_due_state(Appeal.objects.all(), state, now).values_list("pk", flat=True)
        )
        web = set(
            web_due.filter_due_state(Appeal.objects.all(), state, now).values_list("pk", flat=True)
        )
        by_api = {
            r["id"]
            for r in desk.get("/api/v1/appeals/", {"due_state": state, "page_size": 100}).json()[
                "results"
            ]
        }
        assert sql == web == by_api == want, state


@pytest.mark.parametrize(
    "point_channel", ["h5", "miniprogram", "questionnaire", "hotline", "wechat_group"]
)
def test_channel_from_a_collection_point_is_one_rule_for_h5_and_the_api(org, point_channel):
    """A point's channel is kept when residents may use it, else the submission is H5: the
    same for the H5 form (/h5/p/<code>/) and the public API (collection_point)."""
    from django.core.cache import cache
    from django.test import Client

    from minhu.appeals.kinds import PUBLIC_CHANNELS, resident_channel
    from minhu.appeals.models import CollectionPoint

    cache.clear()  # the public submit limit counts per client address
    point = CollectionPoint.objects.create(
        name="东一社区意见征集点", code="s1c1-yjd", unit=org.community1, channel=point_channel
    )
    want = point_channel if point_channel in PUBLIC_CHANNELS else "h5"
    assert resident_channel(point) == want
    Client().post(
        f"/h5/p/{point.code}/",
        {
            "detail": "小区门口的路灯坏了一周了，晚上很黑。",
            "subject": "",
            "category": "",
            "address": "幸福小区东门",
            "identity": "named",
            "name": "王女士",
            "phone": PHONE,
        },
    )
    response = client_for(None).post(
        "/api/v1/public/appeals/",
        {
            "subject": "路灯不亮",
            "detail": "小区门口的路灯坏了一周了，晚上很黑。",
            "appellant_name": "王女士",
            "appellant_phone": "13900000002",
            "collection_point": point.code,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    made = list(Appeal.objects.filter(collection_point=point).values_list("channel", flat=True))
    assert made == [want, want]


def test_merge_by_code_is_one_lookup_for_the_page_and_the_api(org):
    """Codes are matched case-insensitively among the appeals the user sees, on the appeal page
    and in the API; an unknown code is refused in both."""
    from django.test import Client

    main, dup_web, dup_api, other = (register(org, subject=f"路灯{i}") for i in range(4))
    web = Client()
    web.force_login(org.dispatcher)
    web.post(f"/appeals/{dup_web.pk}/act/merge/", {"parent_code": f" {main.code.lower()} "})
    api = client_for(org.dispatcher).post(
        f"/api/v1/appeals/{dup_api.pk}/merge/", {"parent_code": f" {main.code.lower()} "}
    )
    assert api.status_code == 200
    assert {a.parent_id for a in Appeal.objects.filter(pk__in=[dup_web.pk, dup_api.pk])} == {
        main.pk
    }
    page = web.post(f"/appeals/{other.pk}/act/merge/", {"parent_code": "NOSUCHCODE"})
    assert "未找到该编号的诉求" in page.content.decode()
    api = client_for(org.dispatcher).post(
        f"/api/v1/appeals/{other.pk}/merge/", {"parent_code": "NOSUCHCODE"}
    )
    assert api.status_code == 404 and api.json()["error"]["message"] == "未找到该编号的诉求"
    assert Appeal.objects.get(pk=other.pk).parent_id is None


def test_a_photo_is_served_by_one_rule_on_the_page_and_in_the_api(org, settings, tmp_path):
    """The staff page and the API serve an appeal's photo the same way: the bytes with private
    caching and nosniff to whoever sees the appeal; 404 to others, for another appeal's photo
    and when the file is gone."""
    from django.test import Client

    from .factories import png

    settings.MEDIA_ROOT = str(tmp_path)
    a = in_progress(org)
    other = in_progress(org, subject="别的诉求")
    (att,) = actions.add_attachments(a, actor=org.s1_handler, files=[png()])

    def both(user, appeal_id, att_id):
        web = Client()
        web.force_login(user)
        page = web.get(f"/appeals/{appeal_id}/photos/{att_id}/")
        api = client_for(user).get(f"/api/v1/appeals/{appeal_id}/attachments/{att_id}/file/")
        return page, api

    for response in both(org.s1_handler, a.pk, att.pk):
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert response["X-Content-Type-Options"] == "nosniff"
    for user, appeal_id in ((org.s2_handler, a.pk), (org.dispatcher, other.pk)):
        assert [r.status_code for r in both(user, appeal_id, att.pk)] == [404, 404]
    att.file.storage.delete(att.file.name)
    assert [r.status_code for r in both(org.dispatcher, a.pk, att.pk)] == [404, 404]


def test_the_default_lead_is_one_rule_for_the_dispatch_page_and_routing(org):
    """The dispatch form's suggested lead unit is the dispatch catalogue's: a catalogue rule
    for the category wins over the category's default unit on the page as in routing."""
    from django.test import Client

    from minhu.routing import catalogue
    from minhu.routing.location import locate_appeal
    from minhu.routing.models import DispatchRule

    org.category.default_lead_unit = org.dept1
    org.category.save()
    DispatchRule.objects.create(category=org.category, lead_unit=org.dept2)
    a = register(org)
    actions.classify(a, actor=org.dispatcher, category=org.category)
    a = Appeal.objects.get(pk=a.pk)
    assert catalogue.lookup(a.category, locate_appeal(a)).lead_unit == org.dept2
    from minhu.web.views.dispatch_form import suggested_lead

    assert suggested_lead(a) == org.dept2  # the page's starting point (was: dept1)
    web = Client()
    web.force_login(org.dispatcher)
    html = web.get(f"/dispatch/{a.pk}/panel/").content.decode()
    assert f'<option value="{org.dept2.pk}" selected>' in html


def test_the_loops_packages_hold_no_test_helpers():
    """Factories and API test clients live in tests/ (appeals/tests/factories.py), never in the
    production package: no `testing` module and no test client import in the loop's packages."""
    found = []
    for package in ("appeals", "deadlines", "routing"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if path.stem == "testing" or re.search(r"rest_framework\.test\b|django\.test\b", text):
                found.append(path.relative_to(ROOT).as_posix())
    assert found == []
