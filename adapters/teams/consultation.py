"""Anonymous consultation in Teams: the employee's personal chat, and the desk's Reply dialog.

Anonymity is kept here by what is NOT done: nothing logs the actor, the text or the chat
(failures are logged by type and place only, see privacy.py); request keys come from
activity ids; attachments are never read beyond their content type, nor passed on.
"""
from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleResponse

from adapters.teams import ids, parse
from adapters.teams.privacy import failure
from adapters.teams.references import MessageRef
from adapters.teams.render import activities, notices
from flows.consultation.service import ConsultationFlows
from flows.i18n import Translator
from flows.model import Platform

log = logging.getLogger(__name__)


class ConsultationRoutes:
    """Every consultation step a Teams activity can trigger."""

    def __init__(self, consultation: ConsultationFlows):
        self._consultation = consultation

    # -- the employee, in the personal chat ------------------------------------------------
    async def message(self, turn_context: TurnContext, turn: parse.Turn) -> None:
        """Offer a consultation, or relay the message to the open one; answer with the cards."""
        activity = turn_context.activity
        try:
            answers = await self._consultation.handle_dm(
                turn.actor, parse.message_text(activity), has_attachment=parse.has_attachment(activity),
                locale=turn.locale, request_key=turn.activity_key)
        except Exception as error:
            log.error("Teams consultation message failed: %s", failure(error))
            answers = [notices.notice(Translator(turn.locale)("teams.error.generic"))]
        for card in answers:
            await turn_context.send_activity(activities.card_message(card))

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
    async def thread_reply(self, turn_context: TurnContext, turn: parse.Turn) -> bool:
        """An @mention in the thread of a consultation post is the desk's answer; False: not such a thread."""
        root = parse.thread_root(turn.conversation)
        if not root:
            return False
        thread = MessageRef(turn.conversation.key, root).dumps()  # what TeamsNotifier.post returned for it
        try:
            card = await self._consultation.hr_reply(Platform.TEAMS, turn.actor, thread,
                                                      parse.message_text(turn_context.activity), locale=turn.locale,
                                                      request_key=turn.activity_key)
        except Exception as error:
            log.error("Teams consultation reply failed: %s", failure(error))
            card = notices.notice(Translator(turn.locale)("teams.error.generic"))
        if card is None:
            return False
        await turn_context.send_activity(activities.card_message(card))
        return True

    async def open_reply(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """CONSULT_REPLY on a relayed message: the answer box for that case."""
        return activities.open_form(self._consultation.reply_form(context, locale=turn.locale))

    async def submit_reply(self, turn_context: TurnContext, turn: parse.Turn,
                           submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Send the desk's answer to the employee (through the outbox); tell the desk what happened."""
        text = submitted.values.get(ids.CONSULT_REPLY_TEXT)
        card = await self._consultation.hr_reply(Platform.TEAMS, turn.actor, submitted.context,
                                                  text if isinstance(text, str) else "", locale=turn.locale,
                                                  request_key=submitted.request_key or turn.activity_key)
        if card is None:  # not a case code: only a tampered or foreign dialog gets here
            return activities.dialog_message(Translator(turn.locale)("teams.dialog.gone"))
        return activities.card_dialog(card)
