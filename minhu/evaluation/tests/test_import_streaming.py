"""Issue 14 item 9: the import checks its row cap while streaming the file (a zip bomb of a
million rows is refused after reading one row over the cap, not after reading them all)."""

import io

import pytest

from minhu.core.xlsx import Workbook
from minhu.evaluation import importer


def _xlsx(rows: int) -> bytes:
    wb = Workbook()
    sheet = wb.sheet("工单")
    sheet.append(importer.template_headers())
    for i in range(rows):
        sheet.append([f"W{i:06d}", "路灯不亮"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(rows: int) -> bytes:
    lines = [",".join(importer.template_headers())] + [f"W{i:06d},路灯不亮" for i in range(rows)]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("name, make", [("a.xlsx", _xlsx), ("a.csv", _csv)])
def test_reading_stops_one_row_over_the_cap(monkeypatch, name, make):
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    headers, rows = importer.read_table(make(200), name)
    assert headers[:2] == importer.template_headers()[:2]
    assert len(rows) == 6 and rows[-1][0] == 7  # rows 2..7 of the file, then it stopped


@pytest.mark.django_db
def test_the_capped_file_is_refused_with_the_batch_message(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    parsed = importer.parse(_xlsx(200), "a.xlsx")
    assert not parsed.rows and "一次最多导入5行" in parsed.errors[0].message


def test_very_wide_rows_are_cut(monkeypatch):
    wide = ",".join(importer.template_headers() + ["x"] * 5000)
    headers, rows = importer.read_table(f"{wide}\nW1,路灯,{'y,' * 5000}".encode(), "a.csv")
    assert len(headers) == importer.MAX_COLUMNS and len(rows[0][1]) == importer.MAX_COLUMNS
