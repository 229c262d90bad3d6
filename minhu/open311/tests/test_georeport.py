"""GeoReport v2 as a client sees it: every endpoint in JSON and XML, every error, the spec's
examples, what is published (nothing private), keys, their audit and rate limits, and a
request followed from POST to closed (with FixMyStreet's updates on the way)."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils import timezone

from minhu.appeals import actions as appeal_actions
from minhu.appeals.models import Appeal, AppealEvent, EventKind, Satisfaction
from minhu.categories.tests.factories import field
from minhu.core.errors import PermissionDenied
from minhu.core.models import ConfigChange
from minhu.open311 import actions
from minhu.open311.models import KeyUse, Open311Request

from .spec_examples import (
    SPEC_POST_FORM,
    SPEC_REQUESTS_XML,
    SPEC_SERVICE_DEFINITION_XML,
    SPEC_SERVICES_XML,
    paths,
)

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def setup(org):
    field(org, "pole", "灯杆编号", required=True, order=1, help_text="灯杆上的编号")
    field(org, "lamp", "故障情况", datatype="single", options="dark=不亮\nflicker=闪烁", order=2)
    field(org, "side", "位置", datatype="multi", options="east=路东\nwest=路西", order=3)
    key, secret = actions.issue_key(actor=org.admin, name="FixMyStreet 测试", rate_limit=50)
    org.key, org.secret = key, secret
    return org


def get(client, path, fmt="json", **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def post(client, setup, fmt="json", **fields):
    body = {
        "api_key": setup.secret,
        "service_code": "streetlight",
        "lat": "39.908700",
        "long": "116.397500",
        "address_string": "幸福路北门外",
        "description": "小区北门外的路灯连续三晚不亮",
        "attribute[pole]": "DJ-0231",
        "attribute[lamp]": "dark",
        "email": "resident@example.org",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13800138000",
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", body)


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def errors_of(response, fmt="json") -> list[dict]:
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        return [{c.tag: c.text for c in e} for e in root.findall("error")]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def test_discovery_both_formats(client, setup):
    r = client.get("/open311/discovery.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json; charset=utf-8"
    [ep] = r.json()["endpoints"]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"] == "http://testserver/open311/v2" and "text/xml" in ep["formats"]
    root = xml(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]
    assert client.get("/open311/discovery.yaml").status_code == 404


def test_services_and_definitions(client, setup):
    rows = get(client, "services").json()
    by_code = {s["service_code"]: s for s in rows}
    assert by_code["streetlight"]["metadata"] is True
    assert (
        by_code["streetlight"]["group"] == "城乡建设"
        and by_code["streetlight"]["type"] == "realtime"
    )
    assert "urban" not in by_code  # a first-level category with children is a group
    root = xml(get(client, "services", "xml"))
    assert root.tag == "services"
    assert root.find("service/metadata").text == "true"
    assert paths(ET.tostring(root)) >= paths(SPEC_SERVICES_XML) - {"services/service/keywords"}

    d = get(client, "services/streetlight").json()
    assert d["service_code"] == "streetlight"
    assert [(a["code"], a["datatype"], a["required"], a["order"]) for a in d["attributes"]] == [
        ("pole", "string", True, 1),
        ("lamp", "singlevaluelist", False, 2),
        ("side", "multivaluelist", False, 3),
    ]
    assert d["attributes"][1]["values"] == [
        {"key": "dark", "name": "不亮"},
        {"key": "flicker", "name": "闪烁"},
    ]
    root = xml(get(client, "services/streetlight", "xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/variable").text == "true"
    assert [v.find("key").text for v in root.find("attributes/attribute[2]/values")] == [
        "dark",
        "flicker",
    ]
    assert paths(ET.tostring(root)) == paths(SPEC_SERVICE_DEFINITION_XML)
    for fmt in ("json", "xml"):
        r = get(client, "services/nope", fmt)
        assert r.status_code == 404
        assert errors_of(r, fmt)[0]["description"] == "service_code not found: nope"


def test_post_request_enters_the_loop(client, setup):
    r = post(client, setup, **{"attribute[side][]": ["west", "east"]})
    assert r.status_code == 201, r.content
    [receipt] = r.json()
    appeal = Appeal.objects.get(code=receipt["service_request_id"])
    assert appeal.channel == "open311" and appeal.category == setup.category
    assert appeal.attributes == {"pole": "DJ-0231", "lamp": "dark", "side": ["east", "west"]}
    assert appeal.appellant_name == "王小明" and appeal.appellant_phone == "13800138000"
    assert str(appeal.latitude) == "39.908700" and appeal.address == "幸福路北门外"
    assert AppealEvent.objects.filter(appeal=appeal, kind=EventKind.REGISTER).exists()
    posted = Open311Request.objects.get(appeal=appeal)
    assert posted.client_name == "FixMyStreet 测试" and posted.email == "resident@example.org"
    assert posted.token == receipt["token"]
    # the token resolves to the request, both formats
    assert get(client, f"tokens/{posted.token}").json() == [
        {"service_request_id": appeal.code, "token": posted.token}
    ]
    root = xml(get(client, f"tokens/{posted.token}", "xml"))
    assert root.find("request/service_request_id").text == appeal.code
    assert get(client, "tokens/0000-0000").status_code == 404
    # XML POST answers in XML
    r = post(client, setup, "xml")
    assert r.status_code == 201
    assert xml(r).find("request/service_request_id").text
    assert KeyUse.objects.filter(api_key=setup.key, method="POST", status=201).count() == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("fields", "status", "text"),
    [
        ({"api_key": None}, 403, "api_key missing"),
        ({"api_key": "wrong-key-wrong-key"}, 403, "api_key not valid or revoked"),
        ({"service_code": None}, 400, "service_code missing"),
        ({"service_code": "nope"}, 404, "service_code not found: nope"),
        (
            {"lat": None, "long": None, "address_string": None},
            400,
            "a location is required: lat and long, address_string or address_id",
        ),
        ({"lat": "north"}, 400, "lat/long: not numbers"),
        ({"attribute[pole]": None}, 400, "attribute[pole]: 请填写灯杆编号 (required)"),
        (
            {"attribute[lamp]": "blue"},
            400,
            "attribute[lamp]: 故障情况的选项不正确 (invalid_choice)",
        ),
        ({"attribute[color]": "x"}, 400, "unknown_attribute"),
        ({"phone": "12345"}, 400, "phone: 联系电话格式不正确 (invalid_phone)"),
        ({"email": "not-an-address"}, 400, "email: not valid"),
        ({"media_url": "ftp://x"}, 400, "media_url: not valid"),
        ({"description": "灯"}, 400, "description:"),
    ],
)
def test_post_errors(client, setup, fields, status, text, fmt):
    r = post(client, setup, fmt, **fields)
    assert r.status_code == status
    [err] = errors_of(r, fmt)
    assert str(err["code"]) == str(status) and text in err["description"]
    assert not Appeal.objects.filter(channel="open311").exists()  # nothing half-written


def test_spec_example_post_is_accepted(client, setup):
    """The spec's example POST (with our service code and attribute) registers a request; the
    answer has the spec's elements."""
    form = {**SPEC_POST_FORM, "api_key": setup.secret, "service_code": "streetlight"}
    form.pop("attribute[WHISPAWN]")
    form["attribute[pole]"] = "A1"
    r = client.post(f"{BASE}/requests.xml", form)
    assert r.status_code == 400  # the example's phone is not a Chinese number: refused ...
    assert "invalid_phone" in errors_of(r, "xml")[0]["description"]
    form.pop("phone")  # ... and without it the request is anonymous
    r = client.post(f"{BASE}/requests.xml", form)
    assert r.status_code == 201, r.content
    assert paths(r.content) >= {
        "service_requests/request/service_request_id",
        "service_requests/request/service_notice",
        "service_requests/request/account_id",
    }
    appeal = Appeal.objects.get(code=xml(r).find("request/service_request_id").text)
    assert appeal.appellant_kind == "anonymous" and appeal.attributes == {"pole": "A1"}
    assert Open311Request.objects.get(appeal=appeal).device_id == "tt222111"


