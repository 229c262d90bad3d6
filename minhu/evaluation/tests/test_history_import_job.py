"""Large historical work-order imports run as a background job (issue 14 item 9, issue 17 item
3): the upload is stored, checked and written by `evaluation.jobs.run_history_import`, and the
page that started it shows the progress until the report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minhu.appeals.models import Appeal
from minhu.core.errors import InvalidInput, PermissionDenied
from minhu.evaluation import importer
from minhu.evaluation.models import HistoryImport, HistoryImportStatus, ImportedWorkOrder

from .test_ledgers_import import _csv, _row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_inline_limit(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(importer, "INLINE_BYTES", 64)  # every test file goes to the job
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(content: bytes, name: str = "history.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_large_file_is_imported_in_the_background_with_progress(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.dispatcher)
    rows = [_row(f"J-{i}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        r = client.post("/evaluation/import/", {"file": upload(_csv(rows))})
    imp = HistoryImport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/evaluation/import/{imp.pk}/"
    assert (imp.status, imp.created_by, imp.file_name) == ("pending", org.dispatcher, "history.csv")
    assert not Appeal.objects.exists()  # nothing written in the request
    page = client.get(r["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page  # the page polls itself
    for callback in queued:  # the job (inline backend: after the answer)
        callback()
    imp.refresh_from_db()
    assert imp.status == HistoryImportStatus.DONE and imp.batch.rows == 5
    assert imp.total_rows == imp.checked_rows == 5 and importer.percent(imp) == 100
    assert ImportedWorkOrder.objects.filter(batch=imp.batch).count() == 5
    assert Appeal.objects.filter(status="closed").count() == 5
    fragment = client.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已导入 5 条历史工单" in fragment and "hx-trigger" not in fragment  # stops polling
    assert "<html" not in fragment


def test_a_bad_file_is_rejected_with_every_row_and_nothing_is_written(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.dispatcher)
    rows = [_row("B-1"), _row("B-2", 受理时间=""), _row("B-1")]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/evaluation/import/", {"file": upload(_csv(rows))})
    imp = HistoryImport.objects.get()
    assert imp.status == HistoryImportStatus.REJECTED and imp.error_count == 2
    assert {e["row"] for e in imp.errors} == {3, 4}
    assert not Appeal.objects.exists() and imp.batch is None
    page = client.get(r["Location"]).content.decode()
    assert "发现 2 处错误（共 3 行），文件未导入" in page and "与第2行工单编号重复" in page


def test_progress_while_checking_and_writing(org, monkeypatch):
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 2)
    content = _csv([_row(f"P-{i}") for i in range(7)])
    checked = []
    parsed = importer.parse(content, "p.csv", progress=lambda d, t: checked.append((d, t)))
    assert checked == [(2, 7), (4, 7), (6, 7)] and not parsed.errors
    written = []
    importer._write(parsed, content, "p.csv", org.dispatcher, written.append)
    assert written == [7]  # after each chunk of 2,000 rows
    # The page's percentage: checking counts to 50 %, writing from 50 to 99 %.
    imp = HistoryImport(pk=10**9, status="checking", total_rows=10, checked_rows=4)
    assert importer.percent(imp) == 20
    imp.status = "writing"
    importer.cache.set(importer._written_key(imp.pk), 5, 60)
    assert importer.percent(imp) == 75 and importer.written_rows(imp) == 5
    importer.cache.delete(importer._written_key(imp.pk))


def test_rerunning_a_finished_import_writes_nothing_twice(org):
    imp = importer.start_import(actor=org.dispatcher, upload=upload(_csv([_row("R-1")])))
    assert importer.run_import(imp.pk).status == "done"
    assert importer.run_import(imp.pk).status == "done"
    assert Appeal.objects.count() == 1


def test_only_the_centre_and_admins_start_or_see_imports(client, org):
    imp = importer.start_import(actor=org.admin, upload=upload(_csv([_row("S-1")])))
    with pytest.raises(PermissionDenied):
        importer.start_import(actor=org.s1_handler, upload=upload(_csv([_row("S-2")])))
    with pytest.raises(InvalidInput) as e:
        importer.start_import(actor=org.admin, upload=upload(b"x" * 100, name="evil.html"))
    assert e.value.code == "unsupported_file"
    client.force_login(org.s1_handler)
    assert client.get(f"/evaluation/import/{imp.pk}/").status_code == 404
    client.force_login(org.dispatcher)
    assert client.get(f"/evaluation/import/{imp.pk}/").status_code == 200
    assert client.get("/evaluation/import/99999999/").status_code == 404
    assert imp.file.name.startswith("evaluation/imports/upload")  # a generated name


def test_the_api_answers_202_and_reports_progress(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/evaluation/imports/", {"file": upload(_csv([_row("A-1")]))})
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "pending" and body["finished"] is False
    status = client.get(f"/api/v1/evaluation/imports/{body['id']}/").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["batch"]
    assert status["total_rows"] == 1 and status["errors"] == []
    client.force_login(org.s1_handler)
    r = client.get(f"/api/v1/evaluation/imports/{body['id']}/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_that_started_the_import_shows_it_through_to_the_end(org, desk_page, tmp_path):
    import re

    from minhu.orgs.testing import PASSWORD

    path = tmp_path / "history.csv"
    path.write_bytes(_csv([_row(f"W-{i}") for i in range(30)]))
    page = desk_page
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", "dispatcher")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))
    page.goto(page.base + "/evaluation/import/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="校验并导入").click()
    page.wait_for_url(re.compile(r"/evaluation/import/\d+/$"))
    page.get_by_text("已导入 30 条历史工单").wait_for()
    assert page.locator("#import-status").get_attribute("data-status") == "done"
    assert page.locator("#import-status progress").get_attribute("value") == "100"
    assert ImportedWorkOrder.objects.count() == 30
