"""The report's charts as matplotlib figures and PNG bytes, with a Japanese font.

Figures are built with the object API (no pyplot state), so rendering is safe in a worker
thread and leaves nothing behind.
"""
from __future__ import annotations

import io
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # no display: files only

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from adapters.documents.fonts import family, japanese_font  # noqa: E402
from flows.reports.model import AckChart, MonthlyReport, TrendChart  # noqa: E402

LEVEL_COLOURS = ("#8fbf7f", "#f2c14e", "#e07a3f", "#c0392b")  # L1..L4: calm to alarming
DEADLINE_COLOUR = "#444444"
COMPACT_MAX_BYTES = 20_000  # default budget of a compact chart (e.g. inside a Teams card)


@contextmanager
def japanese(font: str | None):
    """Use the Japanese font for every text drawn inside (and embed it as TrueType in PDFs)."""
    path = japanese_font(font)
    with matplotlib.rc_context({"font.family": family(path), "pdf.fonttype": 42, "axes.unicode_minus": False}):
        yield


def draw_trend(ax, chart: TrendChart) -> None:
    bottoms = [0] * len(chart.months)
    for (label, values), colour in zip(chart.series, LEVEL_COLOURS):
        ax.bar(chart.months, values, bottom=bottoms, label=label, color=colour, width=0.6)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    ax.set_title(chart.title, fontsize=11)
    ax.set_ylabel(chart.ylabel)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def draw_ack(ax, chart: AckChart) -> None:
    ax.set_title(chart.title, fontsize=11)
    if not chart.minutes_by_level:
        ax.text(0.5, 0.5, chart.empty_note, ha="center", va="center", transform=ax.transAxes, fontsize=10)
        ax.set_axis_off()
        return
    colours = dict(zip(("L1", "L2", "L3", "L4"), LEVEL_COLOURS))
    longest = max(max(v) for _, v in chart.minutes_by_level)
    top = max(longest, *(m for _, m in chart.deadlines)) if chart.deadlines else longest
    bins = [top * n / 12 for n in range(13)] if top > 0 else [0, 1]
    ax.hist([v for _, v in chart.minutes_by_level], bins=bins, stacked=True,
            color=[colours.get(name, "#888888") for name, _ in chart.minutes_by_level],
            label=[name for name, _ in chart.minutes_by_level])
    for label, minutes in chart.deadlines:
        ax.axvline(minutes, color=DEADLINE_COLOUR, linestyle="--", linewidth=1)
        ax.text(minutes, ax.get_ylim()[1] * 0.97, f"{label} ", fontsize=7, va="top", ha="right", rotation=90,
                color=DEADLINE_COLOUR)
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def summary_figure(report: MonthlyReport, *, width: float = 10, height: float = 4) -> Figure:
    """Both charts side by side: what is posted to HR with the monthly summary."""
    figure = Figure(figsize=(width, height), layout="constrained")
    left, right = figure.subplots(1, 2)
    draw_trend(left, report.trend)
    draw_ack(right, report.ack)
    return figure


def png(figure: Figure, *, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def summary_png(report: MonthlyReport, *, font: str | None = None) -> bytes:
    """The summary chart for Slack (a file upload; no tight size limit)."""
    with japanese(font):
        return png(summary_figure(report), dpi=110)


def compact_summary_png(report: MonthlyReport, *, font: str | None = None,
                        max_bytes: int = COMPACT_MAX_BYTES) -> bytes:
    """The summary chart small enough to travel inside a card as a data URI (Teams).

    Drawn small and reduced to a 64-colour palette; smaller steps until it fits `max_bytes`.
    """
    from PIL import Image

    for dpi in (72, 60, 48, 40):
        with japanese(font):
            raw = png(summary_figure(report, width=8, height=3.2), dpi=dpi)
        image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=64)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    raise ValueError(f"the chart does not fit in {max_bytes} bytes")
