"""Backends for the storage contract suite: SQLite always; PostgreSQL when a server can run.

PostgreSQL comes from KASUHARA_TEST_POSTGRES_URL, or a throwaway cluster started with the
machine's initdb/pg_ctl on 127.0.0.1 (CI installs them), else those tests are skipped.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
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


@pytest.fixture(scope="session")
def postgres_url():
    if os.environ.get("KASUHARA_TEST_POSTGRES_URL"):
        yield os.environ["KASUHARA_TEST_POSTGRES_URL"]
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server here (set KASUHARA_TEST_POSTGRES_URL or install postgresql)")
    # Not under pytest's tmp dir: its parents are private to root, and postgres must not run as root.
    base = Path(tempfile.mkdtemp(prefix="kasuhara-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", f"-p {port} -k {base} -h 127.0.0.1 {THROWAWAY}", "-w",
                                 "-l", str(base / "log"), "start"]), check=True, capture_output=True)
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE kasuhara"],
                       check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/kasuhara"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


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
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    request.addfinalizer(drop)
    return _other_database(postgres_url, name)
