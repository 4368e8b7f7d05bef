"""What people type: `/kasuhara <word>`, an @mention, a DM to the app, a reply in a channel thread.

Each is routed to the capability's listeners: report / SOS / help to incidents, everything
else written in the DM to the consultation, a thread reply to the consultation desk.
"""
from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse, respond
from adapters.slack.consultation import ConsultationRoutes
from adapters.slack.incidents import IncidentRoutes
from adapters.slack.render import views
from adapters.slack.respond import ListenerGroup
from flows.app import Flows
from flows.commands import CommandKind, parse_command


class ChatRoutes(ListenerGroup):
    """Route commands, mentions and messages to the incident and consultation listeners."""

    def __init__(self, flows: Flows, incidents: IncidentRoutes, consultation: ConsultationRoutes):
        super().__init__(flows)
        self._incidents = incidents
        self._consultation = consultation

    def register(self, app: AsyncApp) -> None:
        app.command(ids.COMMAND)(self.command)
        app.event("app_mention")(self.mention)
        app.event("message")(self.message)

    # -- /kasuhara ---------------------------------------------------------------------------
    async def command(self, ack, body, client: AsyncWebClient, respond):
        """Route `/kasuhara <word>`: report form, SOS, consultation (in the DM), help."""
        command = parse.slash_command(body)
        kind = command.command.kind
        if kind is CommandKind.REPORT:
            await ack()
            if not await self._incidents.open_report_form(client, command.trigger_id, context=""):
                await respond(response_type="ephemeral", **self._text("slack.error.modal"))
        elif kind is CommandKind.SOS:
            await ack()
            await respond(response_type="ephemeral", **await self._incidents.sos(
                command.actor, command.command.argument, request_key=f"slack:sos:{command.trigger_id}"))
        elif kind is CommandKind.CONSULT:
            await ack(response_type="ephemeral", **self._text("slack.consult.in_dm"))
            await self._consultation.from_command(command, client)
        else:
            await ack(**views.card_message(self._incidents.answer(kind)))

    # -- events ------------------------------------------------------------------------------
    async def mention(self, body, client: AsyncWebClient):
        """Answer an @mention with the help card, visible only to the person who asked."""
        event = parse.event(body)
        await respond.call(client, "chat_postEphemeral", channel=event.channel_id, user=event.user_id,
                           **views.card_message(self._flows.incidents.help_card(self.locale)))

    async def message(self, body, client: AsyncWebClient):
        """Route a message event: a person's DM to the app, or a reply in a channel thread."""
        message = parse.message(body)
        if message.kind is parse.MessageKind.THREAD_REPLY:
            await self._consultation.thread_reply(message, client)
        elif message.kind is parse.MessageKind.DIRECT:
            # A desk may be a person (a U… target): they answer in threads of their DM with the app.
            if self._consultation.answers_in_dm(message) and await self._consultation.thread_reply(message, client):
                return
            await self.direct_message(message, client)

    async def direct_message(self, message: parse.ChatMessage, client: AsyncWebClient):
        """A DM: report / SOS / help work as with /kasuhara; anything else is a consultation."""
        command = parse_command(message.text)
        if command.kind is CommandKind.REPORT:  # a message event has no trigger_id: offer the button
            answer = views.report_prompt(locale=self.locale)
        elif command.kind is CommandKind.SOS:
            answer = await self._incidents.sos(message.actor, command.argument,
                                               request_key=f"slack:sos:{message.event_id}")
        elif command.kind is CommandKind.HELP:
            answer = views.card_message(self._flows.incidents.help_card(self.locale))
        else:
            await self._consultation.direct_message(message, client)
            return
        await respond.post(client, message.channel_id, answer)
