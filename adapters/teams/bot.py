"""The Teams bot: for each activity, parse, call one flow, render.

Messages carry chat commands (personal chat, or @mention in a channel/group chat); the
report form lives in a dialog (task/fetch, task/submit); alert buttons are Action.Execute
(adaptiveCard/action). Every message, invoke, install and conversationUpdate refreshes the
stored conversation reference, so alerts can be posted proactively later.
"""
from __future__ import annotations

import logging
import uuid
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleRequest, TaskModuleResponse

from adapters.teams import activities, cards, messages, parse, references
from adapters.teams.parse import MalformedActivity
from flows.cards import ActionId, Card
from flows.commands import Command, CommandKind
from flows.i18n import Translator
from flows.model import Platform
from flows.ports import Clock, ConversationDirectory
from flows.service import Flows

log = logging.getLogger(__name__)


class TeamsBot(TeamsActivityHandler):
    """Route Teams activities to the flows; no domain rule lives here."""

    def __init__(self, flows: Flows, directory: ConversationDirectory, clock: Clock):
        self._flows = flows
        self._directory = directory
        self._clock = clock

    async def on_turn(self, turn_context: TurnContext):
        """Remember where the activity came from, then dispatch it by type."""
        if references.capturable(turn_context.activity):
            await self._remember(turn_context)
        await super().on_turn(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Dispatch an invoke; answer 400 when it lacks the shape Teams documents."""
        try:
            return await super().on_invoke_activity(turn_context)
        except MalformedActivity as problem:
            log.warning("malformed Teams invoke %s: %s", turn_context.activity.name, problem)
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST)

    # -- chat commands ---------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext):
        """Answer a chat command with one card; a failed SOS still tells the person to call 110."""
        turn = self._turn(turn_context)
        command = parse.command(turn_context.activity)
        t = Translator(turn.locale)
        try:
            card = await self._answer(turn, command)
        except Exception:
            log.exception("Teams command %s failed", command.kind.value)
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
        if command.kind is CommandKind.CONSULT:
            return messages.notice(Translator(locale)("teams.consult.later"))
        if command.kind is CommandKind.BIND:
            if turn.conversation.kind == parse.PERSONAL:
                return messages.notice(Translator(locale)("teams.bind.channel_only"))
            return await flows.bind_target(turn.actor, command.argument, turn.conversation.key, locale=locale)
        return flows.unknown_command_card(locale)

    # -- the report dialog -----------------------------------------------------------------
    async def on_teams_task_module_fetch(self, turn_context: TurnContext,
                                         task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """Open the report dialog (with a fresh nonce: one dialog, at most one incident)."""
        turn = self._turn(turn_context)
        spec = self._flows.report_form(turn.locale, context=parse.dialog_context(turn_context.activity))
        return activities.dialog(spec.title, cards.report_form(spec, nonce=uuid.uuid4().hex))

    async def on_teams_task_module_submit(self, turn_context: TurnContext,
                                          task_module_request: TaskModuleRequest) -> TaskModuleResponse:
        """Submit the report: errors re-open the form with them, success closes the dialog."""
        turn = self._turn(turn_context)
        submitted = parse.dialog_submit(turn_context.activity)
        t = Translator(turn.locale)
        spec = self._flows.report_form(turn.locale, context=submitted.context)
        if submitted.form_id != spec.id:
            return activities.dialog_message(t("teams.report.form_gone"))
        key = parse.dialog_nonce_key(submitted.nonce) if submitted.nonce else turn.request_key
        try:
            outcome = await self._flows.submit_report(turn.actor, parse.form_values(spec, submitted.data),
                                                      locale=turn.locale, request_key=key, context=submitted.context)
        except Exception:
            log.exception("Teams report submission failed")
            return activities.dialog_message(t("teams.error.save"))
        if outcome.errors:
            return activities.dialog(spec.title, cards.report_form(spec, outcome.errors, nonce=submitted.nonce))
        # The confirmation card itself reaches the reporter's personal chat through the outbox.
        return activities.dialog_message(t("teams.report.done", case=outcome.incident.case_no))

    # -- Action.Execute buttons ------------------------------------------------------------
    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value) -> AdaptiveCardInvokeResponse:
        """Handle an Action.Execute: acknowledge returns the alert as everyone must now see it."""
        turn = self._turn(turn_context)
        click = parse.card_click(turn_context.activity)
        t = Translator(turn.locale)
        if click.refresh:
            return activities.card_notice(t("teams.ack.current"))
        if click.action is not ActionId.ACKNOWLEDGE:
            return activities.card_notice(t("teams.action.unavailable"))
        if not click.value.isdigit():
            raise MalformedActivity(f"acknowledge without a numeric incident id: {click.value!r}")
        outcome = await self._flows.acknowledge(int(click.value), turn.actor, locale=turn.locale)
        if outcome is None:
            return activities.card_notice(t("teams.ack.unknown"))
        return activities.card_update(outcome.card)

    # -- helpers ---------------------------------------------------------------------------
    def _turn(self, turn_context: TurnContext) -> parse.Turn:
        return parse.turn(turn_context.activity, self._flows.policy.locale)

    async def _remember(self, turn_context: TurnContext) -> None:
        """Store where this activity came from (and a seed for the person, if new)."""
        activity = turn_context.activity
        turn = self._turn(turn_context)
        now = self._clock.now()
        where = turn.conversation
        await self._directory.save(Platform.TEAMS, where.key, references.reference_of(activity, where), now)
        user_key = turn.actor.user_id
        if where.kind != parse.PERSONAL and await self._directory.get(Platform.TEAMS, user_key) is None:
            await self._directory.save(Platform.TEAMS, user_key, references.reference_of(activity, where), now)