def test_get_requests_filters_window_and_publishes_nothing_private(client, setup):
    r = post(client, setup)
    mine = r.json()[0]["service_request_id"]
    staff = appeal_actions.register_appeal(
        actor=setup.dispatcher,
        channel="hotline",
        subject="噪音扰民 电话13912345678",
        detail="楼下商铺夜间施工，联系人李四 13912345678",
        appellant_name="李四",
        appellant_phone="13912345678",
        address="东街道幸福小区3号楼2单元501",
        grid=setup.grid1,
    )
    old = appeal_actions.register_appeal(
        actor=setup.dispatcher,
        channel="hotline",
        subject="去年的诉求",
        detail="一百天前登记的诉求内容",
        appellant_phone="13912345678",
        created_at=timezone.now() - dt.timedelta(days=100),
    )
    rows = get(client, "requests").json()
    codes = [row["service_request_id"] for row in rows]
    assert codes == [staff.code, mine]  # newest first, the 100-day-old one outside the window
    body = json.dumps(rows, ensure_ascii=False)
    for private in ("13912345678", "13800138000", "李四", "王小明", "resident@", "3号楼2单元"):
        assert private not in body, private
    row = {r["service_request_id"]: r for r in rows}
    assert row[staff.code]["description"] == "噪音扰民 电话139****"
    assert row[staff.code]["address"] == "东街道" and row[staff.code]["lat"] is None
    assert row[mine]["address"] == "幸福路北门外" and row[mine]["lat"] == 39.9087
    assert row[mine]["status"] == "open" and row[mine]["status_notes"].startswith("已受理")
    assert row[mine]["service_code"] == "streetlight"
    assert row[mine]["requested_datetime"].endswith("+08:00")
    # filters
    assert [
        x["service_request_id"] for x in get(client, "requests", service_code="streetlight").json()
    ] == [mine]
    assert [
        x["service_request_id"] for x in get(client, "requests", service_code="urban").json()
    ] == [mine]
    assert get(client, "requests", status="closed").json() == []
    assert len(get(client, "requests", status="open,closed").json()) == 2
    ids = f"{old.code},{mine}"
    assert {
        x["service_request_id"] for x in get(client, "requests", service_request_id=ids).json()
    } == {old.code, mine}
    since = (timezone.now() - dt.timedelta(days=120)).date().isoformat()
    # start_date alone: the 90 days from it
    found = get(client, "requests", start_date=since).json()
    assert [x["service_request_id"] for x in found] == [old.code]
    r = get(client, "requests", start_date=since, end_date=timezone.now().isoformat())
    assert r.status_code == 400 and "90 days" in errors_of(r)[0]["description"]
    assert (
        len(
            get(
                client,
                "requests",
                start_date=since + "T00:00:00+08:00",
                end_date=since + "T23:59:59+08:00",
            ).json()
        )
        == 0
    )
    # the request by id
    [one] = get(client, f"requests/{mine}").json()
    assert one == row[mine]
    root = xml(get(client, f"requests/{mine}", "xml"))
    assert root.tag == "service_requests"
    assert paths(ET.tostring(root)) == paths(SPEC_REQUESTS_XML)
    # errors
    for fmt in ("json", "xml"):
        r = get(client, "requests/NOPE1234", fmt)
        assert r.status_code == 404 and errors_of(r, fmt)[0]["code"] in (404, "404")
        r = get(client, "requests", fmt, start_date="yesterday")
        assert r.status_code == 400 and "start_date" in errors_of(r, fmt)[0]["description"]
        r = get(client, "requests", fmt, status="pending")
        assert r.status_code == 400
        r = get(client, "requests", fmt, start_date="2026-12-07", end_date="2026-01-01")
        assert r.status_code == 400
    # internal work items are not published
    assert get(client, f"requests/{staff.code}").status_code == 200


