"""What people type: `/kasuhara <word>`, an @mention, a DM to the app, a reply in a channel thread.

Each is translated into (text, `flows.chat.Where`, who); flows decide what it means
(`flows.chat.interpret`), and this module only answers where Slack answers: a slash command
in its ack or by response_url, a DM in the DM, an @mention privately (ephemeral), the desk's
answer in its thread. An interaction is acked before slow work (Slack drops it after 3 s).
"""
from __future__ import annotations

from functools import partial

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import attempt
from adapters.slack import ids, parse
from adapters.slack.incidents import IncidentRoutes
from adapters.slack.notifier import make_ref
from adapters.slack.render import views
from adapters.slack.respond import ListenerGroup, call, post
from flows.app import Flows
from flows.chat import ChatOutcome, Intent, Meaning, Place, Where, interpret, perform
from flows.model import Actor

INSTANT = frozenset({Meaning.HELP, Meaning.UNKNOWN, Meaning.REFUSED})  # no I/O: answered in the ack itself


class ChatRoutes(ListenerGroup):
    """Translate commands, mentions and messages for `flows.chat`, and show what it decided."""

    def __init__(self, flows: Flows, incidents: IncidentRoutes):
        super().__init__(flows)
        self._incidents = incidents

    def register(self, app: AsyncApp) -> None:
        app.command(ids.COMMAND)(self.command)
        app.event("app_mention")(self.mention)
        app.event("message")(self.message)

    # -- /kasuhara ---------------------------------------------------------------------------
    async def command(self, ack, body, client: AsyncWebClient, respond):
        """`/kasuhara <word>`: the form opens at once; a consultation goes on in the DM; the rest is private."""
        command = parse.slash_command(body)
        kind = Place.DM if command.channel_id.startswith("D") else Place.CHANNEL
        where = Where(kind, conversation=command.channel_id, command=True)
        intent = interpret(self._flows, command.command.text, where, command.actor)
        if intent.meaning is Meaning.REPORT:  # the slash command has a trigger_id: open the form itself
            await ack()
            if not await self._incidents.open_report_form(client, command.trigger_id, context=""):
                await respond(response_type="ephemeral", **self._text("slack.error.modal"))
            return
        if intent.meaning in INSTANT:
            outcome = await self._perform(intent, command.command.text, command.actor, where, command.trigger_id)
            await ack(**views.card_message(outcome.cards[0]))
            return
        if intent.meaning is Meaning.CONSULTATION:  # the answer is the DM: nothing of it stays in the channel
            await ack(response_type="ephemeral", **self._text("slack.consult.in_dm"))
            dm = command.actor.user_id  # a user id as channel: the app's DM with that person
            await self._show(client, dm, intent, command.command.text, command.actor, where, command.trigger_id,
                             failed=partial(post, client, dm, self.went_wrong()))
            return
        if intent.meaning is Meaning.SOS:  # recorded, then answered in the ack itself: no call to Slack needed
            outcome = await attempt(self._perform(intent, command.command.text, command.actor, where,
                                                  command.trigger_id), "/kasuhara sos",
                                    partial(ack, response_type="ephemeral", **self.went_wrong()))
            if outcome is not None:
                await ack(response_type="ephemeral", **views.answer_message(outcome.cards[0]))
            return
        await ack()
        outcome = await attempt(self._perform(intent, command.command.text, command.actor, where, command.trigger_id),
                                f"/kasuhara {intent.meaning.value}",
                                partial(respond, response_type="ephemeral", **self.went_wrong()))
        if outcome is not None and outcome.cards:
            await respond(response_type="ephemeral", **views.answer_message(outcome.cards[0]))

    # -- events ------------------------------------------------------------------------------
    async def mention(self, body, client: AsyncWebClient, context):
        """An @mention in a channel: answered privately (the desk's answer in a consultation thread: in it)."""
        message = parse.mention(body, context.get("bot_user_id") or "")
        if message.kind is not parse.MessageKind.MENTION:
            return
        thread = make_ref(message.channel_id, message.thread_ts) if message.thread_ts else ""
        where = Where(Place.THREAD if thread else Place.CHANNEL, conversation=message.channel_id, thread=thread)
        await self._answer(client, message, where)

    async def message(self, body, client: AsyncWebClient, context):
        """A person's DM to the app, or a reply in a channel thread (which may answer a consultation)."""
        message = parse.message(body)
        if message.kind is parse.MessageKind.THREAD_REPLY:
            bot = context.get("bot_user_id") or ""
            if bot and f"<@{bot}>" in message.text:
                return  # the app_mention event of the same message answers it
            where = Where(Place.THREAD, conversation=message.channel_id, addressed=False,
                          thread=make_ref(message.channel_id, message.thread_ts))
        elif message.kind is parse.MessageKind.DIRECT:
            where = Where(Place.DM, conversation=message.channel_id,
                          thread=make_ref(message.channel_id, message.thread_ts) if message.thread_ts else "")
        else:
            return
        await self._answer(client, message, where)

    async def _answer(self, client: AsyncWebClient, message: parse.ChatMessage, where: Where) -> None:
        """Show the outcome: in the DM; the desk's answer in its thread; a mention's answer privately."""
        intent = interpret(self._flows, message.text, where, message.actor)
        thread_ts = message.thread_ts if where.thread else ""
        if where.kind is Place.DM:
            show = partial(post, client, message.channel_id, thread_ts=thread_ts)
        else:  # others read the channel: only the one who wrote sees the answer (the desk's answer excepted)
            show = partial(_ephemeral, client, message.channel_id, message.actor.user_id, thread_ts)
        outcome = await attempt(self._perform(intent, message.text, message.actor, where, message.event_id,
                                              has_files=message.has_files),
                                f"chat message ({intent.meaning.value})", partial(show, self.went_wrong()))
        if outcome is None:
            return
        if outcome.meaning is Meaning.DESK_ANSWER:
            show = partial(post, client, message.channel_id, thread_ts=message.thread_ts)
        for card in outcome.cards:
            await show(views.card_message(card))

    async def _show(self, client: AsyncWebClient, channel: str, intent: Intent, text: str, actor: Actor, where: Where,
                    key: str, *, failed) -> None:
        outcome = await attempt(self._perform(intent, text, actor, where, key), "consultation message", failed)
        for card in outcome.cards if outcome is not None else ():
            await post(client, channel, views.card_message(card))

    async def _perform(self, intent: Intent, text: str, actor: Actor, where: Where, key: str, *,
                       has_files: bool = False) -> ChatOutcome:
        # Request keys as before the routing moved to flows: an SOS is one incident per trigger or event.
        request_key = f"slack:sos:{key}" if intent.meaning is Meaning.SOS else \
            f"slack:command:{key}" if where.command else f"slack:event:{key}"
        return await perform(self._flows, intent, text, actor, locale=self.locale, request_key=request_key,
                             has_attachment=has_files, conversation=where.conversation)


async def _ephemeral(client: AsyncWebClient, channel: str, user: str, thread_ts: str, message: dict) -> None:
    await call(client, "chat_postEphemeral", channel=channel, user=user,
                       **({"thread_ts": thread_ts} if thread_ts else {}), **message)

