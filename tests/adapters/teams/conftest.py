"""Fixtures: Microsoft's stand-in services, and the bot served over real HTTP on 127.0.0.1."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.adapters.teams.teams_harness import APP_ID, PASSWORD, POLICY, BotClient, World
from tests.adapters.teams.teams_pki import make_pki
from tests.adapters.teams.teams_standin import StandIn
from tests.databases import migrated_sqlite
from tests.fakes import FakeClock
from tests.keys import TEST_KEY


@pytest.fixture(scope="session")
def standin(tmp_path_factory):
    service = StandIn(make_pki(tmp_path_factory.mktemp("pki")), APP_ID, PASSWORD).start()
    yield service
    service.stop()


@pytest.fixture
def microsoft(standin):
    standin.reset()
    return standin


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def serve():
    """Serve an aiohttp app on 127.0.0.1 and return a BotClient for its /api/messages."""
    servers, sessions = [], []

    async def start(app, microsoft: StandIn) -> BotClient:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        session = aiohttp.ClientSession()
        servers.append(server)
        sessions.append(session)
        return BotClient(str(server.make_url("/api/messages")), session, microsoft)

    yield start
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


@pytest.fixture
async def world(tmp_path, microsoft, monkeypatch, clock, serve):
    """The whole bot from bot.app.build_runtime, Teams enabled, served on 127.0.0.1."""
    from adapters.web import Limits
    from bot.app import build_runtime
    from bot.config import Settings
    from bot.policy_file import load_policy

    # bot.app passes only the endpoint settings; the CA bundle comes from the process environment.
    monkeypatch.setenv("SSL_CERT_FILE", str(microsoft.pki.ca_file))
    env = {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": PASSWORD, "KASUHARA_SECRET_KEY": TEST_KEY,
           "DATABASE_URL": migrated_sqlite(tmp_path / 'kasuhara.db', TEST_KEY), "KASUHARA_CONFIG": str(POLICY),
           **microsoft.env()}
    # The web pages' 1 s pause before answering a code check is tested in tests/adapters/web.
    runtime = await build_runtime(Settings.from_env(env), load_policy(POLICY), clock=clock,
                                  web_limits=Limits(guess_delay=0.0))
    for adapter in runtime.adapters:
        await adapter.start()
    client = await serve(runtime.web_app, microsoft)
    yield World(runtime, client, microsoft, clock)
    await runtime.stop()
