"""Slack listeners: ack, parse, call one flow, render. Nothing else lives here.

Slack drops an interaction that is not acknowledged within 3 s, and a modal can only be
opened with a trigger_id for 3 s, so every listener acks (or opens the modal) before slow work.
This module holds the incident side and the routing of events; after-care and consultation
listeners live in their own modules and are registered from here.
"""
from __future__ import annotations

import logging

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse, respond, views
from adapters.slack.aftercare_listeners import AfterCareListeners
from adapters.slack.consult_listeners import ConsultListeners
from adapters.slack.redelivery import SeenEvents
from adapters.slack.respond import ListenerGroup, failure
from flows.cards import ActionId, Card
from flows.commands import CommandKind, parse_command
from flows.messages import local_time
from flows.model import Actor
from flows.service import Flows

log = logging.getLogger(__name__)


class SlackListeners(ListenerGroup):
    """Bind the flows to bolt listeners (one instance per app)."""

    def __init__(self, flows: Flows):
        super().__init__(flows)
        self._seen = SeenEvents()
        self._aftercare = AfterCareListeners(flows)
        self._consult = ConsultListeners(flows)

    def register(self, app: AsyncApp) -> None:
        """Attach every middleware and listener to the bolt app (bolt runs the first match)."""
        app.use(self.reject_malformed)
        app.use(self.skip_redelivered_events)
        app.error(self.on_error)
        app.command(ids.COMMAND)(self.command)
        app.view_submission(ids.REPORT_CALLBACK)(self.submit_report)
        app.action(ids.action_pattern(ActionId.ACKNOWLEDGE))(self.acknowledge)
        app.action(ids.action_pattern(ActionId.OPEN_REPORT))(self.open_report)
        self._aftercare.register(app)
        self._consult.register(app)
        app.action(ids.ANY_ACTION)(self.not_available)  # last: only ids no listener above knows
        app.event("app_mention")(self.mention)
        app.event("message")(self.message)

    # -- middleware ------------------------------------------------------------------------
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

    # -- /kasuhara ---------------------------------------------------------------------------
    async def command(self, ack, body, client: AsyncWebClient, respond):
        """Route `/kasuhara <word>`: report form, SOS, consultation (in the DM), help."""
        command = parse.slash_command(body)
        kind = command.command.kind
        if kind is CommandKind.REPORT:
            await ack()
            if not await self._open_report(client, command.trigger_id, context=""):
                await respond(response_type="ephemeral", **self._text("slack.error.modal"))
        elif kind is CommandKind.SOS:
            await ack()
            await respond(response_type="ephemeral", **await self._sos(
                command.actor, command.command.argument, request_key=f"slack:sos:{command.trigger_id}"))
        elif kind is CommandKind.CONSULT:
            await ack(response_type="ephemeral", **self._text("slack.consult.in_dm"))
            await self._consult.from_command(command, client)
        else:
            await ack(**views.card_message(self._answer(kind)))

    async def _sos(self, actor: Actor, place: str, *, request_key: str) -> dict:
        try:
            card = await self._flows.raise_sos(actor, place, locale=self.locale, request_key=request_key)
        except Exception as error:
            log.error("SOS could not be recorded: %s", failure(error))
            return self._text("slack.error.sos")
        return views.card_message(card)

    def _answer(self, kind: CommandKind) -> Card:
        if kind in (CommandKind.HELP, CommandKind.EMPTY):
            return self._flows.help_card(self.locale)
        return self._flows.unknown_command_card(self.locale)

    async def _open_report(self, client: AsyncWebClient, trigger_id: str, *, context: str, in_view: str = "") -> bool:
        view = views.report_modal(self._flows.report_form(self.locale, context=context), locale=self.locale)
        return await respond.open_modal(client, trigger_id, view, in_view=in_view)

    # -- the report modal ------------------------------------------------------------------
    async def submit_report(self, ack, body):
        """Store the report and show the confirmation, or show inline errors."""
        submission = parse.view_submission(body)
        try:
            outcome = await self._flows.submit_report(
                submission.actor, submission.raw, locale=self.locale,
                request_key=f"slack:view:{submission.view_id}", context=submission.context)
        except Exception as error:
            log.error("report could not be stored: %s", failure(error))
            await ack(response_action="errors", errors=self._errors(submission, {"": self._t()("slack.error.save")}))
            return
        if outcome.errors:
            await ack(response_action="errors", errors=self._errors(submission, outcome.errors))
        elif outcome.card is not None:
            await ack(response_action="update", view=views.confirmation_view(outcome.card, locale=self.locale))
        else:
            await ack()

    def _errors(self, submission: parse.ViewSubmission, errors: dict[str, str]) -> dict[str, str]:
        spec = self._flows.report_form(self.locale, context=submission.context)
        return views.errors_for([f.id for f in spec.fields], errors)

    # -- buttons -----------------------------------------------------------------------------
    async def acknowledge(self, ack, body, client: AsyncWebClient):
        """Acknowledge an alert; the outbox then updates every posted copy."""
        click = parse.button_click(body)
        incident_id = parse.incident_id(click.value)
        await ack()
        t = self._t()
        try:
            outcome = await self._flows.acknowledge(incident_id, click.actor, locale=self.locale)
        except Exception as error:  # the alert keeps escalating; the manager must know the click did not count
            log.error("acknowledgement of incident %s failed: %s", incident_id, failure(error))
            await respond.to_clicker(client, click, self._text("slack.error.generic"))
            return
        if outcome is None:
            await respond.to_clicker(client, click, self._text("slack.ack.unknown"))
        elif not outcome.first:
            incident = outcome.incident
            when = local_time(incident.acknowledged_at, self._flows.policy.timezone)
            await respond.to_clicker(client, click, views.text_message(
                t("slack.ack.already", who=incident.acknowledged_by, at=when)))

    async def open_report(self, ack, body, client: AsyncWebClient):
        """Open the report form from a button (help card, SOS card, DM prompt, confirmation)."""
        click = parse.button_click(body)
        await ack()
        if not await self._open_report(client, click.trigger_id, context=click.value, in_view=click.view_id):
            await respond.to_clicker(client, click, self._text("slack.error.modal"))

    async def not_available(self, ack, body, client: AsyncWebClient):
        """Answer a button this version does not know (e.g. on an old message) instead of failing."""
        click = parse.button_click(body)
        await ack()
        await respond.to_clicker(client, click, self._text("slack.action.unavailable"))

    # -- events ------------------------------------------------------------------------------
    async def mention(self, body, client: AsyncWebClient):
        """Answer an @mention with the help card, visible only to the person who asked."""
        event = parse.event(body)
        await respond.call(client, "chat_postEphemeral", channel=event.channel_id, user=event.user_id,
                           **views.card_message(self._flows.help_card(self.locale)))

    async def message(self, body, client: AsyncWebClient):
        """Route a message event: a person's DM to the app, or a reply in a channel thread."""
        message = parse.message(body)
        if message.kind is parse.MessageKind.THREAD_REPLY:
            await self._consult.thread_reply(message, client)
        elif message.kind is parse.MessageKind.DIRECT:
            # A desk may be a person (a U… target): they answer in threads of their DM with the app.
            if self._consult.answers_in_dm(message) and await self._consult.thread_reply(message, client):
                return
            await self.direct_message(message, client)

    async def direct_message(self, message: parse.ChatMessage, client: AsyncWebClient):
        """A DM: report / SOS / help work as with /kasuhara; anything else is a consultation."""
        command = parse_command(message.text)
        if command.kind is CommandKind.REPORT:  # a message event has no trigger_id: offer the button
            answer = views.report_prompt(locale=self.locale)
        elif command.kind is CommandKind.SOS:
            answer = await self._sos(message.actor, command.argument, request_key=f"slack:sos:{message.event_id}")
        elif command.kind is CommandKind.HELP:
            answer = views.card_message(self._flows.help_card(self.locale))
        else:
            await self._consult.direct_message(message, client)
            return
        await respond.post(client, message.channel_id, answer)
