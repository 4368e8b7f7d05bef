"""The incident list as CSV for Excel: UTF-8 with a BOM (else Excel reads Japanese as mojibake)."""
from __future__ import annotations

import csv
import io

from flows.reports.model import Table

# A cell Excel would run as a formula (CSV injection): shown as text instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    if value is None:
        return ""
    text = str(value)
    risky = isinstance(value, str) and len(text) > 1 and text.startswith(FORMULA_START)
    return "'" + text if risky else text


def render_csv(table: Table) -> bytes:
    """One header row, one row per incident; CRLF line ends; an empty month says so in a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([safe(v) for v in row])
    if not table.rows and table.empty_note:
        writer.writerow([table.empty_note])
    return buffer.getvalue().encode("utf-8-sig")