def test_jurisdiction(client, setup, settings):
    assert get(client, "services", jurisdiction_id="anything").status_code == 200
    settings.MINHU_OPEN311_JURISDICTION = "minhu.example.gov.cn"
    assert get(client, "services", jurisdiction_id="minhu.example.gov.cn").status_code == 200
    r = get(client, "services", "xml", jurisdiction_id="other.gov")
    assert r.status_code == 404 and errors_of(r, "xml")[0]["code"] == "404"


def test_keys_revoke_audit_and_rate_limit(client, setup):
    assert ConfigChange.objects.filter(
        model="open311.apikey", object_id=setup.key.pk, action="create"
    ).exists()
    key, secret = actions.issue_key(actor=setup.admin, name="限流客户端", rate_limit=3)
    for _ in range(3):
        assert get(client, "services", api_key=secret).status_code == 200
    r = get(client, "services", api_key=secret)
    assert r.status_code == 429 and r["Retry-After"] == "3600"
    assert errors_of(r)[0]["code"] == 429
    assert list(
        KeyUse.objects.filter(api_key=key).values_list("status", flat=True).order_by("id")
    ) == [200, 200, 200, 429]
    key.refresh_from_db()
    assert key.last_used_at is not None
    actions.revoke_key(setup.key, actor=setup.admin)
    assert ConfigChange.objects.filter(
        model="open311.apikey", object_id=setup.key.pk, action="deactivate"
    ).exists()
    r = post(client, setup)
    assert r.status_code == 403 and errors_of(r)[0]["description"] == "api_key not valid or revoked"
    with pytest.raises(PermissionDenied):
        actions.issue_key(actor=setup.dispatcher, name="x")


