"""`kasuhara` command line: serve, check-config, db, incidents, audit, teams-package.

Each command is a `Command` in COMMANDS: its name, the catalog key of its help, a function
adding its arguments, and the function that runs it. A new command (or group) is one
`register(Command(...))` call; help and messages come from flows/locales/*/cli.json.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot import cli_incidents, cli_reports, cli_web, security_cli
from bot.config import ConfigError, Settings
from bot.console import Console, cli_locale
from bot.redact import redact, redact_url

log = logging.getLogger("kasuhara")


@dataclass(frozen=True)
class Command:
    name: str
    help_key: str  # cli.help.<…> in flows/locales/*/cli.json
    configure: Callable[[argparse.ArgumentParser, Console], None]
    run: Callable[[argparse.Namespace, Console], int]
    # A module that adds its own parser to the sub-commands (e.g. bot.cli_reports.register).
    attach: Callable[[argparse._SubParsersAction], None] | None = None


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add a command (or command group) to `kasuhara`."""
    COMMANDS[command.name] = command
    return command


class _Parser(argparse.ArgumentParser):
    """argparse with our catalog's words for usage, section titles, help and errors."""

    console: Console

    def error(self, message: str):  # noqa: D102 - argparse's signature
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {self.console.text('help.error')}: {message}\n")


def parser_class(console: Console) -> type[_Parser]:
    """A parser class speaking `console`'s language, also for parsers other modules add."""
    usage = console.text("help.usage")

    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage_text, actions, groups, prefix=None):
            super().add_usage(usage_text, actions, groups, usage if prefix is None else prefix)

    class Parser(_Parser):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)
            self.console = console
            self._positionals.title = console.text("help.positionals")
            self._optionals.title = console.text("help.optionals")
            for action in self._actions:
                if isinstance(action, argparse._HelpAction):
                    action.help = console.text("help.help")

        def add_subparsers(self, **kwargs):
            kwargs.setdefault("parser_class", Parser)
            kwargs.setdefault("title", console.text("help.commands"))
            return super().add_subparsers(**kwargs)

    return Parser


def add_subcommands(parser: argparse.ArgumentParser, console: Console, dest: str) -> argparse._SubParsersAction:
    """Sub-commands under `parser` whose own parsers speak the user's language too."""
    return parser.add_subparsers(dest=dest, required=True)


def add_subcommand(sub: argparse._SubParsersAction, console: Console, name: str, help_key: str) -> _Parser:
    text = console.text(help_key.removeprefix("cli."))
    return sub.add_parser(name, help=text, description=text)


def build_parser(console: Console) -> argparse.ArgumentParser:
    parser = parser_class(console)(prog="kasuhara", description=console.text("help.description"))
    sub = add_subcommands(parser, console, "command")
    for command in COMMANDS.values():
        if command.attach is not None:
            command.attach(sub)
        else:
            command.configure(add_subcommand(sub, console, command.name, command.help_key), console)
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv_file()
    console = Console(cli_locale(os.environ))
    args = build_parser(console).parse_args(argv)
    setup_logging(serving=args.command == "serve")
    try:
        return COMMANDS[args.command].run(args, console)
    except ConfigError as error:
        from bot.failures import StartupError

        prefix = "" if isinstance(error, StartupError) else f"{console.text('config_error')}: "
        print(f"kasuhara: {prefix}{redact(str(error))}", file=console.err)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # every start-up failure: one line, the traceback only when asked
        from bot.failures import describe

        if logging.getLogger().isEnabledFor(logging.DEBUG):
            log.exception("%s failed", args.command)
        worded = describe(error, os.environ.get("DATABASE_URL") or Settings.database_url, console.t)
        if worded is not None:
            print(f"kasuhara: {worded}", file=console.err)
        else:
            print(console.text("unexpected", error=redact(f"{type(error).__name__}: {error}")), file=console.err)
        return 2


def load_dotenv_file() -> None:
    """Read ./.env when present; variables already set in the environment win."""
    from dotenv import load_dotenv

    path = Path.cwd() / ".env"
    if path.is_file():
        load_dotenv(path, override=False)


# Libraries that log every SQL statement at INFO and their parameters or request payloads
# (user ids, message text) at DEBUG: kept at WARNING whatever LOG_LEVEL says, so the log stays
# readable and consultation identities never reach it. APScheduler logs each 1 s tick at INFO;
# Alembic announces its context on every command.
VENDOR_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "psycopg", "alembic", "apscheduler")


