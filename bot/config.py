"""Settings from the environment, validated once at start (the policy file: bot.policy_file).

A mistake stops the process with one message naming the variable and the fix.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.i18n import Translator

from storage.anchors import anchors_path
from storage.keys import MIN_BITS, KeyProblem, check_strength, estimate_bits


DEFAULT_PORT = 3978
TEAMS_ENDPOINT_SETTINGS = (
    "ToBotFromChannelOpenIdMetadataUrl",
    "ToBotFromChannelTokenIssuer",
    "ToChannelFromBotLoginUrl",
    "ToChannelFromBotOAuthScope",
    "ChannelService",
)


def default_host(env: Mapping[str, str], teams_enabled: bool) -> str:
    """Listen on every interface unless nothing needs inbound HTTP from outside.

    In Socket Mode Slack is reached over an outbound WebSocket: with no other HTTP platform
    the port serves only /healthz and /metrics, which stay on this machine by default.
    """
    socket_mode_only = bool(env.get("SLACK_BOT_TOKEN") and env.get("SLACK_APP_TOKEN")) and not teams_enabled
    return "127.0.0.1" if socket_mode_only else "0.0.0.0"


class ConfigError(Exception):
    """A configuration mistake, with where it is and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///kasuhara.db"
    config_path: Path = Path("kasuhara.yaml")
    port: int = DEFAULT_PORT
    host: str = "0.0.0.0"
    secret_key: str = ""
    secret_key_old: str = ""  # KASUHARA_SECRET_KEY_OLD: only for `kasuhara keys rotate`
    audit_anchors: Path = Path("kasuhara.db.audit-anchors")  # KASUHARA_AUDIT_ANCHORS (storage/anchors.py)
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    teams_app_id: str = ""
    teams_app_password: str = ""
    teams_app_tenant_id: str = ""
    teams_app_type: str = "MultiTenant"
    teams_allow_unauthenticated: bool = False  # KASUHARA_TEAMS_LOCAL_DEV=1: local development only
    teams_enabled: bool = False
    public_url: str = ""  # KASUHARA_PUBLIC_URL: the https address of the web pages (report links)
    trust_proxy: bool = False  # KASUHARA_TRUST_PROXY=1: client address from X-Forwarded-For (rate limits)
    instance_id: str = ""  # KASUHARA_INSTANCE_ID: names this process's outbox claims (replicas)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        port_text = env.get("PORT", str(DEFAULT_PORT))
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"environment: PORT={port_text!r} is not a port number. Fix: set PORT to 1-65535 "
                              f"(default {DEFAULT_PORT}).")
        local_dev = env.get("KASUHARA_TEAMS_LOCAL_DEV", "").lower() in ("1", "true", "yes")
        app_type = env.get("TEAMS_APP_TYPE", "MultiTenant")
        if app_type not in ("MultiTenant", "SingleTenant", "UserAssignedMSI"):
            raise ConfigError(f"environment: TEAMS_APP_TYPE={app_type!r} is unknown. Fix: use MultiTenant, "
                              "SingleTenant or UserAssignedMSI.")
        teams_enabled = bool(env.get("TEAMS_APP_ID") or env.get("TEAMS_APP_PASSWORD") or local_dev)
        database_url = env.get("DATABASE_URL") or "sqlite:///kasuhara.db"
        return cls(
            database_url=database_url,
            config_path=Path(env.get("KASUHARA_CONFIG") or "kasuhara.yaml"),
            port=int(port_text),
            host="127.0.0.1" if local_dev else env.get("KASUHARA_HOST") or default_host(env, teams_enabled),
            secret_key=env.get("KASUHARA_SECRET_KEY", ""),
            secret_key_old=env.get("KASUHARA_SECRET_KEY_OLD", ""),
            audit_anchors=anchors_path(database_url, env),
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL", ""),
            public_url=env.get("KASUHARA_PUBLIC_URL", "").strip().rstrip("/"),
            trust_proxy=env.get("KASUHARA_TRUST_PROXY", "").lower() in ("1", "true", "yes"),
            teams_app_id=env.get("TEAMS_APP_ID", ""),
            teams_app_password=env.get("TEAMS_APP_PASSWORD", ""),
            teams_app_tenant_id=env.get("TEAMS_APP_TENANT_ID", ""),
            teams_app_type=app_type,
            teams_allow_unauthenticated=local_dev,
            teams_enabled=teams_enabled,
            instance_id=env.get("KASUHARA_INSTANCE_ID") or f"{socket.gethostname()}:{port_text}",
            env=env,
        )

    def problems(self, policy=None, t: "Translator | None" = None) -> list[str]:
        """Return what prevents serving (empty when the settings are usable); `policy` adds its checks.

        Worded by `t` (the CLI's language; English by default).
        """
        from flows.i18n import Translator

        t = t or Translator("en")
        found = []
        if (policy is not None and self.teams_enabled and not self.teams_allow_unauthenticated
                and not self.teams_app_tenant_id and not policy.teams_tenants):
            found.append(f"environment: Teams is enabled but no Microsoft Entra tenant is allowed. Fix: set "
                         f"TEAMS_APP_TENANT_ID to your tenant id (single tenant), or list the tenants under "
                         f"`teams: {{tenants: [...]}}` in {self.config_path}; requests from any other tenant are "
                         "refused (403).")
        try:
            check_strength(self.secret_key)
        except KeyProblem:
            if not self.secret_key:
                found.append(t("cli.env.secret_missing"))
            else:
                found.append(t("cli.env.secret_weak", bits=f"{estimate_bits(self.secret_key):.0f}", minimum=MIN_BITS))
        if not self.slack_enabled and not self.teams_enabled:
            found.append(t("cli.env.no_platform"))
        if self.slack_enabled and not self.slack_signing_secret and not self.slack_app_token:
            found.append(t("cli.env.slack_signing_secret_missing"))
        if self.teams_enabled and not self.teams_allow_unauthenticated and not (
                self.teams_app_id and (self.teams_app_password or self.teams_app_type == "UserAssignedMSI")):
            found.append(t("cli.env.teams_incomplete"))
        if self.teams_app_type == "SingleTenant" and self.teams_enabled and not self.teams_app_tenant_id:
            found.append(t("cli.env.teams_tenant_missing"))
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            found.append(f"environment: KASUHARA_PUBLIC_URL={self.public_url!r} is not a URL. Fix: set the https "
                         "address your reverse proxy serves kasuhara at, e.g. https://kasuhara.example.co.jp")
        return found

    def teams_endpoint_settings(self) -> dict[str, str]:
        """Bot Framework endpoint overrides (national clouds, tests), as botbuilder names them."""
        return {k: self.env[k] for k in TEAMS_ENDPOINT_SETTINGS if self.env.get(k)}
