"""The Teams bot: for each activity, parse, call one flow, render.

Messages carry chat commands (personal chat, or @mention in a channel/group chat); anything
else written in the personal chat is an anonymous consultation. Forms live in dialogs
(task/fetch opens the one its button names, task/submit routes by form id); the other buttons
are Action.Execute (adaptiveCard/action), routed by verb. The handlers live in
incident_handlers.py, aftercare_handlers.py and consult_handlers.py. Every message, invoke,
install and conversationUpdate refreshes the stored conversation reference, so cards can be
posted proactively later.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleRequest, TaskModuleResponse

from adapters.teams import activities, ids, messages, parse, references
from adapters.teams.aftercare_handlers import AftercareHandlers
from adapters.teams.consult_handlers import ConsultHandlers
from adapters.teams.incident_handlers import IncidentHandlers
from adapters.teams.parse import MalformedActivity
from adapters.teams.privacy import failure
from flows.cards import ActionId, Card
from flows.commands import Command, CommandKind
from flows.i18n import Translator
from flows.model import Platform
from flows.ports import Clock, ConversationDirectory
from flows.service import Flows

log = logging.getLogger(__name__)

# In the personal chat, whatever is not one of these commands goes to the consultation desk.
CONSULTATION_KINDS = frozenset({CommandKind.CONSULT, CommandKind.UNKNOWN, CommandKind.EMPTY})
# In the thread of a consultation post in a channel, text that is no command is the desk's answer.
DESK_REPLY_KINDS = frozenset({CommandKind.CONSULT, CommandKind.UNKNOWN})

Opener = Callable[[parse.Turn, str], Awaitable[TaskModuleResponse]]
Submitter = Callable[[TurnContext, parse.Turn, parse.DialogSubmit], Awaitable[TaskModuleResponse]]
Button = Callable[[TurnContext, parse.Turn, str], Awaitable[AdaptiveCardInvokeResponse]]


class TeamsBot(TeamsActivityHandler):
    """Route Teams activities to the handlers; no domain rule lives here."""

    def __init__(self, flows: Flows, directory: ConversationDirectory, clock: Clock):
        self._flows = flows
        self._directory = directory
        self._clock = clock
        incidents = IncidentHandlers(flows)
        aftercare = AftercareHandlers(flows.aftercare)
        self._consult = consult = ConsultHandlers(flows.consultations)
        self._refresh = incidents.refresh
        self._openers: dict[ActionId, Opener] = {
            ActionId.OPEN_REPORT: incidents.open_report, ActionId.RECORD_FOLLOW_UP: aftercare.open_record,
            ActionId.CONSULT_REVEAL: consult.open_reveal, ActionId.CONSULT_REPLY: consult.open_reply}
        self._submitters: dict[str, Submitter] = {
            incidents.report_form_id: incidents.submit_report, ids.FOLLOW_UP_FORM: aftercare.submit_record,
            ids.CONSULT_REVEAL_FORM: consult.submit_reveal, ids.CONSULT_REPLY_FORM: consult.submit_reply}
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
            text = Translator(self._turn(turn_context).locale)("teams.error.generic")
            body = activities.card_notice(text) if name == ids.CARD_ACTION else activities.dialog_message(text)
            return InvokeResponse(status=HTTPStatus.OK, body=body)

    # -- messages: commands, and the consultation in the personal chat --------------------
    async def on_message_activity(self, turn_context: TurnContext):
        """Answer a chat command with one card; a failed SOS still tells the person to call 110."""
        turn = self._turn(turn_context)
        command = parse.command(turn_context.activity)
        if turn.conversation.kind == parse.PERSONAL and command.kind in CONSULTATION_KINDS:
            await self._consult.message(turn_context, turn)
            return
        if command.kind in DESK_REPLY_KINDS and await self._consult.thread_reply(turn_context, turn):
            return
        t = Translator(turn.locale)
        try:
            card = await self._answer(turn, command)
        except Exception as error:
            log.error("Teams command %s failed: %s", command.kind.value, failure(error))
            key = "teams.error.sos" if command.kind is CommandKind.SOS else "teams.error.generic"
            card = messages.notice(t(key), danger=command.kind is CommandKind.SOS)
        await turn_context.send_activity(activities.card_message(card))

    async def _answer(self, turn: parse.Turn, command: Command) -> Card:
        flows, locale = self._flows, turn.locale
        if command.kind is CommandKind.REPORT:
            return messages.report_launcher(Translator(locale))
        if command.kind is CommandKind.SOS:
            return await flows.raise_sos(turn.actor, command.argument, locale=locale, request_key=turn.request_key)
        if command.kind in (CommandKind.HELP, CommandKind.EMPTY):
            return flows.help_card(locale)
        if command.kind is CommandKind.CONSULT:  # never in a channel: others would read it
            return messages.notice(Translator(locale)("teams.consult.personal_only"))
        if command.kind is CommandKind.BIND:
            if turn.conversation.kind == parse.PERSONAL:
                return messages.notice(Translator(locale)("teams.bind.channel_only"))
            return await flows.bind_target(turn.actor, command.argument, turn.conversation.key, locale=locale)
        return flows.unknown_command_card(locale)

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
