"""Fixtures for the web adapter: the real runtime served on 127.0.0.1, the stand-in Slack, a browser."""
from __future__ import annotations

import pytest

from tests.adapters.web.browser import require_chromium, session_browser
from tests.adapters.slack.slack_standin import SlackStandIn
from tests.adapters.web.web_world import open_web_world


@pytest.fixture
async def standin():
    fake = SlackStandIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def world(tmp_path, standin):
    opened, close = await open_web_world(tmp_path, standin)
    yield opened
    await close()


@pytest.fixture(scope="session")
def browser_session():
    """One headless Chromium for the whole session (starting one takes seconds; see start_in_background)."""
    require_chromium()
    import asyncio

    browser = session_browser()
    yield browser
    asyncio.run(browser.close())


@pytest.fixture
async def browser(browser_session):
    await browser_session.run(browser_session.driver.delete_all_cookies)
    yield browser_session
