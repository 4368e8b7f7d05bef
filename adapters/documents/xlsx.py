"""The monthly report as an Excel workbook: a summary sheet, one sheet per table, the charts."""
from __future__ import annotations

import io
import re
import unicodedata

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from flows.reports.model import MonthlyReport, Table

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
SENSITIVE_FILL = PatternFill("solid", fgColor="FCE4E4")
MAX_WIDTH = 60  # characters; longer text wraps
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(report: MonthlyReport, *, font: str | None = None) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _sheet_title(report.labels.get("summary", "Summary"))
    _summary(summary, report, font)
    for table in report.tables:
        _table(workbook.create_sheet(_sheet_title(table.title)), table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary(sheet, report: MonthlyReport, font: str | None) -> None:
    sheet["A1"] = report.title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = report.subtitle
    row = 4
    if report.sensitive:
        sheet.cell(row, 1, report.labels.get("sensitive", "")).fill = SENSITIVE_FILL
        row += 2
    for line in report.summary:
        _text(sheet.cell(row, 1), line)
        row += 1
    sheet.column_dimensions["A"].width = 100
    from adapters.documents.charts import summary_png

    image = SheetImage(io.BytesIO(summary_png(report, font=font)))
    sheet.add_image(image, f"A{row + 1}")


def _table(sheet, table: Table) -> None:
    sheet.append(list(table.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [_width(c) for c in table.columns]
    for values in table.rows:
        sheet.append([None] * len(values))
        for n, value in enumerate(values):
            cell = sheet.cell(sheet.max_row, n + 1)
            if isinstance(value, str):
                _text(cell, value)
            else:
                cell.value = value
            widths[n] = max(widths[n], _width(value))
    if not table.rows and table.empty_note:
        _text(sheet.cell(2, 1), table.empty_note)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(MAX_WIDTH, width + 2)
    sheet.freeze_panes = "B2" if table.key in ("incidents", "kpis") else "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions


def _text(cell, value: str) -> None:
    """Store text as text: a description starting with '=' must never become a formula."""
    cell.value = value
    cell.data_type = "s"
    if "\n" in value or len(value) > MAX_WIDTH:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _width(value) -> int:
    """Display width in Excel columns: full-width characters take two."""
    if value is None:
        return 0
    longest = max(str(value).split("\n"), key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub(" ", title)[:31]
