#!/usr/bin/env python3
"""Act as an existing Open311 client against a running Minhu (e.g. `make run` on the demo):
the PyPI client `georeport` lists the services, reads a definition and follows the request;
`requests` posts it (the library has no POST). With `--drive` the demo's staff then take the
request through the loop over the staff REST API (dispatch, claim, resolve, reply, follow-up,
close) while the client polls the request and FixMyStreet's updates until it is closed.

    .venv/bin/python scripts/open311_client.py --base http://127.0.0.1:8000 \\
        --key minhu-demo-open311-key-2026 --drive
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import requests
from georeport import GeoReport

PASSWORD = "minhu2026"


def sample(attr: dict) -> object:
    """A value for one attribute of a service definition."""
    values = attr.get("values") or []
    if attr["datatype"] == "singlevaluelist":
        return values[0]["key"]
    if attr["datatype"] == "multivaluelist":
        return [v["key"] for v in values[:2]]
    if attr["datatype"] == "number":
        return "2"
    if attr["datatype"] == "datetime":
        return dt.date.today().isoformat()
    return "DJ-0231"


class Staff:
    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/api/v1"
        self.tokens: dict[str, str] = {}

    def call(self, user: str, method: str, path: str, **body) -> dict:
        if user not in self.tokens:
            r = requests.post(
                f"{self.base}/auth/token/", json={"username": user, "password": PASSWORD}
            )
            r.raise_for_status()
            self.tokens[user] = r.json()["token"]
        r = requests.request(
            method,
            self.base + path,
            json=body or None,
            headers={"Authorization": f"Token {self.tokens[user]}"},
        )
        if r.status_code >= 400:
            raise SystemExit(f"{user} {method} {path}: {r.status_code} {r.text[:300]}")
        return r.json()


def drive(staff: Staff, code: str, say) -> None:
    found = staff.call("dispatcher", "GET", f"/appeals/?q={code}")["results"]
    appeal = found[0]
    pk = appeal["id"]
    say(f"staff: {code} is appeal {pk}, status {appeal['status']}")
    if appeal["status"] in ("new", "returned"):
        units = staff.call("dispatcher", "GET", "/units/?q=chengguan")["results"]
        staff.call("dispatcher", "POST", f"/appeals/{pk}/dispatch/", lead_unit=units[0]["id"])
        say(f"staff: dispatcher dispatched it to {units[0]['name']}")
    appeal = staff.call("dispatcher", "GET", f"/appeals/{pk}/")
    lead = appeal["lead_unit"]
    unit = staff.call("dispatcher", "GET", f"/units/{lead['id']}/")
    handler = f"{unit['code']}-handler"
    if appeal["status"] == "dispatched":
        staff.call(handler, "POST", f"/appeals/{pk}/claim/")
        say(f"staff: {handler} claimed it")
    staff.call(
        handler,
        "POST",
        f"/appeals/{pk}/resolve/",
        outcome_kind="on_spot",
        outcome="已更换灯具，路灯恢复照明",
    )
    staff.call(
        handler,
        "POST",
        f"/appeals/{pk}/reply/",
        text="您好，北门外的路灯已更换灯具恢复照明，感谢您的反映。",
    )
    say(f"staff: {handler} resolved and replied")
    staff.call(
        "callback",
        "POST",
        f"/appeals/{pk}/follow-up/",
        contacted=True,
        solved=True,
        satisfaction="satisfied",
    )
    staff.call("dispatcher", "POST", f"/appeals/{pk}/close/")
    say("staff: follow-up recorded, closed by the dispatcher")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--key", required=True)
    ap.add_argument("--service", default="streetlight")
    ap.add_argument("--drive", action="store_true", help="take the request to closed as staff")
    args = ap.parse_args()
    say = print
    root = args.base.rstrip("/") + "/open311/v2"
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)

    for fmt in ("json", "xml"):
        client = GeoReport(root, api_key=args.key, output_format=fmt)
        services = client.get_service_list()
        chosen = next(s for s in services if s["service_code"] == args.service)
        say(
            f"[{fmt}] {len(services)} services; {args.service}: {chosen['service_name']}, "
            f"metadata={chosen['metadata']}"
        )
        definition = client.get_service_definition(args.service)
        attrs = definition["attributes"]
        if fmt == "xml":
            attrs = attrs["attribute"]
            attrs = attrs if isinstance(attrs, list) else [attrs]
        say(
            f"[{fmt}] definition: "
            + ", ".join(
                f"{a['code']} ({a['datatype']}{', required' if a['required'] in (True, 'true') else ''})"
                for a in attrs
            )
        )

    client = GeoReport(root, api_key=args.key)
    attrs = client.get_service_definition(args.service)["attributes"]
    form = {
        "api_key": args.key,
        "service_code": args.service,
        "lat": "39.9087",
        "long": "116.3975",
        "address_string": "幸福路北门外",
        "description": "小区北门外的路灯连续三晚不亮，夜里出行不便",
        "email": "resident@example.org",
        "phone": "13800138000",
        "first_name": "小明",
        "last_name": "王",
    }
    for a in attrs:
        value = sample(a)
        key = f"attribute[{a['code']}]" + ("[]" if isinstance(value, list) else "")
        form[key] = value
    r = requests.post(f"{root}/requests.json", data=form)
    say(f"POST requests.json -> {r.status_code} {r.text}")
    if r.status_code != 201:
        return 1
    code = r.json()[0]["service_request_id"]
    token = r.json()[0]["token"]
    t = requests.get(f"{root}/tokens/{token}.json").json()
    say(f"token {token[:8]}… -> {t[0]['service_request_id']}")
    req = client.get_service_request(code)
    say(f"request {code}: {req['status']} | {req['status_notes']} | {req['agency_responsible']}")
    if args.drive:
        drive(Staff(args.base), code, say)
    req = client.get_service_request(code)
    xml_req = GeoReport(root, output_format="xml").get_service_request(code)
    say(
        f"request {code}: {req['status']} | {req['status_notes']} | {req['agency_responsible']}"
        f" (xml: {xml_req['status']})"
    )
    ups = requests.get(
        f"{root}/servicerequestupdates.json",
        params={"api_key": args.key, "start_date": started.isoformat()},
    ).json()
    for u in ups:
        if u["service_request_id"] == code:
            say(
                f"  update {u['update_id']} {u['updated_datetime']} {u['status']}: "
                f"{u['description']}"
            )
    listed = client.get_service_requests(service_code=args.service, status="closed")
    say(
        f"GET requests.json?service_code={args.service}&status=closed: {len(listed)} requests, "
        f"ours {'in' if any(x['service_request_id'] == code for x in listed) else 'NOT in'} it"
    )
    return 0 if (not args.drive or req["status"] == "closed") else 1


if __name__ == "__main__":
    sys.exit(main())
