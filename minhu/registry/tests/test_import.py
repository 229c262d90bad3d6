"""xlsx import: good file, re-import changes nothing, a bad file imports nothing and lists every
error by sheet/row/column (200 bad rows), duplicates (ID number, room), scope, masked export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from minhu.core.xlsx import Workbook
from minhu.orgs.testing import PASSWORD
from minhu.registry import actions, importer, personal
from minhu.registry.models import (
    Building,
    Household,
    ImportStatus,
    RegistryChange,
    RegistryImport,
    Resident,
    Shop,
)
from minhu.registry.testing import make_household, make_resident, valid_id_number

pytestmark = pytest.mark.django_db


def workbook(sheets: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    for title, rows in sheets.items():
        ws = wb.sheet(title)
        ws.append([h for h, _f, _r in importer.SHEETS[title]])
        for r in rows:
            ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def good_file(grid_code="s1c1g1", n=6) -> bytes:
    ids = [valid_id_number(100 + i) for i in range(n * 2)]
    return workbook(
        {
            "楼宇": [[grid_code, "幸福小区", "小区", "幸福路1号", "3号楼", 2, 6, "是"]],
            "住户": [
                [
                    grid_code,
                    "幸福小区",
                    "3号楼",
                    "1",
                    f"{101 + i}",
                    f"幸福小区3号楼1单元{101 + i}",
                    f"户主{i}",
                    "13900000000",
                    2,
                    "独居老人、低保" if i == 0 else "",
                ]
                for i in range(n)
            ]
            + [[grid_code, "", "", "", "", "西河村12号", "村民甲", "", 3, "退役军人"]],
            "居民": [
                [
                    grid_code,
                    "幸福小区",
                    "3号楼",
                    "1",
                    f"{101 + i // 2}",
                    f"幸福小区3号楼1单元{101 + i // 2}",
                    f"居民{i}",
                    "户主" if i % 2 == 0 else "配偶",
                    ids[i],
                    "",
                ]
                for i in range(n * 2)
            ],
            "商铺": [
                [
                    grid_code,
                    "便民超市",
                    "李老板",
                    "零售",
                    "13800000000",
                    "91370400MA3C",
                    "幸福路2号",
                ]
            ],
        }
    )


def run(org, content: bytes, user=None) -> RegistryImport:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        imp = actions.start_import(
            actor=user or org.grid1_worker, upload=SimpleUploadedFile("台账.xlsx", content)
        )
    imp.refresh_from_db()
    return imp


def test_good_file_imports_and_reimport_changes_nothing(org):
    content = good_file()
    imp = run(org, content)
    assert imp.status == ImportStatus.DONE, imp.errors
    assert Household.objects.count() == 7
    assert Resident.objects.count() == 12
    assert Building.objects.get().unmanaged is True
    assert Shop.objects.count() == 1
    hh = Household.objects.get(room="101")
    assert hh.tag_list == ["elderly_alone", "low_income"] and hh.estate.name == "幸福小区"
    r = Resident.objects.order_by("id").first()
    assert personal.decrypt_id(r.id_number_enc) == valid_id_number(100)
    assert imp.counts["created"]["household"] == 7
    changes = RegistryChange.objects.count()
    again = run(org, content)
    assert again.status == ImportStatus.DONE
    assert again.counts["created"] == dict.fromkeys(again.counts["created"], 0)
    assert again.counts["updated"] == dict.fromkeys(again.counts["updated"], 0)
    assert (
        again.counts["unchanged"]["household"] == 7 and again.counts["unchanged"]["resident"] == 12
    )
    assert RegistryChange.objects.count() == changes
    assert Household.objects.count() == 7 and Resident.objects.count() == 12


def test_changed_row_updates_only_that_row(org):
    run(org, good_file())
    content = good_file().replace(b"", b"")
    parsed_rows = load_workbook(io.BytesIO(content))
    ws = parsed_rows["住户"]
    ws.cell(row=2, column=7).value = "新户主"
    out = io.BytesIO()
    parsed_rows.save(out)
    imp = run(org, out.getvalue())
    assert imp.status == ImportStatus.DONE
    assert imp.counts["updated"]["household"] == 1
    assert Household.objects.filter(head_name="新户主").count() == 1
    log = RegistryChange.objects.filter(model="household", action="update").get()
    assert log.changes == {"head_name": ["户主0", "新户主"]} and log.source.startswith("import:")


def test_bad_file_imports_nothing_and_lists_every_error(org):
    rows = [["s1c1g1", "", "", "", "", f"地址{i}", f"户主{i}", "12ab", "x", ""] for i in range(200)]
    content = workbook(
        {
            "住户": rows + [["nogrid", "", "", "", "", "某地", "某人", "", "", "富豪"]],
            "居民": [["s1c1g1", "", "", "", "", "地址0", "张三", "户主", "110105194912310021", ""]],
        }
    )
    imp = run(org, content)
    assert imp.status == ImportStatus.REJECTED
    assert not Household.objects.exists() and not Resident.objects.exists()
    errors = {(e["sheet"], e["row"], e["column"]) for e in imp.errors}
    for i in range(200):
        assert ("住户", i + 2, "联系电话") in errors
        assert ("住户", i + 2, "家庭人数") in errors
    assert ("住户", 202, "网格编码") in errors and ("住户", 202, "标签") in errors
    assert ("居民", 2, "身份证号") in errors
    msgs = [e["message"] for e in imp.errors if e["sheet"] == "居民"]
    assert "身份证号校验位不正确" in msgs
    assert imp.error_count == len(imp.errors) == 403


def test_duplicates_are_reported(org):
    same = valid_id_number(55)
    content = workbook(
        {
            "住户": [
                ["s1c1g1", "A小区", "1号楼", "1", "101", "A小区1号楼101", "甲", "", 1, ""],
                ["s1c1g1", "A小区", "1号楼", "1", "101", "A小区1号楼101（重复）", "乙", "", 1, ""],
                ["s1c1g1", "A小区", "1号楼", "1", "102", "A小区1号楼102", "丙", "", 1, ""],
            ],
            "居民": [
                ["s1c1g1", "A小区", "1号楼", "1", "101", "", "甲", "户主", same, ""],
                ["s1c1g1", "A小区", "1号楼", "1", "102", "", "丙", "户主", same, ""],
            ],
        }
    )
    imp = run(org, content)
    assert imp.status == ImportStatus.REJECTED
    by_row = {(e["sheet"], e["row"]): e["message"] for e in imp.errors}
    assert "重复住户" in by_row[("住户", 3)]
    assert "重复" in by_row[("居民", 3)]
    # Same ID already registered in another household of the registry.
    hh = make_household(org.grid1)
    make_resident(hh, id_number=same)
    content = workbook(
        {
            "住户": [["s1c1g1", "", "", "", "", "B村1号", "丁", "", 1, ""]],
            "居民": [["s1c1g1", "", "", "", "", "B村1号", "丁", "户主", same, ""]],
        }
    )
    imp = run(org, content)
    assert imp.status == ImportStatus.REJECTED
    assert "已登记在其他住户" in imp.errors[0]["message"]


def test_import_outside_scope_and_not_xlsx(org):
    imp = run(org, good_file(grid_code="s2c1g1"))
    assert imp.status == ImportStatus.REJECTED
    assert imp.errors[0]["message"] == "网格编码不存在或不在您的管辖范围内"
    from minhu.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        actions.start_import(
            actor=org.grid1_worker, upload=SimpleUploadedFile("a.xlsx", b"not a zip")
        )
    with pytest.raises(InvalidInput):
        actions.start_import(actor=org.grid1_worker, upload=SimpleUploadedFile("a.csv", b"a,b"))


def test_pages_template_upload_progress_and_masked_export(
    client, org, django_capture_on_commit_callbacks
):
    assert client.login(username=org.grid1_worker.username, password=PASSWORD)
    r = client.get("/registry/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["楼宇", "住户", "居民", "商铺"]
    assert [c.value for c in wb["住户"][1]][:2] == ["网格编码*", "小区/村名称"]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/registry/imports/", {"file": SimpleUploadedFile("台账.xlsx", good_file())}
        )
    assert r.status_code == 302
    imp = RegistryImport.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert "已导入" in page and imp.status == ImportStatus.DONE
    frag = client.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in frag and "hx-trigger" not in frag
    r = client.get("/registry/export.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    residents = list(wb["居民"].iter_rows(min_row=2, values_only=True))
    assert len(residents) == 12
    assert all("*" in row[8] for row in residents)
    assert valid_id_number(100) not in str(residents)
    households = list(wb["住户"].iter_rows(min_row=2, values_only=True))
    assert "13900000000" not in str(households) and "139****0000" in str(households)
    # Another user's import is not found.
    client.logout()
    assert client.login(username=org.s2_handler.username, password=PASSWORD)
    assert client.get(f"/registry/imports/{imp.pk}/").status_code == 404


def test_a_file_of_too_many_rows_is_refused_while_streaming(org, monkeypatch):
    """Issue 14 (zip bombs): the row cap is checked while the rows are read."""
    from minhu.core.errors import InvalidInput

    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    read = []
    real = importer._text

    def counting(value):
        read.append(value)
        return real(value)

    monkeypatch.setattr(importer, "_text", counting)
    rows = [["s1c1g1", "", "", "", "", f"西河村{i}号", f"村民{i}", "", 1, ""] for i in range(50)]
    with pytest.raises(InvalidInput) as e:
        importer.read(workbook({"住户": rows}))
    assert e.value.code == "too_many_rows" and "一次最多导入5行" in e.value.message
    assert len(read) < 12 * 10  # the header and about 5 rows were read, not 50


def test_the_write_phase_reports_progress(org, client):
    """apply() reports rows written up to the file's total; the page shows 已写入 during the
    write phase, in the second half of the bar."""
    parsed = importer.read(good_file(n=6))
    assert not parsed.errors and parsed.total == 1 + 7 + 12 + 1
    calls = []
    importer.apply(
        parsed, actor=org.grid1_worker, source="test", progress=lambda d, t: calls.append((d, t))
    )
    assert calls and calls[-1] == (parsed.total, parsed.total)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)
    imp = RegistryImport.objects.create(
        created_by=org.grid1_worker,
        file_name="台账.xlsx",
        status=ImportStatus.WRITING,
        total_rows=200,
        checked_rows=100,
    )
    assert imp.percent == 74
    assert client.login(username=org.grid1_worker.username, password=PASSWORD)
    frag = client.get(f"/registry/imports/{imp.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "已写入 100 / 200 行" in frag and "hx-trigger" in frag
    imp.status = ImportStatus.CHECKING
    assert imp.percent == 25
