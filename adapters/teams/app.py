"""Microsoft Teams adapter: POST /api/messages on the shared aiohttp app, plus a Notifier.

`TeamsBot` routes each activity to the capability's routes: messages to chat.py, forms in
dialogs (task/fetch opens the one its button names, task/submit routes by form id) and the
other buttons (Action.Execute, adaptiveCard/action, routed by verb) to incidents.py,
aftercare.py and consultation.py. Every message, invoke, install and conversationUpdate
refreshes the stored conversation reference, so cards can be posted proactively later.

Every botbuilder import stays inside adapters/teams/ (the SDK is archived; moving to the
Microsoft 365 Agents SDK must touch only this folder).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import TypeVar

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleRequest, TaskModuleResponse
from msrest.exceptions import DeserializationError
from msrest.serialization import Model

from adapters.common import SystemClock, failure, went_wrong
from adapters.errors import CredentialsRejected, PlatformUnreachable
from adapters.teams import ids, parse, references
from adapters.teams.aftercare import AftercareRoutes
from adapters.teams.auth import KeysUnavailable, StrictAuthentication
from adapters.teams.chat import ChatRoutes
from adapters.teams.config import BotFrameworkConfig, load_config
from adapters.teams.consultation import ConsultationRoutes
from adapters.teams.incidents import IncidentRoutes
from adapters.teams.notifier import TeamsNotifier
from adapters.teams.parse import MalformedActivity, envelope_problem
from adapters.teams.privacy import quiet_vendor_loggers
from adapters.teams.render import activities
from flows.app import Flows
from flows.cards import ActionId
from flows.i18n import Translator
from flows.model import Platform
from flows.ports import Clock, ConversationDirectory

T = TypeVar("T")
log = logging.getLogger(__name__)

Opener = Callable[[parse.Turn, str], Awaitable[TaskModuleResponse]]
Submitter = Callable[[TurnContext, parse.Turn, parse.DialogSubmit], Awaitable[TaskModuleResponse]]
Button = Callable[[TurnContext, parse.Turn, str], Awaitable[AdaptiveCardInvokeResponse]]

# Teams activities are a few KiB; the largest we take (a dialog submit) stays far below this.
MAX_BODY_BYTES = 256 * 1024
BODY_READ_TIMEOUT_S = 10  # a client that trickles its body is cut off (headers: bot/serve.py)


class TeamsAdapter:
    """The Teams side of the app: an aiohttp route, a Notifier, and start-up warm-up."""

    def __init__(self, config: BotFrameworkConfig, auth: StrictAuthentication, adapter: CloudAdapter,
                 bot: TeamsBot, notifier: TeamsNotifier, tenants: frozenset[str] | None = None,
                 env: Mapping[str, str] | None = None):
        self.config = config
        self.tenants = tenants  # None: any tenant (local development only)
        self._env = env or {}
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

    async def verify_credentials(self) -> None:
        """Obtain a connector token once: CredentialsRejected or PlatformUnreachable if that fails."""
        from adapters.teams.probe import TeamsProbe

        if not self.config.auth_enabled or not self.config.APP_PASSWORD:
            return  # local development, or a managed identity: no client secret to check
        probe = TeamsProbe(self.config, self._env)
        try:
            await probe.token()
        except PermissionError as refusal:
            raise CredentialsRejected("TEAMS_APP_PASSWORD", str(refusal)) from None
        except OSError as error:
            raise PlatformUnreachable(probe.login_url, type(error).__name__) from None

    async def stop(self) -> None:
        """Nothing to release: connector clients and MSAL sessions are per request/credential."""
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Authenticate, then process one activity: 401 for any token problem, never 500.

        The token is checked before the body is read (an unauthenticated request costs no
        parsing), the body is bounded, and an activity from a tenant that is not allowed is
        answered 403 before anything is parsed further or stored. botbuilder's
        CloudAdapter.process answers bad tokens with 500 and serialises invoke bodies twice
        (ActivityHandler already returns a dict), so this does its job.
        """
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        header = request.headers.get("Authorization", "")
        _, refused = await _judged(self._auth.check_token(header))
        if refused is not None:
            return refused
        data = await _read_json(request)
        if isinstance(data, web.Response):
            return data
        tenant = _tenant_of(data)
        if self.tenants is not None and tenant not in self.tenants:
            log.warning("Teams request from a tenant that is not allowed refused (403)")  # no ids, no content
            return web.Response(status=403)
        problem = envelope_problem(data)
        if problem:
            log.warning("malformed Teams activity: %s", problem)
            return web.Response(status=400)
        try:
            activity = Activity().deserialize(data)
        except (ValueError, TypeError, AttributeError, KeyError, DeserializationError):
            return web.Response(status=400)
        if not activity.type or not isinstance(activity.type, str):
            return web.Response(status=400)
        authenticated, refused = await _judged(self._auth.authenticate_request(activity, header))
        if refused is not None:
            return refused
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
    variables are read too. Only activities of `tenant_id` and of the policy's `teams.tenants`
    are taken (any tenant in local development, where nothing is authenticated anyway).
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
    # The tenants whose activities are taken: TEAMS_APP_TENANT_ID and the policy's teams.tenants.
    allowed = frozenset(t.strip().lower() for t in (tenant_id, *flows.policy.teams_tenants) if t and t.strip())
    if config.auth_enabled and not allowed:
        raise ValueError("no Microsoft Entra tenant is allowed: set TEAMS_APP_TENANT_ID, or list the tenants under "
                         "`teams: {tenants: [...]}` in the policy file")
    return TeamsAdapter(config, auth, adapter, bot, notifier, tenants=allowed or None, env=env)


