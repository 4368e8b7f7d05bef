"""After-care in Teams: the follow-up Record dialog, Snooze, and the employee's check-in answer.

Reminders reach HR channels through the outbox; their Record button opens a dialog
(task/fetch), Snooze and the check-in answers are Action.Execute.
"""
from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleResponse

from adapters.teams import parse
from adapters.teams.notifier import CONNECTOR_ERRORS
from adapters.teams.parse import MalformedActivity
from adapters.common import failure
from adapters.teams.render import activities
from flows.cards import Card
from flows.aftercare.service import AftercareFlows

log = logging.getLogger(__name__)


class AftercareRoutes:
    """Record and snooze follow-ups; pass the employee's check-in answer on."""

    def __init__(self, aftercare: AftercareFlows):
        self._aftercare = aftercare

    async def open_record(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """Open the follow-up's record form, or say why it can't be recorded (done, unknown)."""
        return activities.open_form(await self._aftercare.record_form(_follow_up_id(context), turn.actor,
                                                                      where=turn.conversation.key,
                                                                      locale=turn.locale))

    async def submit_record(self, turn_context: TurnContext, turn: parse.Turn,
                            submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Record the follow-up; errors re-open the form; a later recorder is told who was first."""
        follow_up_id = _follow_up_id(submitted.context)
        outcome = await self._aftercare.record(follow_up_id, turn.actor, submitted.values,
                                               where=turn.conversation.key, locale=turn.locale,
                                               request_key=submitted.request_key or turn.request_key)
        if outcome.errors:
            again = await self._aftercare.record_form(follow_up_id, turn.actor, where=turn.conversation.key,
                                                      locale=turn.locale)
            return activities.form_again(again, outcome.errors, nonce=submitted.nonce, values=submitted.data)
        if outcome.first:
            await _replace_reminder(turn_context, outcome.card)
        return activities.card_dialog(outcome.card)

    async def snooze(self, turn_context: TurnContext, turn: parse.Turn, value: str) -> AdaptiveCardInvokeResponse:
        """Postpone the next reminder; the reminder card (and its Record button) stays."""
        card = await self._aftercare.snooze(_follow_up_id(value), turn.actor, where=turn.conversation.key,
                                            locale=turn.locale)
        return activities.card_notice_of(card)

    async def checkin(self, turn_context: TurnContext, turn: parse.Turn, value: str) -> AdaptiveCardInvokeResponse:
        """Pass the answer to HR only; the question card becomes the thank-you (no second answer)."""
        card = await self._aftercare.checkin_answer(value, turn.actor, locale=turn.locale)
        return activities.card_update(card)


async def _replace_reminder(turn_context: TurnContext, card: Card) -> None:
    """Show the recorded follow-up in place of the reminder whose button opened the dialog.

    Best effort: the record is stored already, and later reminders are not sent any more.
    """
    host = turn_context.activity.reply_to_id
    if not host:
        return
    replacement = activities.card_message(card)
    replacement.id = host
    try:
        await turn_context.update_activity(replacement)
    except CONNECTOR_ERRORS as error:
        log.warning("could not replace the follow-up reminder card: %s", failure(error))


def _follow_up_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise MalformedActivity(f"follow-up action without a numeric follow-up id: {value[:40]!r}")
    return int(value)