def test_key_command_prints_the_key_last(setup):
    out = io.StringIO()
    call_command(
        "open311-key",
        "create",
        "命令行客户端",
        "--contact",
        "it@example.org",
        "--rate-limit",
        "100",
        stdout=out,
    )
    secret = out.getvalue().strip().splitlines()[-1]
    key = actions.find_key(secret)
    assert key is not None and key.name == "命令行客户端" and key.rate_limit == 100
    out = io.StringIO()
    call_command("open311-key", "list", stdout=out)
    assert "命令行客户端" in out.getvalue() and secret not in out.getvalue()
    call_command("open311-key", "revoke", str(key.pk), stdout=io.StringIO())
    assert actions.find_key(secret) is None


def test_follow_a_request_to_closed_with_updates(client, setup):
    t0 = timezone.now() - dt.timedelta(minutes=1)
    code = post(client, setup).json()[0]["service_request_id"]
    a = Appeal.objects.get(code=code)
    appeal_actions.classify(a, actor=setup.dispatcher, grid=setup.grid1)
    appeal_actions.dispatch(a, actor=setup.dispatcher, lead_unit=setup.street1)
    appeal_actions.claim(a, actor=setup.s1_handler)
    appeal_actions.resolve(a, actor=setup.s1_handler, outcome_kind="on_spot", outcome="已更换灯具")
    appeal_actions.reply(a, actor=setup.s1_handler, text="您好，路灯已修好，感谢您的反映。")
    [row] = get(client, f"requests/{code}").json()
    assert row["status"] == "open" and row["agency_responsible"] == "东街道"
    appeal_actions.record_follow_up(
        a, actor=setup.callback, contacted=True, solved=True, satisfaction=Satisfaction.SATISFIED
    )
    appeal_actions.close(a, actor=setup.dispatcher)
    [row] = get(client, f"requests/{code}").json()
    assert row["status"] == "closed" and row["status_notes"].startswith("已办结")
    assert row["expected_datetime"] is None
    ups = get(
        client, "servicerequestupdates", api_key=setup.secret, start_date=t0.isoformat()
    ).json()
    assert [u["status"] for u in ups][-1] == "closed"
    assert ups[0]["description"].startswith("已受理") and ups[0]["status"] == "open"
    assert any("路灯已修好" in u["description"] for u in ups)
    assert all(
        u["service_request_id"] == code and u["updated_datetime"].endswith("+08:00") for u in ups
    )
    assert len({u["update_id"] for u in ups}) == len(ups)
    root = xml(
        get(client, "servicerequestupdates", "xml", api_key=setup.secret, start_date=t0.isoformat())
    )
    assert root.tag == "service_requests_updates"
    assert {c.tag for c in root.find("request_update")} >= {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
    }
    # another client sees none of them; no key: 403
    _k, other = actions.issue_key(actor=setup.admin, name="另一个客户端")
    assert (
        get(client, "servicerequestupdates", api_key=other, start_date=t0.isoformat()).json() == []
    )
    r = get(client, "servicerequestupdates", "xml")
    assert r.status_code == 403 and errors_of(r, "xml")[0]["description"] == "api_key missing"


