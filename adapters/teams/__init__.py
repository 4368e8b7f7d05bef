"""Microsoft Teams adapter: POST /api/messages on the shared aiohttp app, plus a Notifier.

Every botbuilder import stays inside adapters/teams/ (the SDK is archived; moving to the
Microsoft 365 Agents SDK must touch only this folder).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from msrest.serialization import Model

from adapters.teams import ids
from adapters.teams.auth import KeysUnavailable, StrictAuthentication
from adapters.teams.bot import TeamsBot
from adapters.teams.config import BotFrameworkConfig, load_config
from adapters.teams.notifier import SystemClock, TeamsNotifier
from adapters.teams.privacy import failure, quiet_vendor_loggers
from flows.ports import Clock, ConversationDirectory
from flows.service import Flows

log = logging.getLogger(__name__)

__all__ = ["TeamsAdapter", "build_teams"]


class TeamsAdapter:
    """The Teams side of the app: an aiohttp route, a Notifier, and start-up warm-up."""

    def __init__(self, config: BotFrameworkConfig, auth: StrictAuthentication, adapter: CloudAdapter,
                 bot: TeamsBot, notifier: TeamsNotifier):
        self.config = config
        self.notifier = notifier
        self._auth = auth
        self._adapter = adapter
        self._bot = bot

    def mount(self, app: web.Application) -> None:
        """Add POST /api/messages to the shared aiohttp app."""
        app.router.add_post(ids.MESSAGES_PATH, self.handle)

    async def start(self) -> None:
        """Fetch the OpenID signing keys now, in a thread, so the first request isn't blocked."""
        if not self.config.auth_enabled:
            log.warning("Teams runs WITHOUT authentication (local development only)")
            return
        try:
            await self._auth.keys.refresh()
        except Exception as error:  # not fatal: the next request tries again (in a thread too)
            log.error("could not fetch Teams signing keys from %s: %s", self._auth.keys.metadata_url, error)

    async def stop(self) -> None:
        """Nothing to release: connector clients and MSAL sessions are per request/credential."""
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Authenticate, then process one activity: 401 for any token problem, never 500.

        botbuilder's CloudAdapter.process answers bad tokens with 500 and serialises invoke
        bodies twice (ActivityHandler already returns a dict), so this does its job.
        """
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        try:
            activity = Activity().deserialize(await request.json())
        except (ValueError, TypeError, AttributeError, DeserializationError):
            return web.Response(status=400)
        if not activity.type:
            return web.Response(status=400)
        try:
            authenticated = await self._auth.authenticate_request(activity, request.headers.get("Authorization", ""))
        except PermissionError as refusal:
            log.info("Teams request refused: %s", refusal)
            return web.Response(status=401)
        except KeysUnavailable as error:
            log.error("Teams request not judged: %s", error)
            return web.Response(status=503, headers={"Retry-After": "5"})
        try:
            invoke = await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)
        except Exception:  # logged by _log_and_raise; aiohttp would log the message and traceback
            return web.Response(status=500)
        if invoke is None:
            return web.Response(status=201)
        body = serializer_helper(invoke.body) if isinstance(invoke.body, Model) else invoke.body
        return web.json_response(body, status=invoke.status)


def build_teams(flows: Flows, directory: ConversationDirectory, *, app_id: str, password: str,
                tenant_id: str = "", app_type: str = "MultiTenant", env: Mapping[str, str] | None = None,
                allow_unauthenticated: bool = False, clock: Clock | None = None) -> TeamsAdapter:
    """Build the Teams adapter; raise ValueError (saying how to fix it) on bad settings.

    `env` holds the Bot Framework endpoint settings (ToBotFromChannelOpenIdMetadataUrl, …)
    on top of the process environment, where SSL_CERT_FILE/REQUESTS_CA_BUNDLE and the proxy
    variables are read too.
    """
    env = {**os.environ, **(env or {})}
    config = load_config(app_id=app_id, password=password, tenant_id=tenant_id, app_type=app_type, env=env,
                         allow_unauthenticated=allow_unauthenticated)
    clock = clock or SystemClock()
    quiet_vendor_loggers()
    auth = StrictAuthentication(config, env)
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = _log_and_raise
    bot = TeamsBot(flows, directory, clock)
    notifier = TeamsNotifier(adapter, directory, app_id=config.APP_ID, clock=clock)
    return TeamsAdapter(config, auth, adapter, bot, notifier)


async def _log_and_raise(context: TurnContext, error: Exception) -> None:
    """Log which activity failed and let the error reach the caller (HTTP 500 or the outbox).

    Without the error's message: it may carry SQL parameters or a URL naming a person's chat.
    """
    activity = context.activity
    kind = getattr(activity.type, "value", activity.type)
    name = getattr(activity.name, "value", activity.name) or "-"
    log.warning("Teams %s/%s failed: %s", kind, name, failure(error))
    raise error
