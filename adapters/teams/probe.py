"""Ask Microsoft, read-only, whether the bot's credentials and stored conversations still work.

Used by `kasuhara check-config --online` and at start-up: a token request with the app's
client secret, and GET /v3/conversations/{id}/members for a stored conversation (403/404:
the bot was removed from that team or chat).
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from urllib.parse import quote

import aiohttp

from adapters.http import proxy_for, ssl_context
from adapters.teams import references
from adapters.teams.config import BotFrameworkConfig, load_config
from adapters.teams.credentials import ClientSecretCredentials, TokenError

PROBE_TIMEOUT_S = 10


class TeamsProbe:
    """Token and conversation checks for one bot registration."""

    def __init__(self, config: BotFrameworkConfig, env: Mapping[str, str]):
        self.config = config
        self._env = env

    @classmethod
    def from_settings(cls, *, app_id: str, password: str, tenant_id: str, app_type: str,
                      env: Mapping[str, str]) -> "TeamsProbe":
        merged = {**os.environ, **env}
        return cls(load_config(app_id=app_id, password=password, tenant_id=tenant_id, app_type=app_type, env=merged),
                   merged)

    @property
    def login_url(self) -> str:
        return self.config.TO_CHANNEL_FROM_BOT_LOGIN_URL

    async def token(self) -> str:
        """Obtain a connector token; PermissionError when the login service refuses the credentials."""
        credentials = ClientSecretCredentials(self.config.APP_ID, self.config.APP_PASSWORD, authority=self.login_url,
                                              scope=self.config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE, env=self._env)
        try:
            return await asyncio.to_thread(credentials.get_access_token)
        except TokenError as error:
            raise PermissionError(str(error).split(" — ")[0]) from None

    async def conversation_status(self, stored: dict, token: str) -> int:
        """HTTP status of the conversation's member list (200: the bot is there); 0 when unreachable."""
        reference = references.load(stored)
        url = f"{reference.service_url.rstrip('/')}/v3/conversations/{quote(reference.conversation.id, safe='')}/members"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)) as session:
                async with session.get(url, headers={"Authorization": f"Bearer {token}"},
                                       ssl=ssl_context(self._env), proxy=proxy_for(url, self._env)) as response:
                    return response.status
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            return 0
