"""The app manifest is valid for Slack and matches what the adapter listens to; catalogs match."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from adapters.slack import ids
from flows.i18n import LOCALES_DIR, catalog_keys

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "manifest" / "slack" / "manifest.yaml"
SCHEMA = Path(__file__).parent / "schemas" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@pytest.fixture
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_is_valid_against_the_v1_schema(validator, manifest):
    assert manifest["_metadata"]["major_version"] == 1
    problems = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(manifest)]
    assert problems == []


@pytest.mark.parametrize("break_it", [
    lambda m: m["display_information"].pop("name"),
    lambda m: m["features"]["slash_commands"][0].update(command="kasuhara"),
    lambda m: m["settings"].update(socket_mode=True),
    lambda m: m["features"]["bot_user"].update(display_name=""),
])
def test_the_schema_check_catches_broken_manifests(validator, manifest, break_it):
    break_it(manifest)
    assert list(validator.iter_errors(manifest))


def test_manifest_declares_what_the_adapter_uses(manifest):
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["usage_hint"] == "report | sos [場所] | 相談 | help"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "im:write", "im:history", "channels:history", "groups:history",
                      "app_mentions:read", "files:write",
                      "channels:read", "groups:read", "users:read"}  # check-config --online: conversations/users.info
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.im", "message.channels", "message.groups"}
    home = manifest["features"]["app_home"]  # people write to the app: anonymous consultation by DM
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["org_deploy_enabled"] is False
    assert "/slack/events" in MANIFEST.read_text(encoding="utf-8")  # the HTTP-mode hint


def test_slack_catalogs_have_the_same_keys_all_prefixed():
    ja = json.loads((LOCALES_DIR / "ja" / "slack.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALES_DIR / "en" / "slack.json").read_text(encoding="utf-8"))
    assert set(ja) == set(en)
    assert all(key.startswith("slack.") for key in ja)
    assert set(ja) <= catalog_keys("ja") and set(en) <= catalog_keys("en")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_modal_titles_fit_slack(locale):
    catalog = json.loads((LOCALES_DIR / locale / "slack.json").read_text(encoding="utf-8"))
    for key in ("slack.modal.title", "slack.confirm.title", "slack.modal.close", "slack.done.follow_up",
                "slack.done.reveal", "slack.done.reply"):
        assert 0 < len(catalog[key]) <= 24, key
