"""Desk feature 7: sorting on any column (the export keeps the order) and saved views."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from minhu.web.models import SavedView

from .test_exports import codes, export, sheet_rows

pytestmark = pytest.mark.django_db


def listed(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'class="mono">(\w+)</a>', html)))


def test_every_column_of_the_search_sorts_both_ways(login, org, loop, make_appeal):
    b = make_appeal("B路灯不亮")
    a = make_appeal("A井盖缺失", grid=org.grid2)
    c = loop.dispatched(make_appeal("C噪音扰民"), lead=org.dept1)
    client = login(org.dispatcher)
    url = reverse("web:appeals")
    by_subject = sorted([a, b, c], key=lambda x: x.subject)
    assert listed(client.get(url + "?sort=subject").content.decode()) == [
        x.code for x in by_subject
    ]
    assert listed(client.get(url + "?sort=-subject").content.decode()) == [
        x.code for x in reversed(by_subject)
    ]
    # a column with empty values: those come last both ways
    html = client.get(url + "?sort=lead_unit").content.decode()
    assert listed(html)[0] == c.code
    html = client.get(url + "?sort=-lead_unit").content.decode()
    assert listed(html)[0] == c.code
    for key in ("code", "status", "channel", "category", "street", "created_at", "due"):
        assert client.get(url + f"?sort={key}").status_code == 200
        assert client.get(url + f"?sort=-{key}").status_code == 200
    # the header links: the current column shows its direction and toggles it
    html = client.get(url + "?sort=subject").content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-subject" in html
    # an unknown column falls back to the default order (newest first)
    assert listed(client.get(url + "?sort=password").content.decode())[0] == c.code
    # the export keeps the order
    assert codes(sheet_rows(export(client, "appeals", "sort=-subject"))) == [
        x.code for x in reversed(by_subject)
    ]


def test_queues_sort_too(login, org, loop, make_appeal):
    x = loop.dispatched(make_appeal("B待签收"))
    y = loop.dispatched(make_appeal("A待签收"))
    html = login(org.s1_handler).get(reverse("web:workbench") + "?tab=claim&sort=subject")
    assert listed(html.content.decode()) == [x.code, y.code][:: 1 if x.subject < y.subject else -1]
    html = login(org.dispatcher).get(reverse("web:dispatch") + "?tab=dispatched&sort=-code")
    assert listed(html.content.decode())[:2] == sorted([x.code, y.code], reverse=True)


def test_save_open_replace_and_delete_a_view(login, org, make_appeal):
    make_appeal()
    client = login(org.dispatcher)
    save = reverse("web:view_save")
    response = client.post(
        save,
        {"list": "appeals", "name": "路灯超时", "params": "q=路灯&due=overdue&page=3&unit="},
    )
    view = SavedView.objects.get()
    assert view.user == org.dispatcher and view.params == "q=%E8%B7%AF%E7%81%AF&due=overdue"
    assert response["Location"] == reverse("web:appeals") + "?" + view.params
    html = client.get(response["Location"]).content.decode()
    assert 'data-view="路灯超时"' in html and 'class="view-chip on"' in html
    # the same name replaces; another user never sees it
    client.post(save, {"list": "appeals", "name": "路灯超时", "params": "q=路灯"})
    assert SavedView.objects.get().params == "q=%E8%B7%AF%E7%81%AF"
    other = login(org.callback).get(reverse("web:appeals")).content.decode()
    assert 'data-view="路灯超时"' not in other
    assert login(org.callback).post(reverse("web:view_delete", args=[view.pk])).status_code == 404
    client = login(org.dispatcher)
    client.post(reverse("web:view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_views_are_checked(login, org):
    save = reverse("web:view_save")
    client = login(org.grid1_worker)
    html = client.post(save, {"list": "dispatch", "name": "x"}, follow=True).content.decode()
    assert "您无权导出该列表" in html or "您无权" in html
    html = client.post(save, {"list": "appeals", "name": " "}, follow=True).content.decode()
    assert "请填写视图名称" in html
    assert not SavedView.objects.exists()
