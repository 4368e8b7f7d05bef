"""The monthly report as a PDF: summary and charts, KPIs, incidents, follow-ups, audit check.

Drawn with matplotlib on A4 pages; the Japanese font is embedded as CID TrueType, so the
text is selectable and searchable (checked with pdftotext in the tests).
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from adapters.documents.charts import draw_ack, draw_trend, japanese
from flows.reports.build import INCIDENT_COLUMNS
from flows.reports.model import MonthlyReport, Table

A4 = (8.27, 11.69)  # inches
MARGIN = 0.6  # inches
PT = 1 / 72  # inch per point
LINE = 1.45  # line height in font sizes
INCIDENT_SUMMARY = ("case_no", "reported_at", "unit", "level", "types", "channel", "status", "ack_minutes",
                    "earlier_cases")
INCIDENT_WIDTHS = (1.1, 1.2, 0.9, 0.9, 1.5, 0.9, 0.7, 0.6, 1.1)
WIDTHS = {"follow_ups": (1.15, 1.2, 0.7, 1.1, 0.7, 0.7, 1.1, 0.5, 2.0, 2.0),
          "open_cases": (1.2, 1.0, 1.0), "repeat_customers": (1.0, 0.4, 2.5, 1.6), "audit": (1.0, 2.5)}


def render_pdf(report: MonthlyReport, *, font: str | None = None) -> bytes:
    with japanese(font):
        pages = _Pages(report)
        pages.front()
        pages.table(report.table("kpis"), widths=(3.2,) + (0.8,) * (len(report.table("kpis").columns) - 1),
                    heading=report.labels["kpis"], size=7.5)
        pages.incidents(report.table("incidents"))
        for key in ("follow_ups", "open_cases", "repeat_customers", "audit"):
            table = report.table(key)
            widths = WIDTHS.get(key)
            if widths and len(table.columns) < len(widths):  # without the HR-only column
                widths = widths[:len(table.columns)]
            pages.table(table, heading=table.title, size=7.5, widths=widths)
        return pages.save()


class _Pages:
    """Lay out text lines, tables and charts top-down, starting a new page when one is full."""

    def __init__(self, report: MonthlyReport):
        self.report = report
        self.figures: list[Figure] = []
        self.figure: Figure | None = None
        self.y = 0.0  # inches from the top of the page

    # -- blocks ----------------------------------------------------------------------------------
    def front(self) -> None:
        report = self.report
        self.text(report.title, size=15, bold=True)
        self.text(report.subtitle, size=9, colour="#555555")
        if report.sensitive:
            self.text(report.labels["sensitive"], size=9, colour="#b00020")
        self.gap(0.15)
        self.text(report.labels["summary"], size=12, bold=True)
        for line in report.summary:
            self.text("・" + line, size=10)
        self.gap(0.2)
        self.chart(draw_trend, report.trend, 3.0)
        self.chart(draw_ack, report.ack, 3.0)

    def incidents(self, table: Table) -> None:
        index = {key: n for n, key in enumerate(INCIDENT_COLUMNS)}
        summary = Table(table.key, table.title, tuple(table.columns[index[k]] for k in INCIDENT_SUMMARY),
                        tuple(tuple(row[index[k]] for k in INCIDENT_SUMMARY) for row in table.rows), table.empty_note)
        description = index["description"]
        details = [(table.columns[description], [row[description] for row in table.rows])]
        if self.report.sensitive and len(table.columns) > len(INCIDENT_COLUMNS):
            details.append((table.columns[-1], [row[-1] for row in table.rows]))
        self.table(summary, widths=INCIDENT_WIDTHS, heading=self.report.labels["incidents"], size=7,
                   details=details)

    def table(self, table: Table, *, heading: str, size: float = 8, widths: Sequence[float] | None = None,
              details: Sequence[tuple[str, Sequence]] = ()) -> None:
        """A heading, a header row, then the rows; `details` adds a full-width line under each row."""
        self.ensure(0.9)
        self.gap(0.15)
        self.text(heading, size=12, bold=True)
        if not table.rows:
            self.text(table.empty_note or "-", size=9)
            return
        widths = list(widths or [1.0] * len(table.columns))
        scale = (A4[0] - 2 * MARGIN) / sum(widths)
        widths = [w * scale for w in widths]
        self.row(table.columns, widths, size, bold=True)
        for n, values in enumerate(table.rows):
            self.row(values, widths, size)
            for label, column in details:
                if column[n]:
                    self.text(f"{label}: {column[n]}", size=size, indent=0.15, colour="#333333")
            self.rule()

    def row(self, values: Sequence, widths: Sequence[float], size: float, bold: bool = False) -> None:
        cells = [_wrap(_cell(v), w, size) for v, w in zip(values, widths)]
        height = max(len(c) for c in cells) * size * LINE * PT
        self.ensure(height)
        x = MARGIN
        for lines, width in zip(cells, widths):
            for k, line in enumerate(lines):
                self._put(x, self.y + (k + 1) * size * LINE * PT, line, size, bold)
            x += width
        self.y += height + 0.03

    def text(self, text: str, *, size: float = 10, bold: bool = False, indent: float = 0.0,
             colour: str = "black") -> None:
        for line in _wrap(text, A4[0] - 2 * MARGIN - indent, size):
            self.ensure(size * LINE * PT)
            self.y += size * LINE * PT
            self._put(MARGIN + indent, self.y, line, size, bold, colour)

    def chart(self, draw: Callable, data, height: float) -> None:
        self.ensure(height + 0.1)
        width, top = A4[0] - 2 * MARGIN, self.y + 0.1
        ax = self.figure.add_axes((MARGIN / A4[0] + 0.06, 1 - (top + height) / A4[1] + 0.03,
                                   width / A4[0] - 0.08, height / A4[1] - 0.06))
        draw(ax, data)
        self.y = top + height

    def gap(self, inches: float) -> None:
        self.y += inches

    def rule(self) -> None:
        if self.figure is not None:
            level = 1 - (self.y + 0.01) / A4[1]
            self.figure.add_artist(_line(self.figure, level))
            self.y += 0.03

    # -- pages -------------------------------------------------------------------------------------
    def ensure(self, height: float) -> None:
        if self.figure is None or self.y + height > A4[1] - MARGIN:
            self.figure = Figure(figsize=A4)
            self.figures.append(self.figure)
            self.y = MARGIN

    def save(self) -> bytes:
        buffer = io.BytesIO()
        with PdfPages(buffer, metadata={"Title": self.report.title, "Creator": "kasuhara"}) as pdf:
            total = len(self.figures)
            for n, figure in enumerate(self.figures, start=1):
                figure.text(0.5, MARGIN / 2 / A4[1], self.report.labels["page"].format(n=n, total=total),
                            ha="center", fontsize=8, color="#777777")
                pdf.savefig(figure)
        return buffer.getvalue()

    def _put(self, x: float, y: float, text: str, size: float, bold: bool, colour: str = "black") -> None:
        # Japanese fonts ship one weight: headings are set apart by size and colour instead of bold.
        self.figure.text(x / A4[0], 1 - y / A4[1], text, fontsize=size, color="#1f3a5f" if bold else colour,
                         va="baseline")


def _line(figure: Figure, level: float):
    from matplotlib.lines import Line2D

    return Line2D([MARGIN / A4[0], 1 - MARGIN / A4[0]], [level, level], transform=figure.transFigure,
                  color="#dddddd", linewidth=0.5)


def _cell(value) -> str:
    if value is None:
        return "-"
    return str(value)


def _wrap(text: str, width_in: float, size: float) -> list[str]:
    """Break text to fit `width_in` inches: full-width characters take a font size, others about half."""
    limit = width_in / (size * PT)
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current, used = "", 0.0
        for ch in paragraph:
            w = 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.62
            if used + w > limit and current:
                lines.append(current)
                current, used = "", 0.0
            current += ch
            used += w
        lines.append(current)
    return lines or [""]
