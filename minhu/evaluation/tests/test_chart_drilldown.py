"""Issue 15 desk feature 9: every chart of the dashboard drills down. The page's chart data
carries the key behind each slice and bar (channels, streets, hot categories); following each
opens exactly as many appeals as the chart counts."""

from __future__ import annotations

import json
import re

import pytest

from .test_views_api import seed

pytestmark = pytest.mark.django_db


def chart_data(client) -> dict:
    html = client.get("/evaluation/?period=2025-03").content.decode()
    found = re.search(r'<script id="ev-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)), html


def count(client, dim: str, key) -> int:
    r = client.get(f"/evaluation/appeals/?period=2025-03&unit=&dim={dim}&key={key or ''}")
    return r.context["page"].paginator.count


def test_each_slice_bar_and_hot_category_opens_its_appeals(client, org):
    seed(org)
    client.force_login(org.district_leader)
    data, html = chart_data(client)
    keys = data["keys"]
    assert len(keys["channel"]) == len(data["by_channel"]) >= 1
    for (_label, n), key in zip(data["by_channel"], keys["channel"], strict=True):
        assert count(client, "channel", key) == n
    assert len(keys["street"]) == len(data["by_street"]) == 2
    for (_label, n), key in zip(data["by_street"], keys["street"], strict=True):
        assert count(client, "street", key) == n
    links = re.findall(r'dim=category&(?:amp;)?key=([^"]*)" data-drill="category">(\d+)</a>', html)
    assert links and len(links) == len(data["by_category"])
    for key, n in links:
        assert count(client, "category", key) == int(n)
