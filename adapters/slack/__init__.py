"""The Slack adapter: bolt app, listeners, notifier, HTTP route and Socket Mode.

`build_slack` does no network I/O, so the bot starts even when Slack is unreachable; the
token is checked lazily (auth.test) on the first request.
"""
from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids
from adapters.slack.listeners import SlackListeners
from adapters.slack.notifier import SlackNotifier, vendor_logger, web_client
from flows.service import Flows

log = logging.getLogger(__name__)

__all__ = ["SlackAdapter", "build_slack"]


class SlackAdapter:
    """What bot/ needs from Slack: a notifier, an HTTP route and a Socket Mode lifecycle."""

    def __init__(self, app: AsyncApp, client: AsyncWebClient, *, signing_secret: str, app_token: str | None):
        self.app = app
        self.client = client
        self.notifier = SlackNotifier(client)
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None

    def mount(self, web_app: web.Application) -> None:
        """Serve POST /slack/events (HTTP mode); skipped without a signing secret."""
        if self._verifier is None:
            log.warning("SLACK_SIGNING_SECRET is not set: %s is not served (Socket Mode only)", ids.EVENTS_PATH)
            return
        web_app.router.add_post(ids.EVENTS_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Translate an aiohttp request for bolt; a body bolt cannot parse gets 400 (401 if unsigned)."""
        raw = await request.read()
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as problem:  # bad JSON, bad encoding, wrong shapes: never a 500
            signed = self._verifier is not None and self._verifier.is_valid_request(raw, dict(request.headers))
            log.warning("unreadable Slack request (%s): %s", "signed" if signed else "unsigned", type(problem).__name__)
            return web.Response(status=400 if signed else 401)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def start(self) -> None:
        """Connect Socket Mode when an app-level token (xapp-…) is configured."""
        if not self._app_token:
            return
        self._socket = AsyncSocketModeHandler(self.app, self._app_token, web_client=self.client,
                                              proxy=self.client.proxy, logger=vendor_logger())
        await self._socket.connect_async()

    async def stop(self) -> None:
        """Close the Socket Mode connection, if any."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None


def build_slack(flows: Flows, *, bot_token: str, signing_secret: str, api_url: str | None = None,
                app_token: str | None = None) -> SlackAdapter:
    """Wire the bolt app to the flows; `api_url` points the Web API elsewhere (tests, proxies)."""
    if not signing_secret and not app_token:
        raise ValueError("Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); "
                         "copy them from the app's Basic Information page")
    client = web_client(bot_token, api_url)
    app = AsyncApp(
        name="kasuhara",
        client=client,
        signing_secret=signing_secret or None,
        request_verification_enabled=bool(signing_secret),
        process_before_response=False,
        logger=vendor_logger(),  # bolt logs request bodies at DEBUG: never let it
    )
    SlackListeners(flows).register(app)
    return SlackAdapter(app, client, signing_secret=signing_secret, app_token=app_token)
