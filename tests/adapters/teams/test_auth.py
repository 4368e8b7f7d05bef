"""Inbound Bot Framework JWT authentication, for real: signed tokens, served keys, real HTTP.

The adapter is built with `build_teams` directly and only the mapping it is given: the test
CA reaches it through that mapping (SSL_CERT_FILE), not through the process environment.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams import build_teams
from bot.app import prepare_database
from bot.policy_file import load_policy
from tests.adapters.teams.teams_harness import APP_ID, PASSWORD, POLICY, payload
from flows.model import Platform
from flows.app import Flows
from flows.deps import Dependencies
from storage.db import Database
from storage.directory import SqlConversationDirectory
from tests.adapters.teams.teams_standin import CHANNEL_ISSUER
from tests.databases import migrated_sqlite
from tests.keys import TEST_KEY, sealer_for

PERSONAL_USER = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"


@pytest.fixture
async def teams_only(tmp_path, microsoft, clock, serve, monkeypatch):
    """The Teams adapter alone on an aiohttp app, with real flows and storage behind it."""
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    url = migrated_sqlite(tmp_path / 'auth.db', TEST_KEY)
    prepare_database(url)
    store = Database(url, sealer_for(url))
    directory = SqlConversationDirectory(store)

    async def build(**settings):
        values = {"app_id": APP_ID, "password": PASSWORD, "env": microsoft.env(), "clock": clock}
        values.update(settings)
        adapter = build_teams(Flows(Dependencies(load_policy(POLICY), store, clock)), directory, **values)
        await adapter.start()
        app = web.Application()
        adapter.mount(app)
        client = await serve(app, microsoft)
        client.directory = directory
        return client

    yield build
    await store.close()


async def stored_nothing(client) -> bool:
    return await client.directory.keys(Platform.TEAMS) == []


async def test_a_valid_channel_token_is_accepted_and_the_reply_is_authorized(teams_only, microsoft):
    bot = await teams_only()
    status, _ = await bot.send(payload("teams_message_personal_report", microsoft.service_url))
    assert status == 201
    [reply] = microsoft.sent()
    assert reply.authorization.removeprefix("Bearer ") in microsoft.issued  # MSAL over https with the test CA
    assert await bot.directory.keys(Platform.TEAMS) == [PERSONAL_USER]


@pytest.mark.parametrize("token", [
    pytest.param(None, id="no token"),
    pytest.param("not-a-jwt", id="garbage"),
    pytest.param(lambda m: m.mint(aud="00000000-0000-0000-0000-000000000000"), id="wrong audience"),
    pytest.param(lambda m: m.mint(iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"),
                 id="emulator issuer"),
    pytest.param(lambda m: m.mint(iss="https://api.botframework.evil"), id="wrong issuer"),
    pytest.param(lambda m: m.mint(service_url="https://smba.trafficmanager.net/amer/"), id="serviceurl mismatch"),
    pytest.param(lambda m: m.mint(lifetime=-600), id="expired beyond 5 min skew"),
    pytest.param(lambda m: m.mint(key=rsa.generate_private_key(65537, 2048)), id="signed by another key"),
    pytest.param(lambda m: m.mint(kid="unknown-key"), id="unknown key id"),
])
async def test_bad_tokens_get_401_and_nothing_is_stored_or_sent(teams_only, microsoft, token):
    bot = await teams_only()
    activity = payload("teams_message_personal_report", microsoft.service_url)
    status, _ = await bot.send(activity, token=token(microsoft) if callable(token) else token)
    assert status == 401
    assert microsoft.sent() == []
    assert await stored_nothing(bot)


async def test_a_non_bearer_scheme_gets_401(teams_only, microsoft):
    bot = await teams_only()
    status, _ = await bot.send(payload("teams_message_personal_report", microsoft.service_url), token=None,
                               headers={"Authorization": f"Basic {microsoft.mint()}"})
    assert status == 401


async def test_keys_without_the_msteams_endorsement_are_refused(teams_only, microsoft):
    bot = await teams_only()
    activity = payload("teams_message_personal_report", microsoft.service_url, channelId="skype")
    status, _ = await bot.send(activity)
    assert status == 401


async def test_signing_keys_are_fetched_at_start_not_per_request(teams_only, microsoft):
    before = dict(microsoft.counts)
    bot = await teams_only()
    assert microsoft.counts.get("jwks", 0) == before.get("jwks", 0) + 1
    for _ in range(3):
        status, _ = await bot.send(payload("teams_invoke_task_fetch_report", microsoft.service_url))
        assert status == 200
    assert microsoft.counts["jwks"] == before.get("jwks", 0) + 1
    assert microsoft.counts["openid"] == before.get("openid", 0) + 1


async def test_a_rotated_signing_key_is_fetched_when_a_token_names_it(teams_only, microsoft, monkeypatch):
    import adapters.teams.auth as auth

    bot = await teams_only()
    monkeypatch.setattr(auth, "UNKNOWN_KID_RETRY", timedelta(0))  # don't wait 5 minutes for the test
    fetched = microsoft.counts["jwks"]
    token = microsoft.mint(key=microsoft.rotate("rotated-key"), kid="rotated-key")
    status, _ = await bot.send(payload("teams_invoke_task_fetch_report", microsoft.service_url), token=token)
    assert status == 200
    assert microsoft.counts["jwks"] == fetched + 1


async def test_the_outbound_token_is_reused_across_turns(teams_only, microsoft):
    bot = await teams_only()
    before = microsoft.counts.get("token", 0)
    for _ in range(3):
        assert (await bot.send(payload("teams_message_personal_report", microsoft.service_url)))[0] == 201
    assert microsoft.counts["token"] - before == 1


async def test_a_rejected_client_secret_is_our_failure_not_the_callers(teams_only, microsoft):
    bot = await teams_only(password="wrong-secret")
    status, _ = await bot.send(payload("teams_message_personal_report", microsoft.service_url))
    assert status == 500  # not 401: Teams' token was fine, ours was refused
    assert microsoft.sent() == []


async def test_wrong_content_type_and_broken_json(teams_only, microsoft):
    bot = await teams_only()
    async with bot.session.post(bot.url, data="hello", headers={"Content-Type": "text/plain"}) as response:
        assert response.status == 415
    async with bot.session.post(bot.url, data="{", headers={"Content-Type": "application/json",
                                                            "Authorization": f"Bearer {microsoft.mint()}"}) as response:
        assert response.status == 400
    async with bot.session.post(bot.url, data="{", headers={"Content-Type": "application/json"}) as response:
        assert response.status == 401  # the token is checked before the body is read


async def test_an_unauthenticated_large_body_is_refused_without_being_parsed(teams_only, microsoft, monkeypatch):
    from botbuilder.schema import Activity

    parsed = []
    monkeypatch.setattr(Activity, "deserialize", lambda self, data: parsed.append(1))  # vendor SDK edge
    bot = await teams_only()
    big = payload("teams_message_personal_report", microsoft.service_url, text="x" * 870_000)
    status, _ = await bot.send(big, token=None)
    assert status == 401 and parsed == []
    status, _ = await bot.send(big)  # authenticated but over the bound
    assert status == 413 and parsed == []


async def test_another_tenant_is_refused_403_before_anything_is_stored(teams_only, microsoft):
    bot = await teams_only()
    foreign = payload("teams_message_personal_report", microsoft.service_url, text="sos 店舗入口")
    foreign["conversation"]["tenantId"] = "0f0f0f0f-1111-2222-3333-444444444444"
    foreign["channelData"]["tenant"]["id"] = "0f0f0f0f-1111-2222-3333-444444444444"
    status, _ = await bot.send(foreign)
    assert status == 403
    assert microsoft.sent() == [] and await stored_nothing(bot)
    del foreign["conversation"]["tenantId"], foreign["channelData"]["tenant"]
    status, _ = await bot.send(foreign)
    assert status == 403 and await stored_nothing(bot)  # no tenant at all: not ours either


async def test_the_single_tenant_of_teams_app_tenant_id_is_accepted(teams_only, microsoft, tmp_path):
    own = "a1b2c3d4-0000-4000-8000-000000000001"
    bot = await teams_only(tenant_id=own, app_type="SingleTenant")
    mine = payload("teams_message_personal_report", microsoft.service_url)
    mine["conversation"]["tenantId"] = mine["channelData"]["tenant"]["id"] = own
    assert (await bot.send(mine))[0] == 201


async def test_local_development_mode_accepts_requests_without_a_token(teams_only, microsoft):
    bot = await teams_only(app_id="", password="", allow_unauthenticated=True)
    status, body = await bot.send(payload("teams_invoke_task_fetch_report", microsoft.service_url), token=None)
    assert status == 200 and body["task"]["type"] == "continue"


async def test_the_issuer_the_channel_uses_is_the_one_we_expect(microsoft):
    assert CHANNEL_ISSUER == "https://api.botframework.com"