def test_demo_part_issues_the_printed_key(org, client):
    from minhu.demo.parts import part_logins, pending_parts
    from minhu.open311 import demo

    assert "open311" in [p.code for p in pending_parts()]
    line = demo.build(seed=0, now=timezone.now(), out=print)
    assert "客户端密钥 1 个" in line and demo.is_built()
    assert "open311" not in [p.code for p in pending_parts()]
    [row] = [r for r in part_logins() if r[0] == "(Open311 api_key)"]
    key = row[1]
    assert actions.find_key(key) is not None
    assert get(client, "services/streetlight").json()["attributes"][0]["code"] == "pole"
    posted = Open311Request.objects.get()
    assert posted.appeal.attributes == {"pole": "DJ-0231", "lamp": "dark"}
    assert get(client, "servicerequestupdates", api_key=key).json()[0]["service_request_id"] == (
        posted.appeal.code
    )


def test_requests_list_query_count_does_not_grow(client, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post(client, setup)
    with CaptureQueriesContext(connection) as one:
        assert len(get(client, "requests").json()) == 1
    for _ in range(4):
        post(client, setup)
    with CaptureQueriesContext(connection) as five:
        assert len(get(client, "requests").json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries) <= 5


def test_requests_are_paged_and_show_the_newest_public_event(client, setup, settings):
    settings.MINHU_OPEN311_PAGE_SIZE = 2
    codes = [post(client, setup).json()[0]["service_request_id"] for _ in range(3)]
    newest_first = codes[::-1]
    first = Appeal.objects.get(code=codes[0])
    appeal_actions.dispatch(first, actor=setup.dispatcher, lead_unit=setup.street1)
    appeal_actions.add_note(first, actor=setup.district_leader, text="内部备注：不公开")
    for fmt in ("json", "xml"):
        page1 = get(client, "requests", fmt)
        if fmt == "json":
            rows = page1.json()
        else:
            rows = [{c.tag: c.text for c in r} for r in xml(page1).findall("request")]
        assert [r["service_request_id"] for r in rows] == newest_first[:2]
    assert [r["service_request_id"] for r in get(client, "requests", page="2").json()] == [codes[0]]
    assert get(client, "requests", page="3").json() == []
    rows = get(client, "requests", page_size="3").json()
    assert [r["service_request_id"] for r in rows] == newest_first
    notes = {r["service_request_id"]: r["status_notes"] for r in rows}
    # the newest public event, not the internal note written after it
    assert notes[codes[0]].startswith("已交办：交由") and "内部" not in notes[codes[0]]
    assert notes[codes[1]] == "已受理：您反映的问题已登记"
    for bad in ({"page_size": "0"}, {"page_size": "1001"}, {"page_size": "x"}, {"page": "0"}):
        for fmt in ("json", "xml"):
            r = get(client, "requests", fmt, **bad)
            assert r.status_code == 400, bad
            assert next(iter(bad)) in errors_of(r, fmt)[0]["description"]
