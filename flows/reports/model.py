"""The monthly report as renderers see it: localized tables, summary lines and chart data.

Every text is already in the reader's language (catalog `reports.json`), so the XLSX, PDF,
CSV and chat renderers only lay it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flows.reports.kpi import MonthKpis
from flows.reports.period import Month

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str  # incidents, timeline, follow_ups, kpis, open_cases, consultations, repeat_customers, audit
    title: str  # sheet name (Excel allows 31 characters)
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty_note: str = ""  # said instead of an empty table


@dataclass(frozen=True)
class TrendChart:
    """Incidents per month stacked by level."""

    title: str
    months: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (level label, count per month)
    ylabel: str


@dataclass(frozen=True)
class AckChart:
    """Minutes from report to first acknowledgement, against each level's deadline."""

    title: str
    minutes_by_level: tuple[tuple[str, tuple[float, ...]], ...]
    deadlines: tuple[tuple[str, float], ...]  # (label, minutes)
    xlabel: str
    ylabel: str
    empty_note: str


@dataclass(frozen=True)
class AuditCheck:
    """Result of verifying the audit log's hash chain (`kasuhara audit verify`)."""

    entries: int
    first_at: datetime | None
    last_at: datetime | None
    broken_at: int | None  # the first altered row id, None when intact


@dataclass(frozen=True)
class MonthlyReport:
    month: Month
    unit_id: str | None
    title: str
    subtitle: str  # period, units, time zone, when generated
    summary: tuple[str, ...]  # headline lines (chat post, PDF front page)
    tables: tuple[Table, ...]
    trend: TrendChart
    ack: AckChart
    kpis: MonthKpis
    trend_kpis: tuple[MonthKpis, ...]  # oldest first, the report's month last
    sensitive: bool  # HR-only fields included
    empty: bool  # no incident reported in the month
    labels: dict[str, str] = field(default_factory=dict)  # captions renderers need (page, charts)

    @property
    def filename_stem(self) -> str:
        return f"kasuhara-monthly-{self.month}" + (f"-{self.unit_id}" if self.unit_id else "")

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)