def quiet_vendor_loggers() -> None:
    for name in VENDOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class _StderrHandler(logging.StreamHandler):
    """Log to whatever sys.stderr is now (commands run in-process in tests swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def setup_logging(*, serving: bool) -> None:
    """INFO for `serve`, WARNING for one-shot commands (a quiet CLI); LOG_LEVEL overrides both."""
    from bot import redact as redaction

    root = logging.getLogger()
    level = os.environ.get("LOG_LEVEL") or ("INFO" if serving else "WARNING")
    root.setLevel(level.upper())
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    redaction.install(root, redaction.secret_values(os.environ))
    quiet_vendor_loggers()


# -- commands --------------------------------------------------------------------------------

def _serve(args, console: Console) -> int:
    from bot.serve import run
    from bot.tryout import serve_tryout, tryout_allowed

    settings = Settings.from_env()
    if tryout_allowed(settings):  # no Slack/Teams credentials: the local try-out, never a half-configured bot
        return asyncio.run(serve_tryout(settings)) or 0
    return run(settings, console)


def _check_config_arguments(parser: argparse.ArgumentParser, console: Console) -> None:
    parser.add_argument("--online", action="store_true", help=console.text("help.online"))
    parser.add_argument("--strict", action="store_true", help=console.text("help.strict"))


def _check_config(args, console: Console) -> int:
    from bot.checks import run_checks

    report = asyncio.run(run_checks(Settings.from_env(), console.t, online=args.online))
    for line in report.lines():
        print(line, file=console.out)
    return report.exit_code(args.strict)


def _db_arguments(parser: argparse.ArgumentParser, console: Console) -> None:
    sub = add_subcommands(parser, console, "action")
    add_subcommand(sub, console, "upgrade", "help.db_upgrade")
    backup = add_subcommand(sub, console, "backup", "help.db_backup")
    backup.add_argument("--out", help=console.text("help.db_backup_out"))
    restore = add_subcommand(sub, console, "restore", "help.db_restore")
    restore.add_argument("file", help=console.text("help.db_restore_file"))


def _db(args, console: Console) -> int:
    from bot.failures import check_database_url
    from storage import migrate

    settings = Settings.from_env()
    check_database_url(settings.database_url, console.t)
    if args.action == "backup":
        from bot.backup import backup

        path = backup(settings.database_url, Path(args.out) if args.out else None, console.t)
        console.say("db.backed_up", path=str(path))
        return 0
    if args.action == "restore":
        from bot.backup import restore

        kept = restore(settings.database_url, Path(args.file), console.t)
        console.say("db.restored", url=redact_url(settings.database_url), file=args.file, kept=str(kept))
        return 0
    migrate.upgrade(settings.database_url)
    console.say("db.upgraded", url=redact_url(settings.database_url),
                revision=migrate.current_revision(settings.database_url))
    return 0


def _package_arguments(parser: argparse.ArgumentParser, console: Console) -> None:
    parser.add_argument("--out", default="kasuhara-teams.zip", help=console.text("help.package_out"))


def _teams_package(args, console: Console) -> int:
    from adapters.teams.package import build_package

    app_id = os.environ.get("TEAMS_APP_ID", "")
    if not app_id:
        raise ConfigError(console.text("package.no_app_id"))
    try:
        path = build_package(app_id, Path(args.out))
    except ValueError as error:
        raise ConfigError(f"TEAMS_APP_ID: {error}") from None
    console.say("package.written", path=str(path))
    return 0


def _nothing(parser: argparse.ArgumentParser, console: Console) -> None:
    return None


register(Command("serve", "help.serve", _nothing, _serve))
register(Command("check-config", "help.check_config", _check_config_arguments, _check_config))
register(Command("db", "help.db", _db_arguments, _db))
register(Command("incidents", "help.incidents", _nothing, lambda args, console: cli_incidents.run(args),
                 attach=cli_incidents.register))
# security_cli.register adds `keys` and `audit` (issue 9) and returns their handlers
_SECURITY: dict = {}
register(Command("keys", "help.keys", _nothing, lambda args, console: _SECURITY["keys"](args),
                 attach=lambda sub: _SECURITY.update(security_cli.register(sub))))
register(Command("audit", "help.audit", _nothing, lambda args, console: _SECURITY["audit"](args),
                 attach=lambda sub: None))
register(Command("report", "help.report", _nothing, lambda args, console: cli_reports.run(args),
                 attach=cli_reports.register))
register(Command("teams-package", "help.teams_package", _package_arguments, _teams_package))
register(Command("web", "help.web", _nothing, lambda args, console: cli_web.run(args), attach=cli_web.register))
# cli_reports.register (above) adds the customers parser too
register(Command("customers", "help.customers", _nothing, lambda args, console: cli_reports.run_customers(args),
                 attach=lambda sub: None))

if __name__ == "__main__":
    sys.exit(main())
