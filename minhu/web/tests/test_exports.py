"""Desk feature 1: every filtered list exports to xlsx with the page's filters, masked by role,
large ones in the background with progress."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from minhu.web import exports
from minhu.web.models import ExportStatus, ListExport

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def export(client, list_name: str, params: str = "", **extra):
    return client.post(
        reverse("web:export_start"),
        {"list": list_name, "params": params, "next": "/appeals/"},
        **extra,
    )


def sheet_rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][1] == "工单编号"
    return rows[2:]


def codes(rows) -> list[str]:
    return [r[1] for r in rows]


def page_codes(client, url: str) -> list[str]:
    import re

    html = client.get(url).content.decode()
    found = re.findall(r'class="mono">(\w+)</a>', html)
    return list(dict.fromkeys(found))


def test_search_export_has_the_pages_rows_in_its_order(login, org, loop, make_appeal):
    lamps = [make_appeal(f"路灯不亮第{i}处") for i in range(3)]
    loop.dispatched(lamps[0])
    make_appeal("井盖丢失", detail="人行道上的井盖不见了。")
    client = login(org.dispatcher)
    params = "q=路灯&sort=created_at"
    response = export(client, "appeals", params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = sheet_rows(response)
    assert codes(rows) == [a.code for a in lamps]
    assert codes(rows) == page_codes(client, reverse("web:appeals") + "?" + params)
    # the dispatcher's role sees the phone
    assert rows[0][5] == PHONE and rows[0][4] == "张三"
    assert rows[0][13] == "待签收" and rows[1][13] == "待派单"
    saved = ListExport.objects.get()
    assert saved.created_by == org.dispatcher and saved.status == ExportStatus.DONE
    assert saved.total_rows == 3 and saved.params == params


def test_export_masks_personal_data_by_role(login, org, loop, make_appeal):
    led = loop.in_progress(make_appeal("东街道主办的"))
    other = loop.dispatched(make_appeal("城管局主办的"), lead=org.dept1)
    # a grid worker sees the appeals of their grid, never a phone
    rows = sheet_rows(export(login(org.grid1_worker), "appeals"))
    assert {r[5] for r in rows} == {"138****5678"}
    assert {r[4] for r in rows} == {"张*"}
    # a street handler sees the phone of what their street leads only
    rows = {r[1]: r for r in sheet_rows(export(login(org.s1_handler), "appeals"))}
    assert rows[led.code][5] == PHONE
    assert rows[other.code][5] == "138****5678"


def test_formulas_are_written_as_text(login, org, make_appeal):
    make_appeal('=HYPERLINK("http://evil","路灯")')
    rows = sheet_rows(export(login(org.dispatcher), "appeals"))
    assert rows[0][6] == '=HYPERLINK("http://evil","路灯")'


def test_workbench_tab_export_is_the_units_own(login, org, loop, make_appeal):
    mine = loop.dispatched(make_appeal("待签收甲"))
    loop.dispatched(make_appeal("西街道的", grid=org.grid2), lead=org.street2)
    loop.in_progress(make_appeal("办理中的"))
    client = login(org.s1_handler)
    rows = sheet_rows(export(client, "workbench", "tab=claim"))
    assert codes(rows) == [mine.code]
    assert ListExport.objects.get().title == "东街道·待签收"
    assert codes(rows) == page_codes(client, reverse("web:workbench") + "?tab=claim")


def test_dispatch_and_follow_up_exports(login, org, loop, make_appeal):
    fresh = make_appeal("新来的")
    replied = loop.replied(make_appeal("已答复的"))
    rows = sheet_rows(export(login(org.dispatcher), "dispatch", "tab=new"))
    assert codes(rows) == [fresh.code]
    rows = sheet_rows(export(login(org.callback), "follow_up", "tab=pending"))
    assert codes(rows) == [replied.code]


def test_who_may_not_open_a_list_may_not_export_it(login, org, make_appeal):
    make_appeal()
    client = login(org.grid1_worker)
    response = export(client, "dispatch", "tab=new", follow=True)
    assert "您无权导出该列表" in response.content.decode()
    response = export(client, "nonsense", follow=True)
    assert "不能导出该列表" in response.content.decode()
    assert not ListExport.objects.exists()


def test_bad_filters_refuse_instead_of_exporting_everything(login, org, make_appeal):
    make_appeal()
    client = login(org.dispatcher)
    response = export(client, "appeals", "date_from=2026-05-02&date_to=2026-05-01", follow=True)
    assert "筛选条件有误" in response.content.decode()
    assert not ListExport.objects.exists()


def test_large_export_runs_in_the_background_with_progress(
    login, org, make_appeal, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "INLINE_ROWS", 2)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    seen = []
    real = exports.write

    def watched(title, appeals, out, progress=None):
        def spy(n):
            progress(n)
            seen.append(ListExport.objects.get().done_rows)

        return real(title, appeals, out, spy)

    monkeypatch.setattr(exports, "write", watched)
    made = [make_appeal() for _ in range(4)]
    client = login(org.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, "appeals", "sort=created_at")
    saved = ListExport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:export", args=[saved.pk]
    )
    assert seen == [1, 2, 3, 4]  # progress on the row while it was written
    saved.refresh_from_db()
    assert saved.status == ExportStatus.DONE and saved.percent == 100 and saved.done_rows == 4
    page = client.get(response["Location"]).content.decode()
    assert "下载 xlsx" in page and 'data-status="done"' in page
    rows = sheet_rows(client.get(reverse("web:export_file", args=[saved.pk])))
    assert codes(rows) == [a.code for a in made]
    listing = client.get(reverse("web:exports")).content.decode()
    assert saved.title in listing
    # only its owner may see or download it
    other = login(org.callback)
    assert other.get(reverse("web:export", args=[saved.pk])).status_code == 404
    assert other.get(reverse("web:export_file", args=[saved.pk])).status_code == 404


def test_progress_fragment_polls_until_done(login, org):
    running = ListExport.objects.create(
        created_by=org.dispatcher,
        list_name="appeals",
        title="诉求查询",
        total_rows=1000,
        done_rows=250,
        status=ExportStatus.RUNNING,
    )
    client = login(org.dispatcher)
    html = client.get(
        reverse("web:export", args=[running.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in html and "250 / 1000" in html and 'value="25"' in html
    assert "下载 xlsx" not in html
