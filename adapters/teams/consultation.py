"""Anonymous consultation in Teams: the buttons of the employee's cards, and the desk's Reply dialog.

What the employee writes in the personal chat, and the desk's @mention answers in the thread
of a consultation post, are typed messages: flows.chat decides them (see chat.py). Anonymity
is kept here by what is NOT done: nothing logs the actor, the text or the chat (failures are
logged by type and place only, see adapters/common.py); request keys come from activity ids.
"""
from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleResponse

from adapters.teams import ids, parse
from adapters.teams.render import activities
from flows.consultation.service import ConsultationFlows
from flows.i18n import Translator
from flows.model import Platform


class ConsultationRoutes:
    """Every consultation step a Teams activity can trigger."""

    def __init__(self, consultation: ConsultationFlows):
        self._consultation = consultation

    # -- the employee, in the personal chat ------------------------------------------------
    async def start(self, turn_context: TurnContext, turn: parse.Turn, value: str) -> AdaptiveCardInvokeResponse:
        """CONSULT_START on the offer: the offer becomes the started case (one click, one case)."""
        return activities.card_update(await self._consultation.start(turn.actor, value, locale=turn.locale))

    async def start_new(self, turn_context: TurnContext, turn: parse.Turn,
                        value: str) -> AdaptiveCardInvokeResponse:
        """CONSULT_NEW: open another case; the clicked confirmation becomes the new case."""
        card = await self._consultation.start_new(turn.actor, value, locale=turn.locale,
                                                   request_key=turn.activity_key)
        return activities.card_update(card)

    async def close(self, turn_context: TurnContext, turn: parse.Turn, value: str) -> AdaptiveCardInvokeResponse:
        """CONSULT_CLOSE: say so in a new message; the clicked card may hold the desk's answer, so it stays."""
        card = await self._consultation.close(turn.actor, value, locale=turn.locale)
        await turn_context.send_activity(activities.card_message(card))
        return activities.card_notice(card.title)

    async def open_reveal(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """CONSULT_REVEAL: ask which name the desk may see."""
        return activities.open_form(await self._consultation.reveal_form(turn.actor, context, locale=turn.locale))

    async def submit_reveal(self, turn_context: TurnContext, turn: parse.Turn,
                            submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Give the desk the chosen name; errors re-open the form."""
        outcome = await self._consultation.reveal(turn.actor, submitted.context, submitted.values,
                                                   locale=turn.locale)
        if outcome.errors:
            again = await self._consultation.reveal_form(turn.actor, submitted.context, locale=turn.locale)
            return activities.form_again(again, outcome.errors, nonce=submitted.nonce, values=submitted.data)
        return activities.card_dialog(outcome.card)

    # -- the desk, in the consultation channel ---------------------------------------------
    async def open_reply(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """CONSULT_REPLY on a relayed message: the answer box for that case."""
        return activities.open_form(self._consultation.reply_form(context, locale=turn.locale))

    async def submit_reply(self, turn_context: TurnContext, turn: parse.Turn,
                           submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Send the desk's answer to the employee (through the outbox); tell the desk what happened."""
        text = submitted.values.get(ids.CONSULT_REPLY_TEXT)
        card = await self._consultation.hr_reply(Platform.TEAMS, turn.actor, submitted.context,
                                                  text if isinstance(text, str) else "",
                                                  where=turn.conversation.key, locale=turn.locale,
                                                  request_key=submitted.request_key or turn.activity_key)
        if card is None:  # not a case code: only a tampered or foreign dialog gets here
            return activities.dialog_message(Translator(turn.locale)("teams.dialog.gone"))
        return activities.card_dialog(card)
