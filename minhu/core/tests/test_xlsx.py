"""Spreadsheet cells are written as text, never as formulas, by every xlsx writer."""

import ast
import io
from pathlib import Path

import openpyxl
import pytest

from minhu.appeals.models import Appeal
from minhu.core import xlsx
from minhu.evaluation import ledgers

MINHU = Path(__file__).resolve().parents[2]
HOSTILE = [
    '=HYPERLINK("http://evil.example/","路灯")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _load(f):
    f.seek(0)
    return openpyxl.load_workbook(io.BytesIO(f.read()))


@pytest.mark.parametrize("write_only", [True, False])
def test_helper_writes_hostile_text_as_text(write_only):
    wb = xlsx.Workbook(write_only=write_only)
    ws = wb.sheet("t")
    ws.append([*HOSTILE, "普通文字", 5, None])
    f = io.BytesIO()
    wb.save(f)
    cells = list(_load(f).active.iter_rows())[0]
    for cell, text in zip(cells, HOSTILE, strict=False):
        assert cell.data_type == "s", text
        assert cell.value == text.replace("\r", "\n")  # XML keeps no bare CR
        assert cell.quotePrefix, text
    assert cells[len(HOSTILE)].value == "普通文字" and not cells[len(HOSTILE)].quotePrefix
    assert cells[len(HOSTILE) + 1].value == 5 and cells[len(HOSTILE) + 1].data_type == "n"


@pytest.mark.django_db
def test_ledger_writes_resident_text_as_text(org):
    from minhu.evaluation.tests.helpers import follow_up

    fu = follow_up(org, org.street1)
    Appeal.objects.filter(pk=fu.appeal_id).update(
        appellant_name=HOSTILE[1],
        subject=HOSTILE[0],
        detail=HOSTILE[3],
        address=HOSTILE[2],
        outcome=HOSTILE[4],
    )
    req = ledgers.build(org.s1_leader, "unit", unit_id=org.street1.pk)
    ws = _load(ledgers.render(req)).active
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[1]]
    row = dict(zip(header, rows[2], strict=True))
    for column, text in [
        ("问题", HOSTILE[0]),
        ("诉求人", HOSTILE[1]),
        ("地址", HOSTILE[2]),
        ("问题描述", HOSTILE[3]),
        ("办理结果", HOSTILE[4]),
    ]:
        assert row[column].data_type == "s", column
        assert row[column].value == text
        assert row[column].quotePrefix
    assert not any(c.data_type == "f" for r in rows for c in r)


def test_import_template_has_no_formula():
    ws = _load(ledgers.import_template()).active
    assert ws.freeze_panes == "A2"
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def _sources():
    for path in sorted(MINHU.rglob("*.py")):
        rel = path.relative_to(MINHU)
        if "tests" in rel.parts or rel.name == "conftest.py" or rel == Path("core/xlsx.py"):
            continue
        yield rel, path.read_text()


def _offenders(rel, text) -> list[str]:
    """Writes of xlsx outside minhu/core/xlsx.py: any import of openpyxl other than
    `from openpyxl import load_workbook` (reading), other xlsx writers, pandas' to_excel."""
    found = []
    writers = {"openpyxl", "xlsxwriter", "pyexcelerate"}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
            if any(n.split(".")[0] in writers for n in names):
                found.append(f"{rel}:{node.lineno} import {', '.join(names)}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module.split(".")[0] in writers and (
                node.module != "openpyxl" or names != {"load_workbook"}
            ):
                found.append(f"{rel}:{node.lineno} from {node.module} import {sorted(names)}")
        elif isinstance(node, ast.Attribute) and node.attr == "to_excel":
            found.append(f"{rel}:{node.lineno} .to_excel")
    return found


def test_every_xlsx_writer_goes_through_the_helper():
    sources = list(_sources())
    assert any(rel == Path("evaluation/ledgers.py") for rel, _ in sources)
    offenders = [o for rel, text in sources for o in _offenders(rel, text)]
    assert offenders == [], "write xlsx through minhu.core.xlsx: " + "; ".join(offenders)


@pytest.mark.parametrize(
    "code",
    [
        "from openpyxl import Workbook",
        "import openpyxl",
        "from openpyxl.cell import WriteOnlyCell",
        "from openpyxl import Workbook, load_workbook",
        "import xlsxwriter",
        "df.to_excel('x.xlsx')",
    ],
)
def test_scan_catches_a_direct_writer(code):
    assert _offenders("x.py", code)
    assert not _offenders("x.py", "from openpyxl import load_workbook")
