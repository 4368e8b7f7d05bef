"""A migrated SQLite database per test, without running Alembic per test.

The real migrations run once per test session on a template file; each test gets a byte copy
of it (a file copy takes a millisecond, a migration about 200 ms). The migrations themselves
keep their own from-scratch tests (tests/storage/test_contract.py, `kasuhara serve` in
tests/bot/test_cli.py), and bot.app.prepare_database still checks every copy's revision.

A template can also be keyed: opened once with a secret key, as the bot's first start does
(storage.keys.open_keys draws the salt, the digest key and the key check). Copies of it share
that salt, so the scrypt derivation (~60 ms, cached per key and salt by
storage.crypto.derive_master) runs once per session instead of once per test. The first start
on an empty database, other keys and salts keep their own tests on unkeyed copies
(tests/storage/test_keys.py, tests/bot/test_keys_cli.py).
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_templates: dict[str | None, Path] = {}


def migrated_sqlite(path: Path, key: str | None = None) -> str:
    """Return the sqlite:/// URL of `path`, first copying the migrated template there if it is absent.

    With `key`, the copy is of the template first opened with that key (its salt drawn).
    An existing file is kept as it is, so a test that "restarts" on the same path finds its data.
    """
    path = Path(path)
    if not path.exists():
        shutil.copyfile(template(key), path)
    return f"sqlite:///{path}"


def template(key: str | None = None) -> Path:
    """The session's template database, migrated to head by the real Alembic migrations on first use."""
    if key in _templates:
        return _templates[key]
    from storage import migrate

    folder = Path(tempfile.mkdtemp(prefix="kasuhara-template-"))
    atexit.register(shutil.rmtree, folder, True)
    file = folder / "template.db"
    url = f"sqlite:///{file}"
    if key is None:
        migrate.upgrade(url)
        if migrate.current_revision(url) != migrate.head_revision(url):
            raise RuntimeError(f"template database {file} is not at the head revision")
    else:
        from storage.keys import open_keys

        shutil.copyfile(template(None), file)
        open_keys(url, key)  # the first start: salt, digest key and key check stored
    _templates[key] = file
    return file
