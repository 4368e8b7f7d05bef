"""Report periods: calendar months in the policy's timezone, and when a month's report is posted."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class ReportInputError(ValueError):
    """A bad report request (month, unit); `key` and `fields` name its catalog message."""

    def __init__(self, key: str, **fields: object):
        super().__init__(f"{key} {fields}")
        self.key = key
        self.fields = fields


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def number(self) -> int:
        """YYYYMM, e.g. the ref id of the month's posting timer."""
        return self.year * 100 + self.month

    @classmethod
    def from_number(cls, number: int) -> "Month":
        return cls(number // 100, number % 100)

    @classmethod
    def from_text(cls, text: str) -> "Month":
        """Read a month this program wrote (YYYY-MM); use parse_month for what people type."""
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, moment: datetime, tz: str) -> "Month":
        local = moment.astimezone(ZoneInfo(tz))
        return cls(local.year, local.month)

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def start(self, tz: str) -> datetime:
        """Midnight of the 1st in the policy's timezone, as UTC."""
        return datetime.combine(self.first_day(), time(0), ZoneInfo(tz)).astimezone(timezone.utc)

    def end(self, tz: str) -> datetime:
        """The next month's start (exclusive end)."""
        return self.shift(1).start(tz)

    def contains(self, moment: datetime | None, tz: str) -> bool:
        return moment is not None and self.start(tz) <= moment < self.end(tz)


def parse_month(text: str, now: datetime, tz: str) -> Month:
    """Parse YYYY-MM; refuse a malformed month and one that has not started yet."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ReportInputError("report.error.month_format", value=text)
    month = Month(int(match.group(1)), int(match.group(2)))
    current = Month.of(now, tz)
    if month > current:
        raise ReportInputError("report.error.month_future", value=str(month), current=str(current))
    return month


def first_working_day(month: Month, holidays: frozenset[date] = frozenset()) -> date:
    """The month's first weekday that is not a listed holiday (e.g. 1 Jan, company holidays)."""
    day = month.first_day()
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def posting_time(month: Month, tz: str, at: time, holidays: frozenset[date] = frozenset()) -> datetime:
    """When `month`'s report is posted: the next month's first working day at `at`, local time, as UTC."""
    day = first_working_day(month.shift(1), holidays)
    return datetime.combine(day, at, ZoneInfo(tz)).astimezone(timezone.utc)
