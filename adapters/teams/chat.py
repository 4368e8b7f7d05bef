"""What people type: chat commands (personal chat, or @mention in a channel / group chat).

Anything else written in the personal chat is an anonymous consultation; text in the thread
of a consultation post in a channel is the desk's answer. A failed SOS still tells the
person to call 110.
"""
from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from adapters.teams import parse
from adapters.teams.consultation import ConsultationRoutes
from adapters.teams.privacy import failure
from adapters.teams.render import activities, notices
from flows.app import Flows
from flows.cards import Card
from flows.commands import Command, CommandKind
from flows.i18n import Translator

log = logging.getLogger(__name__)

# In the personal chat, whatever is not one of these commands goes to the consultation desk.
CONSULTATION_KINDS = frozenset({CommandKind.CONSULT, CommandKind.UNKNOWN, CommandKind.EMPTY})
# In the thread of a consultation post in a channel, text that is no command is the desk's answer.
DESK_REPLY_KINDS = frozenset({CommandKind.CONSULT, CommandKind.UNKNOWN})


class ChatRoutes:
    """Route a message activity to the incident or consultation flows."""

    def __init__(self, flows: Flows, consultation: ConsultationRoutes):
        self._flows = flows
        self._consultation = consultation

    async def message(self, turn_context: TurnContext, turn: parse.Turn) -> None:
        """Answer a chat command with one card; a failed SOS still tells the person to call 110."""
        command = parse.command(turn_context.activity)
        if turn.conversation.kind == parse.PERSONAL and command.kind in CONSULTATION_KINDS:
            await self._consultation.message(turn_context, turn)
            return
        if command.kind in DESK_REPLY_KINDS and await self._consultation.thread_reply(turn_context, turn):
            return
        t = Translator(turn.locale)
        try:
            card = await self._answer(turn, command)
        except Exception as error:
            log.error("Teams command %s failed: %s", command.kind.value, failure(error))
            key = "teams.error.sos" if command.kind is CommandKind.SOS else "teams.error.generic"
            card = notices.notice(t(key), danger=command.kind is CommandKind.SOS)
        await turn_context.send_activity(activities.card_message(card))

    async def _answer(self, turn: parse.Turn, command: Command) -> Card:
        incidents, locale = self._flows.incidents, turn.locale
        if command.kind is CommandKind.REPORT:
            return notices.report_launcher(Translator(locale))
        if command.kind is CommandKind.SOS:
            return await incidents.raise_sos(turn.actor, command.argument, locale=locale,
                                             request_key=turn.request_key)
        if command.kind in (CommandKind.HELP, CommandKind.EMPTY):
            return incidents.help_card(locale)
        if command.kind is CommandKind.CONSULT:  # never in a channel: others would read it
            return notices.notice(Translator(locale)("teams.consult.personal_only"))
        if command.kind is CommandKind.BIND:
            if turn.conversation.kind == parse.PERSONAL:
                return notices.notice(Translator(locale)("teams.bind.channel_only"))
            return await incidents.bind_target(turn.actor, command.argument, turn.conversation.key, locale=locale)
        return incidents.unknown_command_card(locale)
