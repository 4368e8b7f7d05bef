"""Teams settings: clear errors at start-up, Bot Framework endpoints per cloud."""
from __future__ import annotations

import pytest

from adapters.teams import build_teams
from adapters.teams.config import load_config
from bot.policy_file import load_policy
from flows.app import Flows
from flows.deps import Dependencies
from tests.adapters.teams.teams_harness import POLICY
from tests.fakes import FakeClock

APP_ID = "2f0d1c3b-8a4e-4b6f-9c7d-5e1a0b2c3d4e"


def make(**settings):
    values = {"app_id": APP_ID, "password": "secret", "tenant_id": "", "app_type": "MultiTenant", "env": {}}
    values.update(settings)
    flows = Flows(Dependencies(load_policy(POLICY), store=None, clock=FakeClock()))  # building touches no storage
    return build_teams(flows, None, **values)


@pytest.mark.parametrize("settings, message", [
    ({"app_id": ""}, "TEAMS_APP_ID is empty"),
    ({"password": " "}, "TEAMS_APP_PASSWORD is empty"),
    ({"app_id": "", "password": ""}, "local-development flag"),
    ({"app_type": "SingleTenant"}, "TEAMS_APP_TENANT_ID is required"),
    ({"app_type": "UserAssignedMSI", "password": ""}, "TEAMS_APP_TENANT_ID is required"),
    ({"app_type": "Personal"}, "MultiTenant, SingleTenant, UserAssignedMSI"),
    ({"env": {"ChannelService": "https://example.org"}}, "ChannelService"),
    ({"env": {"ToChannelFromBotLoginUrl": "http://127.0.0.1:1/botframework.com"}}, "must be an https URL"),
])
def test_bad_settings_stop_start_up_with_the_fix(settings, message):
    with pytest.raises(ValueError, match=message):
        make(**settings)


def test_unauthenticated_only_with_the_local_development_flag():
    adapter = make(app_id="", password="", allow_unauthenticated=True)
    assert adapter.config.auth_enabled is False


def test_public_cloud_defaults():
    config = load_config(app_id=APP_ID, password="s", env={})
    assert config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == "https://api.botframework.com"
    assert config.TO_CHANNEL_FROM_BOT_LOGIN_URL == "https://login.microsoftonline.com/botframework.com"
    assert config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE == "https://api.botframework.com"


def test_single_tenant_logs_in_to_its_own_tenant():
    config = load_config(app_id=APP_ID, password="s", tenant_id="contoso-tenant", app_type="singletenant", env={})
    assert config.APP_TYPE == "SingleTenant"
    assert config.TO_CHANNEL_FROM_BOT_LOGIN_URL == "https://login.microsoftonline.com/contoso-tenant"


def test_us_government_cloud_from_channel_service():
    config = load_config(app_id=APP_ID, password="s", env={"ChannelService": "https://botframework.azure.us"})
    assert config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == "https://api.botframework.us"
    assert config.TO_CHANNEL_FROM_BOT_LOGIN_URL.startswith("https://login.microsoftonline.us/")
    assert config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL.startswith("https://login.botframework.azure.us/")


def test_each_endpoint_setting_overrides_one_value():
    env = {"ToBotFromChannelOpenIdMetadataUrl": "https://keys.example/openid",
           "ToBotFromChannelTokenIssuer": "https://issuer.example",
           "ToChannelFromBotLoginUrl": "https://login.example/tenant",
           "ToChannelFromBotOAuthScope": "https://scope.example"}
    config = load_config(app_id=APP_ID, password="s", env=env)
    assert (config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
            config.TO_CHANNEL_FROM_BOT_LOGIN_URL, config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE) == tuple(env.values())
