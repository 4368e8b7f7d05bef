"""`kasuhara db backup` and `kasuhara db restore` for the SQLite database.

The audit chain's anchor file (storage/anchors.py) travels with the database: a backup copies
it beside the backup (`<backup>.audit-anchors`), a restore puts it back, so `kasuhara audit
verify` judges the restored chain against the anchors of the same moment.

The backup uses SQLite's online backup API: a consistent copy while the bot keeps running
and writing (copying the file by hand can catch it half-written, and misses the -wal file).
PostgreSQL has its own tools (pg_dump / pg_restore, see docs/production.md).
"""
from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from bot.failures import StartupError, sqlite_path
from flows.i18n import Translator
from storage.anchors import anchors_path

ANCHORS_SUFFIX = ".audit-anchors"

BUSY_TIMEOUT_S = 30.0  # the bot may hold the write lock for a moment


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _database_file(url: str, t: Translator) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise StartupError(t("cli.db.backup_not_sqlite"))
    return path


def _copy(source: sqlite3.Connection, target: Path) -> None:
    with closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)) as destination:
        source.backup(destination)
        (result,) = destination.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise StartupError(f"{target}: integrity_check: {result}")


def backup(url: str, out: Path | None, t: Translator) -> Path:
    """Copy the live database to `out` (default: beside it, named with the UTC time)."""
    path = _database_file(url, t)
    if not path.exists():
        raise StartupError(t("cli.db.backup_missing", path=str(path)))
    out = out or path.with_name(f"{path.stem}-{_stamp()}.db")
    if out.exists():
        raise StartupError(t("cli.db.backup_exists", path=str(out)))
    anchors = anchors_path(url)
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as source:
        _copy(source, out)
        if anchors.is_file():  # copied while the database is held: no anchor of a later moment slips in
            shutil.copyfile(anchors, out.with_name(out.name + ANCHORS_SUFFIX))
    return out


def restore(url: str, backup_file: Path, t: Translator) -> Path | None:
    """Replace the database's content with a backup; the current content is kept beside it first.

    Stop `kasuhara serve` before restoring: a running bot keeps its timers in memory.
    """
    path = _database_file(url, t)
    if not backup_file.is_file():
        raise StartupError(t("cli.db.restore_missing", path=str(backup_file)))
    try:
        with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as source:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            (check,) = source.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError:
        raise StartupError(t("cli.db.restore_not_backup", path=str(backup_file))) from None
    if "alembic_version" not in tables or check != "ok":
        raise StartupError(t("cli.db.restore_not_backup", path=str(backup_file)))
    kept = None
    if path.exists():
        kept = backup(url, path.with_name(f"{path.stem}-before-restore-{_stamp()}.db"), t)
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as source:
        _copy(source, path)
    saved_anchors = backup_file.with_name(backup_file.name + ANCHORS_SUFFIX)
    if saved_anchors.is_file():
        shutil.copyfile(saved_anchors, anchors_path(url))
    return kept
