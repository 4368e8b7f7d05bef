"""The Slack adapter: bolt app and its middleware, notifier, HTTP route and Socket Mode.

`build_slack` does no network I/O, so the bot starts even when Slack is unreachable. The
bot token is verified (auth.test) at start-up and then in the background, never in the path
of an incoming request (see token_check.py). `verify_credentials` asks once before serving:
a rejected token stops the bot, an unreachable Slack does not. Socket Mode is kept by
socket.py's supervisor (state lines, backoff).
"""
from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import failure
from adapters.errors import CredentialsRejected, PlatformUnreachable
from adapters.slack import ids, parse, respond
from adapters.slack.aftercare import AftercareRoutes
from adapters.slack.chat import ChatRoutes
from adapters.slack.consultation import ConsultationRoutes
from adapters.slack.incidents import IncidentRoutes
from adapters.slack.notifier import (REQUEST_TIMEOUT_S, VENDOR_LOGGER, Reachability, SlackNotifier, vendor_logger,
                                     web_client)
from adapters.slack.token_check import TokenCheck, iso_time
from adapters.slack.redelivery import SeenEvents
from adapters.slack.respond import ListenerGroup
from adapters.slack.shapes import envelope_problem
from adapters.slack.socket import REJECTED, SocketModeSupervisor, sdk_logger
from flows.app import Flows

log = logging.getLogger(__name__)

