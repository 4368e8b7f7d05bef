"""Slack listeners: ack, parse, call one flow, render. Nothing else lives here.

Slack drops an interaction that is not acknowledged within 3 s, and a modal can only be
opened with a trigger_id for 3 s, so every listener acks (or opens the modal) before slow work.
"""
from __future__ import annotations

import dataclasses
import logging

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse, views
from adapters.slack.redelivery import SeenEvents
from flows.cards import ActionId, Card
from flows.commands import CommandKind
from flows.i18n import Translator
from flows.messages import local_time
from flows.service import Flows

log = logging.getLogger(__name__)


class SlackListeners:
    """Bind the incident flows to bolt listeners (one instance per app)."""

    def __init__(self, flows: Flows):
        self._flows = flows
        self._seen = SeenEvents()

    @property
    def locale(self) -> str:
        return self._flows.policy.locale

    def _t(self) -> Translator:
        return Translator(self.locale)

    def register(self, app: AsyncApp) -> None:
        """Attach every middleware and listener to the bolt app."""
        app.use(self.reject_malformed)
        app.use(self.skip_redelivered_events)
        app.error(self.on_error)
        app.command(ids.COMMAND)(self.command)
        app.view_submission(ids.REPORT_CALLBACK)(self.submit_report)
        app.action(ids.action_pattern(ActionId.ACKNOWLEDGE))(self.acknowledge)
        app.action(ids.action_pattern(ActionId.OPEN_REPORT))(self.open_report)
        app.action(ids.ANY_ACTION)(self.not_available)
        app.event("app_mention")(self.mention)
        app.event("message")(self.direct_message)

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
        """Map parse errors raised before ack to 400; log everything else."""
        if isinstance(error, parse.MalformedPayload) and response is not None:
            log.warning("malformed Slack payload: %s", error)
            return BoltResponse(status=400, body="")
        log.exception("Slack listener failed", exc_info=error)
        return None

    # -- /kasuhara ---------------------------------------------------------------------------
    async def command(self, ack, body, client: AsyncWebClient, respond):
        """Route `/kasuhara <word>`: report form, SOS, help."""
        command = parse.slash_command(body)
        kind = command.command.kind
        if kind is CommandKind.REPORT:
            await ack()
            if not await self._open_report(client, command.trigger_id, context=""):
                await respond(response_type="ephemeral", **views.text_message(self._t()("slack.error.modal")))
        elif kind is CommandKind.SOS:
            await ack()
            await respond(response_type="ephemeral", **await self._sos(command))
        else:
            await ack(**views.card_message(self._answer(kind)))

    async def _sos(self, command: parse.SlashCommand) -> dict:
        try:
            card = await self._flows.raise_sos(command.actor, command.command.argument, locale=self.locale,
                                               request_key=f"slack:sos:{command.trigger_id}")
        except Exception:
            log.exception("SOS from %s could not be recorded", command.actor.key)
            return views.text_message(self._t()("slack.error.sos"))
        return views.card_message(card)

    def _answer(self, kind: CommandKind) -> Card:
        if kind in (CommandKind.HELP, CommandKind.EMPTY):
            return self._flows.help_card(self.locale)
        if kind is CommandKind.CONSULT:
            card = self._flows.help_card(self.locale)
            return dataclasses.replace(card, lines=(self._t()("slack.consult.later"), *card.lines))
        return self._flows.unknown_command_card(self.locale)

    async def _open_report(self, client: AsyncWebClient, trigger_id: str, *, context: str, in_view: str = "") -> bool:
        """Open the report modal; from inside a modal, replace that modal instead (no stacking)."""
        view = views.report_modal(self._flows.report_form(self.locale, context=context), locale=self.locale)
        try:
            if in_view:
                await client.views_update(view_id=in_view, view=view)
            else:
                await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            log.warning("could not show the report form: %s", error.response.get("error") if error.response else error)
            return False
        return True

    # -- the report modal ------------------------------------------------------------------
    async def submit_report(self, ack, body):
        """Store the report and show the confirmation, or show inline errors."""
        submission = parse.view_submission(body)
        try:
            outcome = await self._flows.submit_report(
                submission.actor, submission.raw, locale=self.locale,
                request_key=f"slack:view:{submission.view_id}", context=submission.context)
        except Exception:
            log.exception("report from %s could not be stored", submission.actor.key)
            await ack(response_action="errors", errors=self._errors(submission, {"": self._t()("slack.error.save")}))
            return
        if outcome.errors:
            await ack(response_action="errors", errors=self._errors(submission, outcome.errors))
        elif outcome.card is not None:
            await ack(response_action="update", view=views.confirmation_view(outcome.card, locale=self.locale))
        else:
            await ack()

    def _errors(self, submission: parse.ViewSubmission, errors: dict[str, str]) -> dict[str, str]:
        return views.errors_for(self._flows.report_form(self.locale, context=submission.context), errors)

    # -- buttons -----------------------------------------------------------------------------
    async def acknowledge(self, ack, body, client: AsyncWebClient):
        """Acknowledge an alert; the outbox then updates every posted copy."""
        click = parse.button_click(body)
        incident_id = parse.incident_id(click.value)
        await ack()
        t = self._t()
        try:
            outcome = await self._flows.acknowledge(incident_id, click.actor, locale=self.locale)
        except Exception:  # the alert keeps escalating; the manager must know the click did not count
            log.exception("acknowledgement of %s by %s failed", incident_id, click.actor.key)
            await self._tell(client, click, t("slack.error.generic"))
            return
        if outcome is None:
            await self._tell(client, click, t("slack.ack.unknown"))
        elif not outcome.first:
            incident = outcome.incident
            when = local_time(incident.acknowledged_at, self._flows.policy.timezone)
            await self._tell(client, click, t("slack.ack.already", who=incident.acknowledged_by, at=when))

    async def open_report(self, ack, body, client: AsyncWebClient):
        """Open the report form from a button (e.g. complete the report of an SOS)."""
        click = parse.button_click(body)
        await ack()
        if not await self._open_report(client, click.trigger_id, context=click.value, in_view=click.view_id):
            await self._tell(client, click, self._t()("slack.error.modal"))

    async def not_available(self, ack, body, client: AsyncWebClient):
        """Answer buttons whose flows are not built yet instead of leaving Slack's error."""
        click = parse.button_click(body)
        await ack()
        await self._tell(client, click, self._t()("slack.action.unavailable"))

    async def _tell(self, client: AsyncWebClient, click: parse.ButtonClick, text: str) -> None:
        """Show a note only to the clicker: ephemeral in the channel, else a DM."""
        try:
            if click.channel_id:
                await client.chat_postEphemeral(channel=click.channel_id, user=click.actor.user_id,
                                                **views.text_message(text))
            else:
                await client.chat_postMessage(channel=click.actor.user_id, **views.text_message(text))
        except SlackApiError as error:
            log.warning("could not tell %s: %s", click.actor.key, error.response.get("error"))

    # -- events ------------------------------------------------------------------------------
    async def mention(self, body, client: AsyncWebClient):
        """Answer an @mention with the help card, visible only to the person who asked."""
        event = parse.event(body)
        await client.chat_postEphemeral(channel=event.channel_id, user=event.user_id,
                                        **views.card_message(self._flows.help_card(self.locale)))

    async def direct_message(self, body, client: AsyncWebClient):
        """Answer a person's DM with help until DM consultation exists."""
        event = parse.event(body)
        if event.channel_type != "im" or event.subtype or event.bot_id or not event.user_id:
            return
        await client.chat_postMessage(channel=event.channel_id, **views.card_message(self._answer(CommandKind.CONSULT)))
