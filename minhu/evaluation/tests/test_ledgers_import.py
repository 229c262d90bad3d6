import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minhu.appeals.models import Appeal, AppealEvent, FollowUp
from minhu.core.errors import NotFound, PermissionDenied
from minhu.evaluation import aggregates, importer, ledgers, rates
from minhu.evaluation.config import active_config
from minhu.evaluation.models import ImportedWorkOrder
from minhu.evaluation.periods import Period

from .helpers import follow_up

pytestmark = pytest.mark.django_db


def _read(f):
    wb = openpyxl.load_workbook(f)
    ws = wb.active
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_unit_ledger_columns_read_back(org):
    fu = follow_up(org, org.street1)
    a = fu.appeal
    a.refresh_from_db()
    follow_up(org, org.dept1)  # another unit: not in street1's ledger
    req = ledgers.build(org.s1_leader, "unit", unit_id=org.street1.pk)
    ws, rows = _read(ledgers.render(req))
    assert "东街道问题台账" in rows[0][0]
    assert rows[1] == ledgers.HEADERS
    for needed in (
        "问题",
        "整改措施",
        "整改时限",
        "责任科室",
        "责任人",
        "状态",
        "办理结果",
        "满意度",
    ):
        assert needed in rows[1]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["G"].width == 50
    data = rows[2:]
    assert len(data) == 1
    row = dict(zip(rows[1], data[0], strict=True))
    assert row["工单编号"] == a.code and row["问题"] == "路灯不亮"
    assert row["主办单位"] == "东街道" and row["满意度"] == "满意"
    assert isinstance(row["受理时间"], dt.datetime)
    assert ws.cell(row=3, column=3).number_format == ledgers.DATETIME_FORMAT


def test_ledger_scoping_and_other_kinds(org):
    fu = follow_up(org, org.street1)
    with pytest.raises(NotFound):  # street2's handler cannot export street1's ledger
        ledgers.build(org.s2_handler, "unit", unit_id=org.street1.pk)
    # The handler's own ledger: appeals he claimed.
    _, rows = _read(ledgers.render(ledgers.build(org.s1_handler, "handler")))
    assert [r[1] for r in rows[2:]] == [fu.appeal.code]
    _, rows = _read(ledgers.render(ledgers.build(org.s2_handler, "handler")))
    assert rows[2:] == []
    _, rows = _read(
        ledgers.render(ledgers.build(org.dispatcher, "domain", category_id=org.top_category.pk))
    )
    assert len(rows[2:]) == 1
    _, rows = _read(ledgers.render(ledgers.build(org.dispatcher, "day")))
    assert len(rows[2:]) == 1


def test_ledger_download_view(client, org):
    follow_up(org, org.street1)
    client.force_login(org.s1_leader)
    r = client.get(f"/evaluation/ledgers/download/?kind=unit&unit={org.street1.pk}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws, rows = _read(io.BytesIO(b"".join(r.streaming_content)))
    assert len(rows) == 3
    r = client.get(f"/evaluation/ledgers/download/?kind=unit&unit={org.street2.pk}")
    assert r.status_code == 404


HEAD = [
    "工单编号",
    "受理时间",
    "渠道",
    "诉求人",
    "联系电话",
    "诉求标题",
    "诉求内容",
    "网格",
    "分类",
    "主办单位",
    "状态",
    "办结时间",
    "办理结果",
    "是否及时联系",
    "是否解决",
    "满意度",
]


def _row(no, **kw):
    base = {
        "工单编号": no,
        "受理时间": "2024-03-05 10:20",
        "渠道": "12345热线",
        "诉求人": "李女士",
        "联系电话": "13900000000",
        "诉求标题": "路灯不亮",
        "诉求内容": "小区东门路灯坏了一周",
        "网格": "s1c1g1",
        "分类": "城乡建设/路灯照明",
        "主办单位": "东街道",
        "状态": "已办结",
        "办结时间": "2024-03-07 16:00",
        "办理结果": "已更换灯具",
        "是否及时联系": "是",
        "是否解决": "是",
        "满意度": "满意",
    }
    base.update(kw)
    return [base[h] for h in HEAD]


def _csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEAD)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def test_bad_file_imports_nothing_and_explains_every_row(org):
    rows = [
        _row("A1"),
        _row("A2", 受理时间="2024-13-45"),
        _row("A1"),  # duplicate number
        _row("A4", 主办单位="不存在局", 满意度="很好"),
        _row("A5", 状态="办理中"),
        _row("A6", 办结时间="2024-03-01 09:00"),  # before receipt
    ]
    batch, result = importer.import_file(_csv(rows), "bad.csv", actor=org.dispatcher)
    assert batch is None
    got = {(e.row, e.column) for e in result.errors}
    assert (3, "受理时间") in got
    assert (4, "工单编号") in got
    assert (5, "主办单位") in got and (5, "满意度") in got
    assert (6, "状态") in got
    assert (7, "办结时间") in got
    assert not any(e.row == 2 for e in result.errors)  # the good row is fine ...
    assert Appeal.objects.count() == 0  # ... but nothing was imported
    assert ImportedWorkOrder.objects.count() == 0


