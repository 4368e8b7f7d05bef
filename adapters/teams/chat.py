"""What people type: a message in the personal chat, or an @mention in a channel or group chat.

Each is translated into (text, `flows.chat.Where`, who); flows decide what it means
(`flows.chat.interpret`), and the cards it returns are sent as the bot's reply, where the
person wrote. Teams delivers channel messages only when the bot is @mentioned, so every
message here is addressed to the bot.
"""
from __future__ import annotations

from functools import partial

from botbuilder.core import TurnContext

from adapters.common import attempt, went_wrong
from adapters.teams import parse
from adapters.teams.references import MessageRef
from adapters.teams.render import activities
from flows.app import Flows
from flows.chat import Meaning, Place, Where, interpret, perform


class ChatRoutes:
    """Translate a message activity for `flows.chat`, and send what it decided."""

    def __init__(self, flows: Flows):
        self._flows = flows

    async def message(self, turn_context: TurnContext, turn: parse.Turn) -> None:
        """Answer a message with the cards flows decided on (the generic answer when a flow failed)."""
        activity = turn_context.activity
        text = parse.message_text(activity)
        where = where_of(turn.conversation)
        intent = interpret(self._flows, text, where, turn.actor)
        # An SOS is one incident per activity and chat; consultation keys must name no chat.
        key = turn.request_key if intent.meaning is Meaning.SOS else turn.activity_key
        outcome = await attempt(perform(self._flows, intent, text, turn.actor, locale=turn.locale, request_key=key,
                                        has_attachment=parse.has_attachment(activity),
                                        conversation=where.conversation),
                                f"Teams message ({intent.meaning.value})", partial(_nothing))
        for card in outcome.cards if outcome is not None else (went_wrong(turn.locale),):
            await turn_context.send_activity(activities.card_message(card))


def where_of(conversation: parse.Conversation) -> Where:
    """The personal chat is the DM; a channel post is a thread (its root is the post itself)."""
    if conversation.kind == parse.PERSONAL:
        return Where(Place.DM, conversation=conversation.key)
    root = parse.thread_root(conversation)
    if root:  # what TeamsNotifier.post returned for the root post: how a desk answer finds its case
        return Where(Place.THREAD, conversation=conversation.key, thread=MessageRef(conversation.key, root).dumps())
    return Where(Place.CHANNEL, conversation=conversation.key)


async def _nothing() -> None:
    return None
