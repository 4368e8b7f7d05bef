"""Renderers on their own: text that looks like a formula stays text; fonts are found or named."""
import io

import pytest
from openpyxl import Workbook, load_workbook

from adapters.documents.csv import render_csv
from adapters.documents.fonts import FontMissing, japanese_font
from adapters.documents.xlsx import _table
from flows.reports.model import Table

TABLE = Table("incidents", "事案一覧", ("事案番号", "具体的な発言・行動", "継続時間（分）"),
              (("K-1", '=HYPERLINK("http://x","click")', 45), ("K-2", "-", None), ("K-3", "+81 90 1234 5678", 3)))


def test_csv_cells_that_excel_would_run_as_formulas_are_quoted_as_text():
    rows = render_csv(TABLE).decode("utf-8-sig").split("\r\n")
    assert rows[1] == 'K-1,"\'=HYPERLINK(""http://x"",""click"")",45'
    assert rows[2] == "K-2,-," and rows[3].startswith("K-3,'+81")


def test_xlsx_cells_keep_user_text_as_text_never_a_formula():
    book = Workbook()
    _table(book.active, TABLE)
    buffer = io.BytesIO()
    book.save(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_a_font_override_that_is_not_a_file_names_the_variable_and_the_fix(tmp_path):
    with pytest.raises(FontMissing, match="KASUHARA_REPORT_FONT=.*Fix:"):
        japanese_font(str(tmp_path / "none.ttf"))
    assert japanese_font().endswith((".ttf", ".otf", ".ttc"))
