"""Schema migrations with Alembic: `kasuhara db upgrade`, and on first start."""
from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from storage.db import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (creates the SQLite file if needed)."""
    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision(database_url: str) -> str:
    """The newest revision this version ships (the same for every database)."""
    return _head_of_scripts()


@functools.cache
def _head_of_scripts() -> str:
    # Reading the revision scripts costs ~6 ms; they cannot change while the process runs.
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
