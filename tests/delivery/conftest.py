"""Fault tests of the outbox: the Slack stand-in, served runtimes and `kasuhara serve` processes."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "slack"))

from slack_standin import SlackStandIn  # noqa: E402
from tests.storage.conftest import postgres_url  # noqa: E402,F401  (the throwaway PostgreSQL)


@pytest.fixture
async def standin():
    fake = SlackStandIn()
    await fake.start()
    yield fake
    await fake.stop()
