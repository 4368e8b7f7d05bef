import pytest

from bot.config import ConfigError, Settings
from tests.keys import TEST_KEY


def test_defaults():
    settings = Settings.from_env({})
    assert settings.port == 3978 and settings.database_url == "sqlite:///kasuhara.db"
    assert str(settings.config_path) == "kasuhara.yaml"


def test_teams_without_credentials_refuses_unless_local_development():
    env = {"KASUHARA_SECRET_KEY": TEST_KEY, "TEAMS_APP_ID": "abc"}
    assert any("TEAMS_APP_PASSWORD" in p for p in Settings.from_env(env).problems())
    local = Settings.from_env({"KASUHARA_SECRET_KEY": TEST_KEY, "KASUHARA_TEAMS_LOCAL_DEV": "1"})
    assert local.problems() == [] and local.host == "127.0.0.1" and local.teams_allow_unauthenticated


def test_missing_secret_key_and_platforms_are_problems_with_fixes():
    problems = Settings.from_env({}).problems()
    assert any("KASUHARA_SECRET_KEY" in p and "Fix:" in p for p in problems)
    assert any("SLACK_BOT_TOKEN" in p for p in problems)


def test_bad_port_is_refused():
    with pytest.raises(ConfigError, match="PORT"):
        Settings.from_env({"PORT": "http"})


def test_bot_framework_endpoint_settings_pass_through():
    settings = Settings.from_env({"ToBotFromChannelOpenIdMetadataUrl": "https://127.0.0.1:9/openid", "OTHER": "x"})
    assert settings.teams_endpoint_settings() == {"ToBotFromChannelOpenIdMetadataUrl": "https://127.0.0.1:9/openid"}


def test_teams_without_an_allowed_tenant_is_a_problem_naming_both_places():
    from pathlib import Path
    from bot.policy_file import load_policy

    policy = load_policy(Path(__file__).resolve().parents[2] / "kasuhara.example.yaml")
    env = {"KASUHARA_SECRET_KEY": TEST_KEY, "TEAMS_APP_ID": "abc", "TEAMS_APP_PASSWORD": "pw"}
    [problem] = Settings.from_env(env).problems(policy)
    assert "TEAMS_APP_TENANT_ID" in problem and "teams: {tenants: [...]}" in problem and "Fix:" in problem
    assert Settings.from_env({**env, "TEAMS_APP_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47"}).problems(policy) == []
