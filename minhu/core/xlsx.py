"""The one way Minhu writes xlsx files: every text cell is written as text, never as a formula.

Residents type anything into the anonymous H5 form and imports carry whatever another system
exported, so a subject like `=HYPERLINK("http://evil","路灯")` must reach a spreadsheet as the
characters it is, not as a live formula (CSV/formula injection, OWASP). openpyxl turns every
string that starts with `=` into a formula; this module writes each string cell with data type
`s` (a string in the file, whatever it starts with) and, when it starts with a character a
spreadsheet would read as the start of a formula (`= + - @`, tab, CR, LF), also sets the cell's
`quotePrefix` so Excel and LibreOffice keep it as text when the cell is edited. The text itself
is not changed (a re-import reads back exactly what was written).

Every module that writes xlsx goes through `Workbook` here; `minhu/core/tests/test_xlsx.py`
scans the code base and fails if any other module imports openpyxl's writing classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook as _OpenpyxlWorkbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# What makes a spreadsheet read a typed cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def text_cell(ws, value: str):
    """A cell holding `value` as text (never a formula)."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def make_cell(ws, value: Any, *, number_format: str | None = None, **style):
    """A cell for `value`: strings as text (`text_cell`), numbers, booleans and dates as such,
    anything else as its string. `style` may set font, fill, alignment."""
    if value is None or isinstance(value, str):
        cell = text_cell(ws, value or "") if value else WriteOnlyCell(ws, value=None)
    elif isinstance(value, bool | int | float | dt.date | dt.time | dt.timedelta):
        cell = WriteOnlyCell(ws, value=value)
    else:
        cell = text_cell(ws, str(value))
    if number_format:
        cell.number_format = number_format
    for name, v in style.items():
        setattr(cell, name, v)
    return cell


class Sheet:
    """One worksheet: rows go in through `append` only (every value through `make_cell`)."""

    def __init__(self, ws):
        self._ws = ws

    def append(
        self,
        values: Iterable[Any],
        *,
        bold: bool = False,
        size: float | None = None,
        fill: str | None = None,
        center: bool = False,
        number_formats: Mapping[int, str] | None = None,
    ) -> None:
        style: dict[str, Any] = {}
        if bold or size:
            style["font"] = Font(bold=bold, size=size)
        if fill:
            style["fill"] = PatternFill("solid", fgColor=fill)
        if center:
            style["alignment"] = Alignment(horizontal="center", vertical="center")
        formats = number_formats or {}
        self._ws.append(
            [
                make_cell(
                    self._ws,
                    v,
                    number_format=formats.get(i) if v is not None else None,
                    **style,
                )
                for i, v in enumerate(values)
            ]
        )

    def column_widths(self, widths: Iterable[float]) -> None:
        for i, width in enumerate(widths, start=1):
            self._ws.column_dimensions[get_column_letter(i)].width = width

    def freeze(self, cell: str) -> None:
        self._ws.freeze_panes = cell


class Workbook:
    """An xlsx workbook; `write_only` (the default) streams rows with little memory."""

    def __init__(self, *, write_only: bool = True):
        self._wb = _OpenpyxlWorkbook(write_only=write_only)
        self._write_only = write_only
        self._first = True

    def sheet(self, title: str) -> Sheet:
        title = title[:31]  # xlsx sheet names are at most 31 characters
        if not self._write_only and self._first:
            ws = self._wb.active
            ws.title = title
        else:
            ws = self._wb.create_sheet(title=title)
        self._first = False
        return Sheet(ws)

    def save(self, out) -> None:
        self._wb.save(out)
