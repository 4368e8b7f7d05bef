"""Filters of `incidents list` / `incidents export`: period, unit, level, status — parsed once, here."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flows.model import IncidentStatus, RiskLevel
from flows.policy import Policy
from flows.reports.build import unit_scope
from flows.reports.period import ReportInputError

_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?\s*$")


@dataclass(frozen=True)
class IncidentFilter:
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive
    unit_id: str | None = None
    units: tuple[str, ...] | None = None  # the unit and the units below it
    levels: frozenset[RiskLevel] | None = None
    statuses: frozenset[IncidentStatus] | None = None
    texts: tuple[tuple[str, str], ...] = ()  # what was asked, for the audit trail

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.texts) or "all"


def parse_filter(policy: Policy, *, since: str | None = None, until: str | None = None, unit: str | None = None,
                 level: str | None = None, status: str | None = None) -> IncidentFilter:
    """Check every filter; a bad one raises ReportInputError saying the expected form."""
    tz = ZoneInfo(policy.timezone)
    start = _moment(since, tz, end=False) if since else None
    end = _moment(until, tz, end=True) if until else None
    if start and end and start >= end:
        raise ReportInputError("report.error.range", since=since, until=until)
    levels = frozenset(_level(v) for v in _items(level)) if level else None
    statuses = frozenset(_status(v) for v in _items(status)) if status else None
    units = unit_scope(policy, unit) if unit else None
    asked = (("from", since), ("to", until), ("unit", unit), ("level", level), ("status", status))
    return IncidentFilter(start, end, unit, units, levels, statuses, tuple((k, v.strip()) for k, v in asked if v))


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _moment(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """YYYY-MM-DD (a whole day: --to includes it) or YYYY-MM-DD HH:MM, in the policy's time zone."""
    match = _DATE.match(text)
    try:
        day = date.fromisoformat(match.group(1)) if match else None
        at = time.fromisoformat(match.group(2).zfill(5)) if match and match.group(2) else None
    except ValueError:
        day = None
    if day is None:
        raise ReportInputError("report.error.date", value=text)
    if at is None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tz)
    else:
        moment = datetime.combine(day, at, tz) + (timedelta(minutes=1) if end else timedelta())
    return moment.astimezone(timezone.utc)


def _level(text: str) -> RiskLevel:
    try:
        return RiskLevel.parse(text)
    except ValueError:
        raise ReportInputError("report.error.level", value=text) from None


def _status(text: str) -> IncidentStatus:
    try:
        return IncidentStatus(text.lower())
    except ValueError:
        raise ReportInputError("report.error.status", value=text,
                               known=", ".join(s.value for s in IncidentStatus)) from None
