"""`kasuhara report monthly`: the monthly report as XLSX, PDF or CSV (issue 11).

Registered by bot/cli.py with `register(sub)`; kept apart so the CLI module stays small.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
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