def test_missing_columns_are_reported(org):
    buf = io.StringIO()
    csv.writer(buf).writerows([["工单编号", "受理时间"], ["X", "2024-03-05"]])
    _, result = importer.import_file(buf.getvalue().encode(), "x.csv", actor=org.dispatcher)
    assert result.errors[0].row == 1 and "缺少必填列" in result.errors[0].message


def test_good_xlsx_imports_with_honest_events_and_counts(org):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(_row("H-1"))
    ws.append(_row("H-2", 满意度="基本满意", 是否解决="否", 主办单位="dept1", 网格=""))
    ws.append(_row("H-3", 满意度=""))
    buf = io.BytesIO()
    wb.save(buf)
    batch, result = importer.import_file(buf.getvalue(), "history.xlsx", actor=org.dispatcher)
    assert result.errors == [] and batch.rows == 3
    a = ImportedWorkOrder.objects.get(external_no="H-1").appeal
    assert a.status == "closed" and a.street == org.street1 and a.grid == org.grid1
    kinds = list(a.events.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds[0] == "register" and kinds[-1] == "close" and "follow_up" in kinds
    assert all(e.data["imported"] and e.data["external_no"] == "H-1" for e in a.events.all())
    assert a.events.get(kind="register").created_at == a.created_at
    assert FollowUp.objects.count() == 2  # H-3 had no satisfaction answer
    f = rates.figures_for_units([org.dept1], Period("2024-03"), active_config())[org.dept1.pk]
    assert (f.valid, f.solved, f.basic) == (1, 0, 1)
    # Importing the same numbers again is refused row by row.
    batch2, result2 = importer.import_file(buf.getvalue(), "history.xlsx", actor=org.dispatcher)
    assert batch2 is None and {e.message for e in result2.errors} == {"该工单已导入过"}
    assert AppealEvent.objects.filter(data__imported=True).count() == AppealEvent.objects.count()


def test_import_refreshes_covered_aggregates(org, django_capture_on_commit_callbacks):
    aggregates.rebuild(start=dt.date(2024, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_file(_csv([_row("C-1")]), "c.csv", actor=org.dispatcher)
    assert aggregates.check().ok
    f = rates.figures_for_units([org.street1], Period("2024-03"), active_config())
    assert f[org.street1.pk].valid == 1


def test_import_permission_and_api(client, org):
    with pytest.raises(PermissionDenied):
        importer.import_file(_csv([_row("P-1")]), "p.csv", actor=org.s1_handler)
    client.force_login(org.dispatcher)
    bad = SimpleUploadedFile("b.csv", _csv([_row("P-1", 受理时间="")]), content_type="text/csv")
    r = client.post("/api/v1/evaluation/imports/", {"file": bad})
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "import_rejected"
    assert body["details"]["errors"][0] == {"row": 2, "column": "受理时间", "message": "必填"}
    good = SimpleUploadedFile("g.csv", _csv([_row("P-1")]), content_type="text/csv")
    r = client.post("/api/v1/evaluation/imports/", {"file": good})
    assert r.status_code == 201 and r.json()["rows"] == 1