async def _judged(check: Awaitable[T]) -> tuple[T | None, web.Response | None]:
    """Await a credential check: its result, or the answer when it refused (401) or could not judge (503)."""
    try:
        return await check, None
    except PermissionError as refusal:
        log.info("Teams request refused: %s", refusal)
        return None, web.Response(status=401)
    except KeysUnavailable as error:
        log.error("Teams request not judged: %s", error)
        return None, web.Response(status=503, headers={"Retry-After": "5"})


async def _read_json(request: web.Request) -> object:
    """The body as JSON, read with a size and time bound; a 4xx response when it is not."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return web.Response(status=413)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT_S):
            while chunk := await request.content.read(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    return web.Response(status=413)
                chunks.append(chunk)
    except TimeoutError:
        return web.Response(status=408)
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        return web.Response(status=400)
    return data if isinstance(data, dict) else web.Response(status=400)


def _tenant_of(data: dict) -> str:
    """The activity's tenant (conversation.tenantId, else channelData.tenant.id), lower case."""
    conversation = data.get("conversation") if isinstance(data.get("conversation"), dict) else {}
    channel_data = data.get("channelData") if isinstance(data.get("channelData"), dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    value = conversation.get("tenantId") or tenant.get("id") or ""
    return value.strip().lower() if isinstance(value, str) else ""


async def _log_and_raise(context: TurnContext, error: Exception) -> None:
    """Log which activity failed and let the error reach the caller (HTTP 500 or the outbox).

    Without the error's message: it may carry SQL parameters or a URL naming a person's chat.
    """
    activity = context.activity
    kind = getattr(activity.type, "value", activity.type)
    name = getattr(activity.name, "value", activity.name) or "-"
    log.warning("Teams %s/%s failed: %s", kind, name, failure(error))
    raise error


class TeamsBot(TeamsActivityHandler):
    """Route Teams activities to the capability routes; no domain rule lives here."""

    def __init__(self, flows: Flows, directory: ConversationDirectory, clock: Clock):
        self._flows = flows
        self._directory = directory
        self._clock = clock
        incidents = IncidentRoutes(flows.incidents)
        aftercare = AftercareRoutes(flows.aftercare)
        consult = ConsultationRoutes(flows.consultation)
        self._chat = ChatRoutes(flows)
        self._refresh = incidents.refresh
        self._openers: dict[ActionId, Opener] = {
            ActionId.OPEN_REPORT: incidents.open_report, ActionId.RECORD_FOLLOW_UP: aftercare.open_record,
            ActionId.CONSULT_REVEAL: consult.open_reveal, ActionId.CONSULT_REPLY: consult.open_reply,
            ActionId.CHANGE_LEVEL: incidents.open_level}
        self._submitters: dict[str, Submitter] = {
            incidents.report_form_id: incidents.submit_report, ids.FOLLOW_UP_FORM: aftercare.submit_record,
            ids.CONSULT_REVEAL_FORM: consult.submit_reveal, ids.CONSULT_REPLY_FORM: consult.submit_reply,
            ids.LEVEL_FORM: incidents.submit_level}
        self._buttons: dict[ActionId, Button] = {
            ActionId.ACKNOWLEDGE: incidents.acknowledge, ActionId.SNOOZE_FOLLOW_UP: aftercare.snooze,
            ActionId.CHECKIN_ANSWER: aftercare.checkin, ActionId.CONSULT_START: consult.start,
            ActionId.CONSULT_NEW: consult.start_new, ActionId.CONSULT_CLOSE: consult.close}

    async def on_turn(self, turn_context: TurnContext):
        """Remember where the activity came from, then dispatch it by type."""
        if references.capturable(turn_context.activity):
            await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Dispatch an invoke: 400 when it lacks the shape Teams documents, a message on failure."""
        try:
            return await super().on_invoke_activity(turn_context)
        except MalformedActivity as problem:
            log.warning("malformed Teams invoke %s: %s", turn_context.activity.name, problem)
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST)
        except Exception as error:  # logged without its message: it may hold what a person wrote
            name = turn_context.activity.name
            log.error("Teams invoke %s failed: %s", name, failure(error))
            text = went_wrong(self._turn(turn_context).locale).title
            body = activities.card_notice(text) if name == ids.CARD_ACTION else activities.dialog_message(text)
            return InvokeResponse(status=HTTPStatus.OK, body=body)

    # -- messages ----------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext):
        """A chat command, a consultation message or a desk's answer: see chat.py."""
        await self._chat.message(turn_context, self._turn(turn_context))

    # -- dialogs ---------------------------------------------------------------------------
    async def on_teams_task_module_fetch(self, turn_context: TurnContext,
                                         task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """Open the dialog the clicked button names (report, record, reveal, reply)."""
        opened = parse.dialog_open(turn_context.activity)
        return await self._openers[opened.action](self._turn(turn_context), opened.context)

    async def on_teams_task_module_submit(self, turn_context: TurnContext,
                                          task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """Hand a submitted form to its handler; a form we no longer know is closed with a hint."""
        turn = self._turn(turn_context)
        submitted = parse.dialog_submit(turn_context.activity)
        submit = self._submitters.get(submitted.form_id)
        if submit is None:
            return activities.dialog_message(Translator(turn.locale)("teams.dialog.gone"))
        return await submit(turn_context, turn, submitted)

    # -- Action.Execute buttons ------------------------------------------------------------
    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value) -> AdaptiveCardInvokeResponse:
        """Handle an Action.Execute click, or the card's refresh."""
        turn = self._turn(turn_context)
        click = parse.card_click(turn_context.activity)
        if click.refresh:
            return await self._refresh(turn_context, turn, click.value)
        button = self._buttons.get(click.action)
        if button is None:  # a verb that isn't ours, or a dialog button from an older card
            return activities.card_notice(Translator(turn.locale)("teams.action.outdated"))
        return await button(turn_context, turn, click.value)

    # -- helpers ---------------------------------------------------------------------------
    def _turn(self, turn_context: TurnContext) -> parse.Turn:
        return parse.turn(turn_context.activity, self._flows.policy.locale)

    async def _remember(self, turn_context: TurnContext) -> None:
        """Store where this activity came from (and a seed for the person, if new)."""
        activity = turn_context.activity
        where = self._turn(turn_context).conversation
        today = references.day_of(self._clock.now())  # see references.py: no time of day is kept
        reference = references.reference_of(activity, where)
        if await self._directory.get(Platform.TEAMS, where.key) != reference:  # written only when it changed
            await self._directory.save(Platform.TEAMS, where.key, reference, today)
        user_key = parse.actor(activity).user_id
        if where.kind != parse.PERSONAL and await self._directory.get(Platform.TEAMS, user_key) is None:
            await self._directory.save(Platform.TEAMS, user_key, references.seed_of(activity, where), today)
