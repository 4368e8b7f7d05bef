"""Teams credentials and Bot Framework endpoints, validated once at start-up.

botbuilder's `ConfigurationBotFrameworkAuthentication` reads its settings as attributes of a
configuration object (APP_ID, TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, …). `BotFrameworkConfig`
is that object. The endpoint settings come from the environment variables Microsoft's docs
use (ToBotFromChannelOpenIdMetadataUrl, …); every one that is not set gets the value of the
cloud named by ChannelService (public cloud when empty), so botbuilder always runs its
"parameterized" code path and we know which OpenID metadata URL to warm.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from botframework.connector.auth import AuthenticationConstants, GovernmentConstants

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")

# environment variable -> attribute botbuilder reads
ENDPOINT_SETTINGS = {
    "ToBotFromChannelOpenIdMetadataUrl": "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "ToBotFromChannelTokenIssuer": "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "ToChannelFromBotLoginUrl": "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "ToChannelFromBotOAuthScope": "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "ToBotFromEmulatorOpenIdMetadataUrl": "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
    "OAuthUrl": "OAUTH_URL",
}

_PUBLIC = {
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    "TO_CHANNEL_FROM_BOT_LOGIN_URL": AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    "OAUTH_URL": AuthenticationConstants.OAUTH_URL,
}
_GOVERNMENT = {
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    "TO_CHANNEL_FROM_BOT_LOGIN_URL": GovernmentConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": GovernmentConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    "OAUTH_URL": GovernmentConstants.OAUTH_URL_GOV,
}
_DEFAULT_TENANT = {"public": AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT,
                   "government": GovernmentConstants.DEFAULT_CHANNEL_AUTH_TENANT}


@dataclass(frozen=True)
class BotFrameworkConfig:
    """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TENANTID: str
    APP_TYPE: str
    CHANNEL_SERVICE: str | None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str
    OAUTH_URL: str
    VALIDATE_AUTHORITY: bool = False  # MSAL instance discovery is off anyway (see credentials.py)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.APP_ID)


def load_config(*, app_id: str, password: str, tenant_id: str = "", app_type: str = "MultiTenant",
                env: Mapping[str, str], allow_unauthenticated: bool = False) -> BotFrameworkConfig:
    """Validate the Teams settings and fill every Bot Framework endpoint; raise ValueError."""
    app_id, password, tenant_id = (app_id or "").strip(), (password or "").strip(), (tenant_id or "").strip()
    kind = next((k for k in APP_TYPES if k.lower() == (app_type or "MultiTenant").strip().lower()), None)
    if kind is None:
        raise ValueError(f"TEAMS_APP_TYPE={app_type!r} is not supported: use one of {', '.join(APP_TYPES)}")
    _check_credentials(kind, app_id, password, tenant_id, allow_unauthenticated)
    channel_service = (env.get("ChannelService") or "").strip() or None
    if channel_service and channel_service != GovernmentConstants.CHANNEL_SERVICE:
        raise ValueError(f"ChannelService={channel_service!r} is unknown: leave it empty for the public cloud or "
                         f"set {GovernmentConstants.CHANNEL_SERVICE} for US Government")
    cloud = "government" if channel_service else "public"
    values = dict(_GOVERNMENT if channel_service else _PUBLIC)
    if kind != "MultiTenant" and tenant_id:
        values["TO_CHANNEL_FROM_BOT_LOGIN_URL"] += tenant_id
    else:
        values["TO_CHANNEL_FROM_BOT_LOGIN_URL"] += _DEFAULT_TENANT[cloud]
    for variable, attribute in ENDPOINT_SETTINGS.items():
        if (env.get(variable) or "").strip():
            values[attribute] = env[variable].strip()
    login = urlparse(values["TO_CHANNEL_FROM_BOT_LOGIN_URL"])
    if login.scheme != "https" or not login.path.strip("/"):
        raise ValueError("ToChannelFromBotLoginUrl must be an https URL with a tenant path, e.g. "
                         "https://login.microsoftonline.com/botframework.com (MSAL refuses anything else)")
    return BotFrameworkConfig(APP_ID=app_id, APP_PASSWORD=password, APP_TENANTID=tenant_id, APP_TYPE=kind,
                              CHANNEL_SERVICE=channel_service, **values)


def _check_credentials(kind: str, app_id: str, password: str, tenant_id: str, allow_unauthenticated: bool) -> None:
    if not app_id and not password and allow_unauthenticated:
        return  # local development against the Bot Framework Emulator: no JWT checks at all
    if not app_id:
        raise ValueError("TEAMS_APP_ID is empty: set it to the bot's Microsoft App ID (Azure Bot > Configuration), "
                         "or enable the local-development flag to run Teams without authentication")
    if kind != "UserAssignedMSI" and not password:
        raise ValueError("TEAMS_APP_PASSWORD is empty: create a client secret for the bot's app registration "
                         "(Entra ID > App registrations > Certificates & secrets) and set it")
    if kind != "MultiTenant" and not tenant_id:
        raise ValueError(f"TEAMS_APP_TENANT_ID is required when TEAMS_APP_TYPE={kind}: "
                         "set it to your Microsoft Entra tenant (directory) ID")