class SlackAdapter:
    """What bot/ needs from Slack: a notifier, an HTTP route and a Socket Mode lifecycle."""

    def __init__(self, app: AsyncApp, client: AsyncWebClient, *, signing_secret: str, app_token: str | None,
                 token_check: TokenCheck, notifier: SlackNotifier, routes: SlackRoutes | None = None):
        self.app = app
        self.routes = routes
        self.client = client
        self.notifier = notifier
        self.token_check = token_check
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._app_token = app_token
        self._socket: SocketModeSupervisor | None = None
        self._tasks: list[asyncio.Task] = []

    @property
    def mode(self) -> str:
        """'socket' (an app-level token is configured) or 'http'."""
        return "socket" if self._app_token else "http"

    async def verify_credentials(self, timeout: float = 10.0) -> None:
        """Ask Slack whether the bot token (and app-level token) work, once, before serving.

        CredentialsRejected names the variable to fix; PlatformUnreachable lets the bot start.
        """
        checks = [("SLACK_BOT_TOKEN", self.client.auth_test)]  # called one by one: a refusal stops the rest
        if self._app_token:
            checks.append(("SLACK_APP_TOKEN", lambda: self.client.apps_connections_open(app_token=self._app_token)))
        for setting, call in checks:
            try:
                await asyncio.wait_for(call(), timeout)
            except SlackApiError as error:
                code = error.response.get("error", "?")
                if code in REJECTED:
                    raise CredentialsRejected(setting, code) from None
                raise PlatformUnreachable(self.client.base_url, code) from None
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
                raise PlatformUnreachable(self.client.base_url, type(error).__name__) from None

    def mount(self, web_app: web.Application) -> None:
        """Serve POST /slack/events (HTTP mode); skipped without a signing secret."""
        if self._verifier is None:
            log.warning("SLACK_SIGNING_SECRET is not set: %s is not served (Socket Mode only)", ids.EVENTS_PATH)
            return
        web_app.router.add_post(ids.EVENTS_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """Translate an aiohttp request for bolt; a body bolt cannot parse gets 400 (401 if unsigned)."""
        arrived = time.monotonic()
        raw = await request.read()
        signed = self._verifier is not None and self._verifier.is_valid_request(raw, dict(request.headers))
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as problem:  # bad JSON, bad encoding, wrong shapes: never a 500
            log.warning("unreadable Slack request (%s): %s", "signed" if signed else "unsigned", type(problem).__name__)
            return web.Response(status=400 if signed else 401)
        if signed:  # unsigned requests are bolt's to refuse (401); shapes are checked only when signed
            problem = envelope_problem(bolt_request.body)
            if problem:
                log.warning("malformed Slack payload: %s", problem)
                return web.Response(status=400)
        bolt_request.context[ids.ARRIVED] = arrived  # listeners answer within Slack's 3 s from here
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def start(self) -> None:
        """Verify the token in the background; connect Socket Mode (xapp-…) without waiting for Slack."""
        if self.client.session is None:
            # Kept-alive connections for bolt's own calls (views.open, ephemeral answers): slack_sdk
            # otherwise opens a session and a connection per call. Bolt's per-request clients share it.
            self.client.session = aiohttp.ClientSession()
        self._tasks.append(asyncio.create_task(self.token_check.run()))
        if self._app_token:
            handler = AsyncSocketModeHandler(self.app, self._app_token, web_client=self.client,
                                             proxy=self.client.proxy, logger=sdk_logger())
            self._socket = SocketModeSupervisor(handler)
            self._socket.start()

    async def socket_connected(self) -> bool | None:
        """Whether the Socket Mode WebSocket is up; None in HTTP mode."""
        if not self._app_token:
            return None
        try:
            return bool(self._socket is not None and await self._socket.handler.client.is_connected())
        except Exception:  # noqa: BLE001
            return False

    async def health(self) -> dict:
        """Reachability for /healthz: last successful Web API call, token state, Socket Mode."""
        reach = self.notifier.reachability
        return {"reachable": reach.reachable, "last_ok": iso_time(reach.last_ok),
                "last_failure": iso_time(reach.last_failure), "last_error": reach.last_error, "token_verified": self.token_check.verified,
                "socket_mode_connected": await self.socket_connected()}

    async def stop(self) -> None:
        """Stop the token check; close the Socket Mode connection, if any."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        await self.notifier.close()
        if self.client.session is not None and not self.client.session.closed:
            await self.client.session.close()
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.stop()


def build_slack(flows: Flows, *, bot_token: str, signing_secret: str, api_url: str | None = None,
                app_token: str | None = None, request_timeout: float = REQUEST_TIMEOUT_S) -> SlackAdapter:
    """Wire the bolt app to the flows; `api_url` points the Web API elsewhere (tests, proxies).

    `request_timeout` bounds each Web API call (seconds; below the outbox's lease, LEASE_S).
    """
    if not signing_secret and not app_token:
        raise ValueError("Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); "
                         "copy them from the app's Basic Information page")
    client = web_client(bot_token, api_url, timeout=request_timeout)
    reachability = Reachability()
    notifier = SlackNotifier(web_client(bot_token, api_url, retry_connection_errors=False, timeout=request_timeout),
                             reachability)
    token_check = TokenCheck(client, bot_token, reachability)
    app = AsyncApp(
        name=VENDOR_LOGGER,  # bolt sets the level of the logger named after the app: never our "kasuhara"
        client=client,
        authorize=token_check.authorize_function(),  # never auth.test in the request path
        signing_secret=signing_secret or None,
        request_verification_enabled=bool(signing_secret),
        process_before_response=False,
        logger=vendor_logger(),  # bolt logs request bodies at DEBUG: never let it
    )
    routes = SlackRoutes(flows)
    routes.register(app)
    return SlackAdapter(app, client, signing_secret=signing_secret, app_token=app_token, token_check=token_check,
                        notifier=notifier, routes=routes)


class SlackRoutes(ListenerGroup):
    """Attach the middleware and every capability's listeners to one bolt app."""

    def __init__(self, flows: Flows):
        super().__init__(flows)
        self._seen = SeenEvents()
        self.incidents = IncidentRoutes(flows)
        self.aftercare = AftercareRoutes(flows)
        self.consultation = ConsultationRoutes(flows)
        self.chat = ChatRoutes(flows, self.incidents)

    def register(self, app: AsyncApp) -> None:
        """Register middleware, then listeners (bolt runs the first match).

        Bolt tries listeners in order, building each matcher's arguments: the slash command and
        messages (matched by payload type, never by an action id) come first, so the most common
        request, `/kasuhara`, matches at once.
        """
        app.use(self.reject_malformed)
        app.use(self.skip_redelivered_events)
        app.error(self.on_error)
        self.chat.register(app)
        for routes in (self.incidents, self.aftercare, self.consultation):
            routes.register(app)
        app.action(ids.ANY_ACTION)(self.not_available)  # last: only ids no listener above knows

    async def reject_malformed(self, body, next):
        """Answer 400 to a signed request whose shape is not Slack's (runs after verification)."""
        try:
            parse.check_envelope(body)
        except parse.MalformedPayload as problem:
            log.warning("malformed Slack payload: %s", problem)
            return BoltResponse(status=400, body="")
        return await next()

    async def skip_redelivered_events(self, body, next):
        """Acknowledge an Events API retry (same event_id) without handling it twice."""
        if body.get("type") == "event_callback" and not self._seen.first_time(body.get("event_id", "")):
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return await next()

    async def on_error(self, error, response):
        """Map parse errors raised before ack to 400; log everything else (without content)."""
        if isinstance(error, parse.MalformedPayload) and response is not None:
            log.warning("malformed Slack payload: %s", error)
            return BoltResponse(status=400, body="")
        log.error("Slack listener failed: %s", failure(error))
        return None

    async def not_available(self, ack, body, client: AsyncWebClient):
        """Answer a button this version does not know (e.g. on an old message) instead of failing."""
        click = parse.button_click(body)
        await ack()
        await respond.to_clicker(client, click, self._text("slack.action.unavailable"))
