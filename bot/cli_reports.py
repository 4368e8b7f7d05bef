"""`kasuhara report monthly`: the monthly report as XLSX, PDF or CSV (issue 11).

Registered by bot/cli.py with `register(sub)`; kept apart so the CLI module stays small.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.policy_file import load_policy
from flows.i18n import Translator
from flows.reports.period import Month, ReportInputError, parse_month
from flows.reports.build import unit_scope

FORMATS = ("xlsx", "pdf", "csv")


def register(sub) -> None:
    """Add the `report` command to the CLI's subparsers."""
    report = sub.add_parser("report", help="monthly report for HR and auditors (XLSX, PDF, CSV)")
    actions = report.add_subparsers(dest="report_action", required=True)
    monthly = actions.add_parser("monthly", help="one month's incidents, follow-ups, KPIs and charts")
    monthly.add_argument("--month", help="YYYY-MM (default: the previous month, in the policy's time zone)")
    monthly.add_argument("--unit", help="a unit id of the policy file; includes the units below it (default: all)")
    monthly.add_argument("--format", help="xlsx (default), pdf or csv (the incident list); default: from --out")
    monthly.add_argument("--out", help="file to write (default: kasuhara-monthly-YYYY-MM[-unit].<format>)")
    monthly.add_argument("--include-sensitive", action="store_true",
                         help="include HR-only fields (feelings, support needs, hearing notes, customer identifiers)")
    monthly.add_argument("--post", action="store_true",
                         help="also post the summary and chart to the units' hr targets on Slack and Teams")
    customers = sub.add_parser("customers", help="repeat customers: record a measure taken against a customer (HR)")
    customer_actions = customers.add_subparsers(dest="customers_action", required=True)
    measure = customer_actions.add_parser("measure", help="record a warning letter, ban or police report; later "
                                                          "reports of the same customer show it in their alert")
    measure.add_argument("--case", required=True, help="a case number of the customer, e.g. K-2026-00012")
    measure.add_argument("--kind", required=True, help="warning_letter, ban, police_report or other")
    measure.add_argument("--note", default="", help="reference (letter number, police report number); kept sealed")


def run_customers(args) -> int:
    """`kasuhara customers measure`: HR records a measure against the customer of a case (audited)."""
    settings = Settings.from_env()
    policy = load_policy(settings.config_path)
    from bot.reports import record_measure

    try:
        outcome = asyncio.run(record_measure(settings, policy, args.case, args.kind, args.note))
    except ReportInputError as error:
        return _refuse(error)
    print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def run(args) -> int:
    settings = Settings.from_env()
    policy = load_policy(settings.config_path)
    now = SystemClock().now()
    try:
        month = parse_month(args.month, now, policy.timezone) if args.month else Month.of(now, policy.timezone).shift(-1)
        if args.unit is not None:
            unit_scope(policy, args.unit)
        fmt = _format(args)
    except ReportInputError as error:
        return _refuse(error)
    out = Path(args.out or f"kasuhara-monthly-{month}{'-' + args.unit if args.unit else ''}.{fmt}")
    from bot.reports import monthly_report

    font = settings.env.get("KASUHARA_REPORT_FONT") or None
    rendered = asyncio.run(monthly_report(settings, policy, month, args.unit, fmt=fmt,
                                          include_sensitive=args.include_sensitive, now=now,
                                          destination=out.name, font=font))
    out.write_bytes(rendered.data)
    report = rendered.report
    print(f"✓ {out}: {report.title}")
    for line in report.summary:
        print(f"  {line}")
    if args.post:
        from bot.report_posting import post_monthly

        problems = settings.problems()
        if problems:
            raise ConfigError("\n  ".join(problems))
        posted = asyncio.run(post_monthly(settings, policy, month, args.unit, now=now))
        print(f"✓ posted to {posted} hr target(s)")
    return 0


def _format(args) -> str:
    fmt = (args.format or (Path(args.out).suffix.lstrip(".") if args.out else "") or "xlsx").lower()
    if fmt not in FORMATS:
        raise ReportInputError("report.error.format", value=fmt)
    return fmt


def _refuse(error: ReportInputError) -> int:
    """Say what is wrong in Japanese and English, and how to write it."""
    print(f"kasuhara: {Translator('ja')(error.key, **error.fields)}", file=sys.stderr)
    print(f"kasuhara: {Translator('en')(error.key, **error.fields)}", file=sys.stderr)
    return 2
