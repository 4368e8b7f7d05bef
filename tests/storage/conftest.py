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
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.db'}"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url
