"""Fixtures for the Slack adapter tests: the stand-in Web API and a real, served runtime."""
from __future__ import annotations

import pytest

from slack_fixtures import open_world
from slack_standin import SlackStandIn


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
