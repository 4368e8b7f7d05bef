"""One played month (tests/reports/scenario.py) on a SQLite file, shared by the module's tests."""
from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

from tests.flows.conftest import World
from tests.reports.scenario import november

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def november_db(tmp_path_factory) -> tuple[Path, dict]:
    """A database holding the November scenario, and its incidents by name (built once)."""
    folder = tmp_path_factory.mktemp("november")

    async def play():
        world = World(folder)
        try:
            return await november(world)
        finally:
            await world.store.close()

    cases = asyncio.run(play())
    return folder / "flows.db", cases


@pytest.fixture
def november_copy(november_db, tmp_path) -> tuple[Path, dict]:
    """A private copy of the November database (tests that write, e.g. audit rows)."""
    source, cases = november_db
    target = tmp_path / "november.db"
    shutil.copy(source, target)
    return target, cases


def pdftotext(data: bytes, tmp_path: Path) -> str:
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils (.ci/run does)")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
