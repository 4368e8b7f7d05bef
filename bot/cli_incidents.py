"""`kasuhara incidents list|export` with filters and formats (issue 11).

--from/--to/--unit/--level/--status choose the incidents; --format json|csv|table says how to
print them (a table on a terminal, else JSON for export as before). Every run is audited.
"""
from __future__ import annotations

import asyncio
import json
import sys
import unicodedata

from bot.clock import SystemClock
from bot.config import Settings
from bot.policy_file import load_policy
from bot.operator import operator
from flows.i18n import Translator
from flows.reports.build import incident_table
from flows.reports.filters import parse_filter
from flows.reports.period import ReportInputError

FORMATS = ("json", "csv", "table")
TABLE_KEYS = ("case_no", "created", "unit_name", "level", "status", "acknowledged", "acknowledged_by", "sos")
TABLE_LABELS = ("case_no", "reported_at", "unit", "level", "status", "acknowledged_at", "acknowledged_by", "sos")


def register(sub) -> None:
    incidents = sub.add_parser("incidents", help="incident records (list, export) for HR and auditors")
    incidents.add_argument("action", choices=["list", "export"],
                           help="list: one line per incident; export: every field and its history")
    incidents.add_argument("--from", dest="since", metavar="DATE", help="reported on or after (YYYY-MM-DD[ HH:MM], "
                                                                         "policy time zone)")
    incidents.add_argument("--to", dest="until", metavar="DATE", help="reported on or before (YYYY-MM-DD: the whole day)")
    incidents.add_argument("--unit", help="a unit id; includes the units below it")
    incidents.add_argument("--level", help="L1..L4, several with commas (L3,L4)")
    incidents.add_argument("--status", help="open, acknowledged or closed, several with commas")
    incidents.add_argument("--format", help="json, csv (UTF-8 with BOM, for Excel) or table; default: table on a "
                                            "terminal, else the previous output (list: tab-separated; export: JSON)")
    incidents.add_argument("--json", action="store_true", help="same as --format json")
    incidents.add_argument("--include-sensitive", action="store_true",
                           help="export: include the responder's feelings and support needs (HR only)")


def run(args) -> int:
    settings = Settings.from_env()
    policy = load_policy(settings.config_path)
    try:
        chosen = parse_filter(policy, since=args.since, until=args.until, unit=args.unit, level=args.level,
                              status=args.status)
        fmt = "json" if args.json else (args.format or "").lower() or None
        if fmt is not None and fmt not in FORMATS:
            raise ReportInputError("report.error.incident_format", value=fmt)
    except ReportInputError as error:
        for locale in ("ja", "en"):
            print(f"kasuhara: {Translator(locale)(error.key, **error.fields)}", file=sys.stderr)
        return 2
    terminal = sys.stdout.isatty()
    fmt = fmt or ("table" if terminal or args.action == "list" else "json")
    from bot.export import export_incidents, list_incidents

    now, t = SystemClock().now(), Translator(policy.locale)
    if args.action == "list":
        rows = asyncio.run(list_incidents(settings, chosen, tz=policy.timezone, actor=operator(), now=now,
                                          units={u.id: u.name for u in policy.units}))
        incidents = None
    else:
        incidents, rows = asyncio.run(export_incidents(settings, include_sensitive=args.include_sensitive,
                                                       chosen=chosen, tz=policy.timezone, actor=operator(), now=now,
                                                       fmt=fmt))
        names = {u.id: u.name for u in policy.units}
        rows = [r | {"unit_name": names.get(r["unit"], r["unit"])} for r in rows]
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from adapters.documents.csv import render_csv
        from flows.reports.model import Table

        if incidents is not None:  # export: every report-form field, as in the monthly report
            table = incident_table(policy, incidents, include_sensitive=args.include_sensitive)
        else:
            table = Table("incidents", "", _headers(t), tuple(tuple(_cell(r, k, t) for k in TABLE_KEYS) for r in rows))
        data = render_csv(table)
        if hasattr(sys.stdout, "buffer"):  # bytes as rendered: the BOM and CRLF reach the file untouched
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data.decode("utf-8"))
    else:
        print(_table(rows, t, aligned=terminal))
    return 0


def _headers(t: Translator) -> tuple[str, ...]:
    return tuple(t(f"report.col.{k}") for k in TABLE_LABELS)


def _cell(row: dict, key: str, t: Translator) -> str:
    value = row.get(key)
    if key in ("created", "acknowledged") and value:
        return value[:16].replace("T", " ")  # local time, minutes
    if key == "status":
        return t(f"report.status.{value}")
    if key == "sos":
        return "SOS" if value else ""
    return "" if value is None else str(value)


def _table(rows: list[dict], t: Translator, *, aligned: bool) -> str:
    """Aligned columns for people (full-width characters count double), tab-separated for pipes."""
    lines = [_headers(t)] + [tuple(_cell(r, k, t) for k in TABLE_KEYS) for r in rows]
    if not rows:
        lines.append((t("report.no_matching"),))
    if not aligned:
        return "\n".join("\t".join(line) for line in lines)
    widths = [max(_width(line[n]) for line in lines if n < len(line)) for n in range(len(lines[0]))]
    return "\n".join("  ".join(cell + " " * (widths[n] - _width(cell)) for n, cell in enumerate(line)).rstrip()
                     for line in lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
