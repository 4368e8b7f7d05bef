"""Fixtures for the Slack adapter tests: the stand-in Web API and a real, served runtime."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.adapters.slack.slack_fixtures import open_world
from tests.adapters.slack.slack_standin import SlackStandIn
from tests.fakes import FakeClock


@pytest.fixture
async def standin():
    fake = SlackStandIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def world(tmp_path, standin):
    opened, close = await open_world(tmp_path, standin)
    yield opened
    await close()


@pytest.fixture
def clock():
    """The flows' clock: five minutes after the incident of the report fixture (2026-01-01 00:00 UTC)."""
    return FakeClock(datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc))


@pytest.fixture
async def timed_world(tmp_path, standin, clock):
    """The served runtime on a fake clock: advance `clock`, then drain (or use `eventually`)."""
    opened, close = await open_world(tmp_path, standin, clock=clock)
    yield opened
    await close()
