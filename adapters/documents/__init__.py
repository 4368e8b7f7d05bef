"""Render the monthly report (flows.reports.model.MonthlyReport) as files: XLSX, PDF, CSV, PNG charts.

Like the chat adapters' renderers these are pure (report in, bytes out) and the only place
that knows a vendor format; openpyxl and matplotlib never reach flows/.
"""
from __future__ import annotations

from adapters.documents.fonts import FontMissing, japanese_font

FORMATS = ("xlsx", "pdf", "csv")
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "pdf": "application/pdf", "csv": "text/csv", "png": "image/png"}


def render(report, fmt: str, *, font: str | None = None) -> bytes:
    """Render `report` in one of FORMATS (font: a TrueType/OpenType file with Japanese glyphs)."""
    if fmt == "xlsx":
        from adapters.documents.xlsx import render_xlsx

        return render_xlsx(report, font=font)
    if fmt == "pdf":
        from adapters.documents.pdf import render_pdf

        return render_pdf(report, font=font)
    if fmt == "csv":
        from adapters.documents.csv import render_csv

        return render_csv(report.table("incidents"))
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "MEDIA_TYPES", "FontMissing", "japanese_font", "render"]
