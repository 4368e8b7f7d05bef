"""What incident alerts and confirmations say about a repeat customer (case numbers, measures; never the identifier)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flows.i18n import Translator
from flows.reports.customers import CustomerMatch


def customer_lines(match: CustomerMatch | None, tz: str, t: Translator, *, window_days: int) -> list[str]:
    """Lines for an alert: the customer's earlier cases in the window, and the measures taken."""
    if match is None or not match.repeat:
        return []
    sep = "、" if t.locale == "ja" else ", "
    lines = [t("alert.repeat_customer", n=len(match.earlier), days=window_days,
               cases=sep.join(f"{e.case_no} ({_day(e.created_at, tz)})" for e in match.earlier))]
    if match.measures:
        lines.append(t("alert.customer_measures", measures=sep.join(
            f"{t(f'report.measure.{m.kind}')} ({_day(m.at, tz)})" for m in match.measures)))
    return lines


def _day(moment, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d")
