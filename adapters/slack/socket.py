"""Keep the Socket Mode connection: one log line per state change, retries with backoff.

slack_sdk's client retries a failed connection every `ping_interval` seconds forever and logs
a full traceback each time (60 lines every 11 s when Slack is unreachable). Here its own
reconnecting is switched off and a small supervisor does it instead: connect, watch, and on
a network error say so in one line and try again after 1, 2, 4 … 60 s. A rejected app token
is said once per attempt too (the start-up check, SlackAdapter.verify_credentials, already
refused to serve with one): the operator may fix it without a restart.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from adapters.errors import CredentialsRejected

log = logging.getLogger("kasuhara.slack.socket")

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
WATCH_EVERY_S = 2.0
CONNECT_TIMEOUT_S = 8.0  # below slack_sdk's 10 s ping interval: its own retry loop never runs twice
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
REJECTED = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                      "not_allowed_token_type"})


class _OneLine(logging.Filter):
    """Drop tracebacks from the SDK's socket client records unless DEBUG logging is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not logging.getLogger().isEnabledFor(logging.DEBUG):
            error = record.exc_info[1]
            record.msg, record.args = f"{record.getMessage()} ({type(error).__name__})", ()
            record.exc_info, record.exc_text = None, None
        return True


def sdk_logger() -> logging.Logger:
    """The logger handed to slack_sdk's socket client: WARNING and up, one line each."""
    logger = logging.getLogger("kasuhara.slack.socket.sdk")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
    return logger


class SocketModeSupervisor:
    """Own one AsyncSocketModeHandler's connection for the life of the process."""

    def __init__(self, handler: AsyncSocketModeHandler, *, first_delay: float = FIRST_DELAY_S,
                 max_delay: float = MAX_DELAY_S, watch_every: float = WATCH_EVERY_S):
        self.handler = handler
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.watch_every = watch_every
        self.connected = False
        self.delays: list[float] = []  # every wait before a retry, in order (what the log said)
        self._task: asyncio.Task | None = None
        client = handler.client
        client.default_auto_reconnect_enabled = False  # we reconnect, with backoff
        client.auto_reconnect_enabled = False

    def start(self) -> None:
        """Connect in the background and keep the connection; never waits for Slack."""
        log.info("Slack Socket Mode: connecting")
        self._task = asyncio.create_task(self._watch(retry_in=0.0))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.handler.close_async()
        if self.connected:
            log.info("Slack Socket Mode: disconnected")
        self.connected = False

    async def _attempt(self) -> None:
        client = self.handler.client
        try:
            client.wss_uri = await client.issue_new_wss_url()
        except SlackApiError as error:
            code = error.response.get("error", "?")
            if code in REJECTED:
                raise CredentialsRejected("SLACK_APP_TOKEN", code) from None
            raise aiohttp.ClientError(f"apps.connections.open: {code}") from None
        await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT_S)

    async def _watch(self, retry_in: float | None) -> None:
        delay = self.first_delay / 2  # the first failure waits first_delay
        while True:
            if retry_in is None:
                await asyncio.sleep(self.watch_every)
                if await self.handler.client.is_connected():
                    continue
                log.warning("Slack Socket Mode: connection lost; reconnecting")
                self.connected = False
                delay = self.first_delay / 2
            elif retry_in:
                await asyncio.sleep(retry_in)
            try:
                await self._attempt()
            except CredentialsRejected as rejected:
                delay = min(delay * 2, self.max_delay)
                self.delays.append(delay)
                log.error("Slack Socket Mode: Slack rejected %s (%s); retrying in %g s", rejected.setting,
                          rejected.reason, delay)
                retry_in = delay
                continue
            except NETWORK_ERRORS as error:
                delay = min(delay * 2, self.max_delay)
                self._not_connected(error, delay)
                retry_in = delay
                continue
            self._connected()
            retry_in = None
            delay = self.first_delay / 2

    def _connected(self) -> None:
        self.connected = True
        log.info("Slack Socket Mode: connected")

    def _not_connected(self, error: BaseException, delay: float) -> None:
        self.delays.append(delay)
        detail = str(error).splitlines()[0] if str(error) else ""
        log.warning("Slack Socket Mode: not connected (%s%s); retrying in %g s", type(error).__name__,
                    f": {detail}" if detail else "", delay)
