"""Authenticate inbound Bot Framework requests strictly, without blocking the event loop.

botbuilder 4.17's CloudAdapter answers a missing, expired or badly signed token with HTTP 500
(only PermissionError becomes 401), and fetches the OpenID signing keys with a blocking
`requests.get` inside the request. `StrictAuthentication` turns every authentication failure
into PermissionError (-> 401), accepts only tokens from the channel's issuer (Teams never
sends emulator or skill tokens), and refreshes the keys in a worker thread before the SDK
would do it on the loop. Connector clients get the CA bundle and proxy of adapters/http.py.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import jwt
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity, ConnectorFactory
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from adapters.teams.config import BotFrameworkConfig
from adapters.teams.credentials import SecretCredentialFactory
from adapters.teams.transport import EnvSession, proxies_for, verify_setting

log = logging.getLogger(__name__)

KEYS_MAX_AGE = timedelta(hours=23)  # the SDK refetches (blocking) after 24 h
UNKNOWN_KID_RETRY = timedelta(minutes=5)  # the SDK refetches (blocking) on an unknown kid after 1 h
CLOCK_SKEW = timedelta(minutes=5)  # what the SDK allows too


class SigningKeys:
    """Keep botbuilder's cached OpenID signing keys for one metadata URL fresh, off the loop."""

    def __init__(self, metadata_url: str, env: Mapping[str, str]):
        self.metadata_url = metadata_url
        self._env = env
        self._cache = JwtTokenExtractor.get_open_id_metadata(metadata_url)  # the SDK's shared cache entry
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Fetch the OpenID metadata and JWKS in a worker thread and hand them to the SDK."""
        async with self._lock:
            await self._refresh()

    async def ensure_fresh(self, kid: str | None) -> None:
        """Refresh when the keys are old, or when the token names a key we don't have yet."""
        if self._stale(kid):
            async with self._lock:  # concurrent requests wait for one refresh, not one each
                if self._stale(kid):
                    await self._refresh()

    def current(self) -> list[dict]:
        """The cached JWKS keys (as the SDK holds them)."""
        return list(self._cache.keys or ())

    def _stale(self, kid: str | None) -> bool:
        age = datetime.now() - self._cache.last_updated
        known = any(key.get("kid") == kid for key in self._cache.keys)
        return age > KEYS_MAX_AGE or (not known and age > UNKNOWN_KID_RETRY)

    async def _refresh(self) -> None:
        keys = await asyncio.to_thread(self._fetch)
        self._cache.keys = keys
        self._cache.last_updated = datetime.now()  # naive local time, as the SDK compares it

    def _fetch(self) -> list[dict]:
        with EnvSession(self._env) as session:
            metadata = session.get(self.metadata_url)
            metadata.raise_for_status()
            jwks = session.get(metadata.json()["jwks_uri"])
            jwks.raise_for_status()
            return jwks.json()["keys"]


class KeysUnavailable(RuntimeError):
    """The signing keys could not be fetched: the request can't be judged (answer 503)."""


class StrictAuthentication(ConfigurationBotFrameworkAuthentication):
    """ConfigurationBotFrameworkAuthentication that fails closed with PermissionError."""

    def __init__(self, config: BotFrameworkConfig, env: Mapping[str, str]):
        factory = SecretCredentialFactory(config.APP_ID, config.APP_PASSWORD, env) \
            if config.APP_TYPE != "UserAssignedMSI" else None
        super().__init__(config, credentials_factory=factory)
        self._config = config
        self._env = env
        self.keys = SigningKeys(config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, env)

    async def check_token(self, auth_header: str) -> None:
        """Verify the token's signature, issuer, audience and lifetime before the body is read.

        An unauthenticated request then costs no parsing; `authenticate_request` still runs
        the SDK's full check (endorsements, serviceUrl claim) on the parsed activity.
        """
        if not self._config.auth_enabled:
            return
        token = _bearer(auth_header)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise PermissionError(f"malformed token: {error}") from None
        kid = header.get("kid")
        try:
            await self.keys.ensure_fresh(kid)
        except Exception as error:
            raise KeysUnavailable(f"signing keys from {self.keys.metadata_url}: {error}") from error
        key = next((k for k in self.keys.current() if k.get("kid") == kid), None)
        if key is None:
            raise PermissionError("token signed with an unknown key")
        try:
            jwt.decode(token, jwt.PyJWK(key, algorithm="RS256").key, algorithms=["RS256"],
                       audience=self._config.APP_ID, issuer=self._config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
                       leeway=CLOCK_SKEW.total_seconds())
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise PermissionError(f"{type(error).__name__}: {error}") from None

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """Validate the channel's token or raise PermissionError (KeysUnavailable: can't judge)."""
        if not self._config.auth_enabled:
            return self._with_tls(await super().authenticate_request(activity, None))
        token = _bearer(auth_header)
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as error:
            raise PermissionError(f"malformed token: {error}") from None
        if issuer != self._config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER:
            raise PermissionError(f"token issuer {issuer!r} is not the channel's")
        try:
            await self.keys.ensure_fresh(header.get("kid"))
        except Exception as error:
            raise KeysUnavailable(f"signing keys from {self.keys.metadata_url}: {error}") from error
        try:
            result = await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as error:  # expired, bad signature, unknown key, endorsement…
            raise PermissionError(f"{type(error).__name__}: {error}") from None
        return self._with_tls(result)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _TlsConnectorFactory(super().create_connector_factory(claims_identity), self._env)

    def _with_tls(self, result: AuthenticateRequestResult) -> AuthenticateRequestResult:
        if result.connector_factory is not None:
            result.connector_factory = _TlsConnectorFactory(result.connector_factory, self._env)
        return result


class _TlsConnectorFactory(ConnectorFactory):
    """Give every connector client our CA bundle and proxy (the SDK's default is requests' own)."""

    def __init__(self, inner: ConnectorFactory, env: Mapping[str, str]):
        self._inner = inner
        self._env = env

    async def create(self, service_url: str, audience: str = None):
        """Return the SDK's connector client with our CA bundle and proxy applied."""
        client = await self._inner.create(service_url, audience)
        client.config.connection.verify = verify_setting(self._env)
        client.config.proxies.use_env_settings = False
        for scheme, proxy in proxies_for(service_url, self._env).items():
            client.config.proxies.add(scheme, proxy)
        return client


def _bearer(auth_header: str | None) -> str:
    scheme, _, token = (auth_header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PermissionError("no bearer token")
    return token.strip()
