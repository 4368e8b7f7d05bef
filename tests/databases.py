"""A migrated SQLite database per test, without running Alembic per test.

The real migrations run once per test session on a template file; each test gets a byte copy
of it (a file copy takes a millisecond, a migration about 200 ms). The migrations themselves
keep their own from-scratch tests (tests/storage/test_contract.py, `kasuhara serve` in
tests/bot/test_cli.py), and bot.app.prepare_database still checks every copy's revision.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_template: Path | None = None


def migrated_sqlite(path: Path) -> str:
    """Return the sqlite:/// URL of `path`, first copying the migrated template there if it is absent.

    An existing file is kept as it is, so a test that "restarts" on the same path finds its data.
    """
    path = Path(path)
    if not path.exists():
        shutil.copyfile(template(), path)
    return f"sqlite:///{path}"


def template() -> Path:
    """The session's template database, migrated to head by the real Alembic migrations on first use."""
    global _template
    if _template is None:
        from storage import migrate

        folder = Path(tempfile.mkdtemp(prefix="kasuhara-template-"))
        atexit.register(shutil.rmtree, folder, True)
        file = folder / "template.db"
        url = f"sqlite:///{file}"
        migrate.upgrade(url)
        if migrate.current_revision(url) != migrate.head_revision(url):
            raise RuntimeError(f"template database {file} is not at the head revision")
        _template = file
    return _template
