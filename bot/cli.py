"""`kasuhara` command line: serve, check-config, db upgrade, incidents list, teams-package."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot import cli_incidents, cli_reports, cli_web, security_cli
from bot.config import ConfigError, Settings
from bot.tryout import serve_tryout, tryout_allowed
from bot.policy_file import load_policy

log = logging.getLogger("kasuhara")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kasuhara", description="カスハラ対応ボット / customer-harassment response bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the bot (Slack /slack/events, Teams /api/messages, /healthz)")
    sub.add_parser("check-config", help="check the environment and the policy file without starting")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    cli_incidents.register(sub)
    commands = {**COMMANDS, **security_cli.register(sub)}  # keys, audit
    cli_reports.register(sub)
    package = sub.add_parser("teams-package", help="write the Teams app package (zip) to upload")
    package.add_argument("--out", default="kasuhara-teams.zip")
    cli_web.register(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_vendor_loggers()
    try:
        return commands[args.command](args)
    except ConfigError as error:
        print(f"kasuhara: 設定エラー / configuration error: {error}", file=sys.stderr)
        return 2


# Libraries that log every SQL statement at INFO and their parameters or request payloads
# (user ids, message text) at DEBUG: kept at WARNING whatever LOG_LEVEL says, so the log stays
# readable and consultation identities never reach it. APScheduler logs each 1 s tick at INFO.
VENDOR_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "psycopg", "alembic.runtime.plugins",
                  "apscheduler")


def quiet_vendor_loggers() -> None:
    for name in VENDOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _serve(args) -> int:
    settings = Settings.from_env()
    if tryout_allowed(settings):  # no Slack/Teams credentials: the local try-out, never a half-configured bot
        return asyncio.run(serve_tryout(settings)) or 0
    policy = load_policy(settings.config_path)
    problems = settings.problems(policy)
    if problems:
        raise ConfigError("\n  ".join(problems))
    from bot.serve import serve

    asyncio.run(serve(settings, policy))
    return 0


def _check_config(args) -> int:
    settings = Settings.from_env()
    policy = load_policy(settings.config_path)
    problems = settings.problems(policy)
    for problem in problems:
        print(f"✗ {problem}", file=sys.stderr)
    if problems:  # fix these first: the delivery checks below would only repeat them
        return 2
    warnings = asyncio.run(_delivery_warnings(settings, policy))
    for warning in warnings:
        print(f"! {warning}", file=sys.stderr)
    print(f"✓ {settings.config_path}: {len(policy.units)} units, levels L1–L4, {len(policy.follow_ups)} follow-ups")
    return 1 if warnings else 0


async def _delivery_warnings(settings: Settings, policy) -> list[str]:
    """Targets that cannot receive alerts (e.g. a Teams channel the bot was never added to)."""
    from bot.checks import unreachable_targets

    return await unreachable_targets(settings, policy)


def _db(args) -> int:
    from storage import migrate

    settings = Settings.from_env()
    migrate.upgrade(settings.database_url)
    print(f"✓ {settings.database_url}: schema at {migrate.current_revision(settings.database_url)}")
    return 0


def _teams_package(args) -> int:
    from adapters.teams.package import build_package

    app_id = os.environ.get("TEAMS_APP_ID", "")
    if not app_id:
        raise ConfigError("environment: TEAMS_APP_ID is not set. Fix: set it to the Microsoft App ID of your Azure "
                          "Bot registration; the package embeds it.")
    try:
        path = build_package(app_id, Path(args.out))
    except ValueError as error:
        raise ConfigError(f"environment: TEAMS_APP_ID: {error}") from None
    print(f"✓ wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return 0


COMMANDS = {"serve": _serve, "check-config": _check_config, "db": _db, "incidents": cli_incidents.run,
            "teams-package": _teams_package, "report": cli_reports.run, "web": cli_web.run,
            "customers": cli_reports.run_customers}

if __name__ == "__main__":
    sys.exit(main())
