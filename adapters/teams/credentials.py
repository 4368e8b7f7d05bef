"""App credentials for bot -> connector calls, without MSAL's instance discovery.

botbuilder's stock credentials build a new MSAL app for every connector client and let MSAL
ask Microsoft's public login host whether the authority is "known" before each token
request. That fails for national clouds and private login URLs, repeats the token request on
every turn, and runs on the event loop (the SDK calls `get_access_token` synchronously while
signing a request). Here one MSAL app per (scope, login URL) is kept, with discovery off and
the CA/proxy settings of adapters/http.py, and `create_credentials` fetches the token in a
worker thread first, so the synchronous call the SDK makes later is a cache hit.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping

from botframework.connector.auth import MicrosoftAppCredentials, ServiceClientCredentialsFactory
from msal import ConfidentialClientApplication

from adapters.teams.transport import EnvSession


class TokenError(RuntimeError):
    """The login endpoint refused to issue a token for the bot (wrong secret, wrong tenant…).

    Not a PermissionError: botbuilder maps those to HTTP 401, but this is our own failure.
    """


class ClientSecretCredentials(MicrosoftAppCredentials):
    """Client-credentials tokens from one MSAL app (cached by MSAL until shortly before expiry)."""

    def __init__(self, app_id: str, password: str, *, authority: str, scope: str, env: Mapping[str, str]):
        super().__init__(app_id, password, oauth_scope=scope)
        self.oauth_endpoint = authority
        self._env = env
        self._msal: ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def get_access_token(self, force_refresh: bool = False) -> str:
        """Return a bearer token (blocking: network only when MSAL's cache has none left)."""
        scope = self.oauth_scope if self.oauth_scope.endswith("/.default") else self.oauth_scope + "/.default"
        result = self._app().acquire_token_for_client(scopes=[scope])
        if "access_token" not in result:
            raise TokenError(f"token request to {self.oauth_endpoint} failed: {result.get('error', 'unknown error')}: "
                             f"{result.get('error_description', '')} — check TEAMS_APP_ID, TEAMS_APP_PASSWORD and "
                             "TEAMS_APP_TENANT_ID / ToChannelFromBotLoginUrl")
        return result["access_token"]

    async def warm(self) -> None:
        """Fetch (or re-validate) the token in a worker thread so the SDK's sync call won't block."""
        await asyncio.to_thread(self.get_access_token)

    def _app(self) -> ConfidentialClientApplication:
        with self._lock:
            if self._msal is None:
                self._msal = ConfidentialClientApplication(
                    client_id=self.microsoft_app_id,
                    client_credential=self.microsoft_app_password,
                    authority=self.oauth_endpoint,
                    validate_authority=False,
                    instance_discovery=False,
                    http_client=EnvSession(self._env),
                )
            return self._msal


class SecretCredentialFactory(ServiceClientCredentialsFactory):
    """Hand out one warmed `ClientSecretCredentials` per (scope, login URL)."""

    def __init__(self, app_id: str, password: str, env: Mapping[str, str]):
        self._app_id = app_id
        self._password = password
        self._env = env
        self._cache: dict[tuple[str, str], ClientSecretCredentials] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(self._app_id) and app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        return not self._app_id

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> MicrosoftAppCredentials:
        if not self._app_id:
            return MicrosoftAppCredentials.empty()
        if app_id != self._app_id:
            raise PermissionError(f"credentials requested for app id {app_id!r}, which is not this bot's")
        key = (oauth_scope, login_endpoint)
        credentials = self._cache.get(key)
        if credentials is None:
            credentials = ClientSecretCredentials(app_id, self._password, authority=login_endpoint,
                                                  scope=oauth_scope, env=self._env)
            self._cache[key] = credentials
        await credentials.warm()
        return credentials
