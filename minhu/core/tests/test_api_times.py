"""Every time the API returns is in the server's time zone, Asia/Shanghai (+08:00).

One test walks every GET endpoint under /api/v1/ on a small demo district (appeals in every
state, published rankings, 约谈, red/black nominations, supervisions), follows each list to one
of its detail endpoints, and checks every ISO 8601 date-time in every JSON body."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver

from minhu.appeals.models import Appeal
from minhu.appeals.tests.factories import client_for
from minhu.demo.builder import build_demo
from minhu.orgs.models import User

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def _walk(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield (prefix + str(p.pattern)).lstrip("^").replace("$", ""), p.callback


def _allows_get(callback) -> bool:
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return "get" in actions
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return cls is not None and hasattr(cls, "get")


def _times(body, path=""):
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _times(v, f"{path}.{k}")
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from _times(v, f"{path}[{i}]")
    elif isinstance(body, str) and DATETIME.match(body):
        yield path, body


def _first_id(body):
    rows = body.get("results", body) if isinstance(body, dict) else body
    if isinstance(rows, dict):
        for key in ("rows", "items", "snapshots", "supervisions", "interviews", "nominations"):
            if isinstance(rows.get(key), list):
                rows = rows[key]
                break
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0].get("id")
    return None


def test_every_api_time_is_in_china_time(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_demo(seed=0, appeals=60)
    admin = User.objects.create_superuser("tz-admin", password="x")
    client = client_for(admin)
    appeal = Appeal.objects.exclude(status="new").exclude(appellant_phone="").first()

    listed: dict[str, object] = {}
    checked: dict[str, int] = {}
    bad: list[str] = []

    def check(url, params=None):
        r = client.get(url, params or {})
        if r.status_code != 200 or "json" not in r.get("Content-Type", ""):
            return None
        body = r.json()
        found = list(_times(body))
        checked[url] = len(found)
        bad.extend(f"{url}{p} = {v}" for p, v in found if not v.endswith("+08:00"))
        return body

    patterns = [(path, cb) for path, cb in _walk(get_resolver("minhu.api_urls")) if _allows_get(cb)]
    # Lists first (their ids feed the detail endpoints).
    for path, _cb in patterns:
        if not GROUP.search(path):
            listed[path] = check("/api/v1/" + path)
    for path, _cb in patterns:
        names = [a or b for a, b in GROUP.findall(path)]
        if not names:
            continue
        values = {}
        for name in names:
            if name in ("appeal_id",) or (name == "pk" and path.startswith("appeals/")):
                values[name] = appeal.pk
            elif name == "code":
                values[name] = appeal.code
            elif name == "pk":
                parent = GROUP.split(path)[0]
                body = listed.get(parent)
                values[name] = _first_id(body) if body is not None else None
        if None in values.values() or set(values) != set(names):
            continue
        url = "/api/v1/" + GROUP.sub(
            lambda m, values=values: str(values[m.group(1) or m.group(2)]), path
        )
        check(url, {"phone": appeal.appellant_phone} if "public/" in path else None)

    assert not bad, "times not in +08:00:\n" + "\n".join(bad)
    # The walk did reach the endpoints this was found on, and saw many times.
    for url in (
        "/api/v1/evaluation/supervisions/",
        "/api/v1/evaluation/snapshots/",
        "/api/v1/evaluation/interviews/",
        "/api/v1/appeals/",
        f"/api/v1/appeals/{appeal.pk}/",
        f"/api/v1/appeals/{appeal.pk}/timeline/",
    ):
        assert checked.get(url), (url, sorted(checked))
    assert sum(checked.values()) > 200
