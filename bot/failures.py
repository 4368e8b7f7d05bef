"""Turn start-up failures into one or two lines saying what is wrong and how to fix it.

A database that is down, a URL for a database we don't support, a port that is taken: each
is an operator's everyday mistake and deserves a sentence, not a 128-line traceback. The
traceback is still there for developers with LOG_LEVEL=DEBUG.
"""
from __future__ import annotations

import errno
import re
import sqlite3
from pathlib import Path

from bot.config import ConfigError
from bot.redact import redact, redact_url
from flows.i18n import Translator

SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgres")
_MYSQL = ("mysql", "mariadb")


class StartupError(ConfigError):
    """A problem that stops the command, already worded for the operator (exit code 2)."""


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for in-memory or non-SQLite URLs)."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split(":", 1)[1]
    if not rest.startswith("///"):
        return None
    path = rest[3:].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def check_database_url(url: str, t: Translator) -> None:
    """Refuse a DATABASE_URL we cannot use before any driver sees it."""
    shown = redact_url(url)
    if "://" not in url and not url.startswith("sqlite:"):
        raise StartupError(t("cli.db.bad_url", url=shown))
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme.startswith(_MYSQL):
        raise StartupError(t("cli.db.mysql", url=shown))
    if scheme not in SUPPORTED_SCHEMES:
        raise StartupError(t("cli.db.unsupported", url=shown, scheme=scheme))
    path = sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise StartupError(t("cli.db.sqlite_dir_missing", url=shown, directory=str(path.parent)))


def describe(error: BaseException, database_url: str, t: Translator) -> str | None:
    """Word a known start-up failure for the operator; None when it is not one we know."""
    if isinstance(error, OSError) and error.errno in (errno.EADDRINUSE, errno.EACCES) and _is_bind(error):
        return None  # bot.serve words these with the address it tried
    database = _database_failure(error, database_url, t)
    if database is not None:
        return database
    return None


def _is_bind(error: OSError) -> bool:
    return "bind" in str(error).lower() or "address" in str(error).lower()


def _database_failure(error: BaseException, url: str, t: Translator) -> str | None:
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    shown = redact_url(url)
    if isinstance(error, (ArgumentError, NoSuchModuleError)):
        return t("cli.db.bad_url", url=shown)
    original = getattr(error, "orig", None) if isinstance(error, DBAPIError) else error
    if original is None:
        return None
    text = str(original)
    if isinstance(original, sqlite3.DatabaseError) or (isinstance(error, DBAPIError) and url.startswith("sqlite")):
        path = sqlite_path(url)
        where = str(path) if path else shown
        if "unable to open" in text:
            return t("cli.db.sqlite_unopenable", path=where)
        if "not a database" in text:
            return t("cli.db.sqlite_not_a_database", path=where)
        if "readonly" in text or "read-only" in text:
            return t("cli.db.sqlite_readonly", path=where)
        return t("cli.db.failed", url=shown, error=_first_line(text, url))
    module = type(original).__module__
    if not module.startswith("psycopg"):
        return None
    host, port = _host_port(url)
    if "password authentication failed" in text or "no password supplied" in text:
        return t("cli.db.auth_failed", url=shown, user=_user(url))
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return t("cli.db.no_database", url=shown, name=missing.group(1))
    if "could not translate host name" in text or "Name or service not known" in text:
        return t("cli.db.unknown_host", url=shown, host=host)
    if "Connection refused" in text or "could not connect" in text or "timeout" in text.lower() \
            or "connection failed" in text:
        return t("cli.db.unreachable", url=shown, host=host, port=port)
    return t("cli.db.failed", url=shown, error=_first_line(text, url))


def _first_line(text: str, url: str) -> str:
    return redact(text.strip().splitlines()[0] if text.strip() else text, [url])


def _host_port(url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return parts.hostname or "localhost", str(parts.port or 5432)
    except ValueError:
        return "?", "?"


def _user(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).username or "?"
