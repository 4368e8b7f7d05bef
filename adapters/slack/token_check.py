"""The bot token, verified off the request path (auth.test at start-up and in the background).

bolt's own authorization would call auth.test lazily on the first request; while the Web API
is unreachable that request would fail before our listener runs, and a `/kasuhara sos` would
store nothing. bolt gets `TokenCheck.authorize_function()` instead, which never calls Slack.
"""
from __future__ import annotations

import asyncio
import logging
import time

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.notifier import Reachability

log = logging.getLogger(__name__)


class TokenCheck:
    """auth.test at start-up and every few minutes, off the request path; bolt's authorize reads it.

    Until Slack has answered once, requests are still served (signed by Slack, so they come from
    our workspace) with the configured token: what a person reports is stored and answered.
    """

    INTERVAL_S = 300
    RETRY_S = (1, 2, 5, 10, 30, 60)

    def __init__(self, client: AsyncWebClient, token: str, reachability: Reachability):
        self._client = client
        self._token = token
        self._reachability = reachability
        self.identity: dict = {}
        self.verified: bool | None = None  # None: not checked yet; False: Slack refused the token

    async def verify(self) -> bool:
        try:
            response = await self._client.auth_test()
        except SlackApiError as error:
            self.verified = False
            log.error("Slack refused SLACK_BOT_TOKEN (%s). Fix: copy the Bot User OAuth Token from the app's "
                      "OAuth & Permissions page.", error.response.get("error", "?"))
            return True  # Slack answered: no point retrying quickly
        except Exception as error:  # noqa: BLE001 (unreachable: we retry)
            self._reachability.failed(type(error).__name__)
            log.warning("Slack Web API unreachable for auth.test (%s); requests are still recorded",
                        type(error).__name__)
            return False
        self._reachability.ok()
        self.verified = True
        self.identity = {k: response.get(k) for k in ("team_id", "user_id", "bot_id", "enterprise_id")}
        return True

    async def run(self) -> None:
        attempt = 0
        while True:
            if await self.verify():
                attempt = 0
                await asyncio.sleep(self.INTERVAL_S)
            else:
                await asyncio.sleep(self.RETRY_S[min(attempt, len(self.RETRY_S) - 1)])
                attempt += 1

    def authorize_function(self):
        """bolt's authorize: no network; the identity auth.test gave (bot user id) once known.

        A plain function: bolt passes arguments by the names in its signature.
        """
        async def authorize(enterprise_id, team_id, user_id) -> AuthorizeResult:
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or self.identity.get("team_id"),
                                   bot_token=self._token, bot_user_id=self.identity.get("user_id"),
                                   bot_id=self.identity.get("bot_id"), user_id=user_id)

        return authorize


def iso_time(timestamp: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)) if timestamp else None
