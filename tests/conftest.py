"""Suite-wide set-up: temporary files in memory when the machine has room for them."""
from __future__ import annotations

import os
import shutil
import tempfile

RAM_DISK = "/dev/shm"
RAM_DISK_MIN_FREE = 1 << 30  # Docker's default 64 MB /dev/shm would not hold a run's databases


def pytest_configure(config) -> None:
    """Keep tmp_path (the tests' SQLite files) on the RAM disk unless TMPDIR or --basetemp says otherwise.

    Every SQLite commit ends with an fsync, ~4 ms on this machine's disk and ~0 on tmpfs: thousands
    of commits made a third of the suite's wall time. The databases are as real as before; only
    their durability across a power cut, which no test checks, is gone.
    """
    if os.environ.get("TMPDIR") or config.option.basetemp:
        return
    try:
        usable = os.access(RAM_DISK, os.W_OK) and shutil.disk_usage(RAM_DISK).free >= RAM_DISK_MIN_FREE
    except OSError:
        return
    if usable:
        tempfile.tempdir = RAM_DISK


def _needs_postgres(item) -> bool:
    """Asks for the throwaway server: directly, or as the postgresql case of the storage backends."""
    callspec = getattr(item, "callspec", None)
    backends = callspec.params if callspec is not None else {}
    return "postgres_url" in getattr(item, "fixturenames", ()) or \
        "postgresql" in (backends.get("database_url"), backends.get("migrated_url"))


def pytest_collection_finish(session) -> None:
    """Start the throwaway PostgreSQL and the browser early, in the background, when collected tests need them."""
    if any(_needs_postgres(item) for item in session.items):
        from tests.storage.conftest import start_postgres_in_background

        start_postgres_in_background()
    if any("browser_session" in getattr(item, "fixturenames", ()) for item in session.items):
        from tests.adapters.web.browser import start_in_background

        start_in_background()
