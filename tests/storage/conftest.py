"""Backends for the storage contract suite: SQLite always; PostgreSQL when a server can run.

PostgreSQL comes from KASUHARA_TEST_POSTGRES_URL, or a throwaway cluster started with the
machine's initdb/pg_ctl on 127.0.0.1 (CI installs them), else those tests are skipped.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


# A throwaway cluster need not survive a crash: no fsync, so its commits cost no disk flush.
THROWAWAY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class _Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl), stopped at the latest on exit."""

    def __init__(self, initdb: str, pg_ctl: str):
        # Not under pytest's tmp dir: its parents are private to root, and postgres must not run as root.
        self.base = Path(tempfile.mkdtemp(prefix="kasuhara-pg-"))
        self.data = self.base / "data"
        self.pg_ctl = pg_ctl
        self._stopped = False
        atexit.register(self.stop)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        port = _free_port()
        subprocess.run(_as_postgres([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                     "--no-sync"]), check=True, capture_output=True)
        subprocess.run(_as_postgres([pg_ctl, "-D", str(self.data), "-o",
                                     f"-p {port} -k {self.base} -h 127.0.0.1 {THROWAWAY}", "-w",
                                     "-l", str(self.base / "log"), "start"]), check=True, capture_output=True)
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE kasuhara"],
                       check=True, capture_output=True)
        self.url = f"postgresql://postgres@127.0.0.1:{port}/kasuhara"

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"]),
                           capture_output=True)
            shutil.rmtree(self.base, ignore_errors=True)


_starting: Future | None = None


def _tools() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return (initdb, pg_ctl) if initdb and pg_ctl else None


def start_postgres_in_background() -> None:
    """Start the throwaway cluster in a worker thread while other tests run (it takes 1-2 s).

    tests/conftest.py calls this once the collected tests are known to need PostgreSQL; the
    `postgres_url` fixture then waits for it (and starts it itself when nobody did).
    """
    global _starting
    tools = _tools()
    if _starting is None and tools and not os.environ.get("KASUHARA_TEST_POSTGRES_URL"):
        pool = ThreadPoolExecutor(1, thread_name_prefix="postgres")
        _starting = pool.submit(_Cluster, *tools)
        pool.shutdown(wait=False)


@pytest.fixture(scope="session")
def postgres_url():
    if os.environ.get("KASUHARA_TEST_POSTGRES_URL"):
        yield os.environ["KASUHARA_TEST_POSTGRES_URL"]
        return
    if not _tools():
        pytest.skip("no PostgreSQL server here (set KASUHARA_TEST_POSTGRES_URL or install postgresql)")
    start_postgres_in_background()
    cluster = _starting.result()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from storage.db import sync_url
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path):
    """An empty database on each backend (for the migrations themselves)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.db'}"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


def _admin(postgres_url: str):
    from sqlalchemy import create_engine

    from storage.db import sync_url
    return create_engine(sync_url(postgres_url), isolation_level="AUTOCOMMIT")


def _other_database(postgres_url: str, name: str) -> str:
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def postgres_template(postgres_url):
    """A PostgreSQL database migrated to head and first opened with TEST_KEY, once per session.

    Like tests/databases.py for SQLite: each test gets a clone (CREATE DATABASE … TEMPLATE),
    which takes a fraction of the migrations' time; test_contract still migrates from scratch.
    """
    from sqlalchemy import text

    from storage import migrate
    from storage.keys import open_keys
    from tests.keys import TEST_KEY

    name = f"kasuhara_template_{uuid.uuid4().hex[:10]}"
    admin = _admin(postgres_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = _other_database(postgres_url, name)
    migrate.upgrade(url)
    if migrate.current_revision(url) != migrate.head_revision(url):
        raise RuntimeError(f"template database {name} is not at the head revision")
    open_keys(url, TEST_KEY)  # the first start: salt, digest key and key check stored
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request, tmp_path: Path):
    """A database at the head revision, first opened with TEST_KEY, on each backend: a copy of a template."""
    from tests.databases import migrated_sqlite
    from tests.keys import TEST_KEY

    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "contract.db", TEST_KEY)
    from sqlalchemy import text

    postgres_url = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    name = f"kasuhara_{uuid.uuid4().hex[:10]}"
    admin = _admin(postgres_url)
    with admin.connect() as connection:
        # A file copy of the small template beats PostgreSQL 15's default (WAL_LOG): ~20 ms
        # against ~35-50 ms per clone here, and its DROP is faster too (fsync is off).
        strategy = " STRATEGY FILE_COPY" if connection.dialect.server_version_info >= (15,) else ""
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    request.addfinalizer(drop)
    return _other_database(postgres_url, name)
