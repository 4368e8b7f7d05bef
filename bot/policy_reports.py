"""The policy file's `reports:` section (monthly post, holidays, repeat-customer window).

    reports:
      monthly_post: true        # post last month's summary and chart to the units' hr targets
      post_at: "09:00"          # on the first working day of the month, policy time zone
      holidays: ["01-01", "01-02", "01-03", "2027-05-06"]   # besides weekends
      repeat_window: 180d       # a report matching an earlier one of the same customer within this
"""
from __future__ import annotations

import re
from datetime import date, time

from flows.policy import ReportRule

REPORT_KEYS = ("monthly_post", "post_at", "holidays", "repeat_window")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_HOLIDAY = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")


def parse_reports(r, value: object) -> ReportRule:
    """Read `reports:` with the policy file's reader `r` (errors name the file, the key and the fix)."""
    value = r.mapping("reports", value)
    unknown = set(value) - set(REPORT_KEYS)
    if unknown:
        raise r.fail(f"reports.{sorted(unknown)[0]}", "unknown key", "use " + ", ".join(REPORT_KEYS))
    base = ReportRule()
    monthly_post = value.get("monthly_post", base.monthly_post)
    if not isinstance(monthly_post, bool):
        raise r.fail("reports.monthly_post", f"{monthly_post!r} is not true or false", "write true or false")
    post_at = base.post_at
    if "post_at" in value:
        match = _TIME.match(str(value["post_at"]))
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise r.fail("reports.post_at", f"{value['post_at']!r} is not a time of day",
                         'write hours and minutes in quotes, e.g. "09:00"')
        post_at = time(int(match.group(1)), int(match.group(2)))
    holidays = base.holidays
    if "holidays" in value:
        items = value["holidays"]
        if not isinstance(items, list):
            raise r.fail("reports.holidays", "must be a list", 'e.g. ["01-01", "2027-05-06"]')
        holidays = frozenset(_holiday(r, i, item) for i, item in enumerate(items))
    window = r.duration("reports.repeat_window", value["repeat_window"]) if "repeat_window" in value \
        else base.repeat_window
    return ReportRule(monthly_post=monthly_post, post_at=post_at, holidays=holidays, repeat_window=window)


def _holiday(r, index: int, item: object) -> str:
    text = item.isoformat() if isinstance(item, date) else str(item)  # YAML reads 2027-05-06 as a date
    try:
        if not _HOLIDAY.match(text):
            raise ValueError(text)
        date.fromisoformat(text if len(text) == 10 else f"2024-{text}")  # 2024: a leap year accepts 02-29
    except ValueError:
        raise r.fail(f"reports.holidays[{index}]", f"{item!r} is not a date",
                     'write "MM-DD" (every year) or "YYYY-MM-DD" (once)') from None
    return text
