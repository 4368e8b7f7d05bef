"""Anonymous consultation listeners: the employee's DMs and buttons, the desk's answers.

Anonymity (manual §5-1) at this edge: nothing here logs the actor, the text or the DM
channel; request keys come from Slack's event, view or trigger ids, never from user ids; a
DM's files are never read or forwarded (only whether there were any, so the flow refuses it).
The desk answers in the thread of a consultation message (`message` event with thread_ts)
or with the Reply button's modal.
"""
from __future__ import annotations

from collections.abc import Awaitable
from functools import partial

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse, respond
from adapters.slack.notifier import make_ref
from adapters.slack.render import views
from adapters.slack.respond import ListenerGroup
from flows.cards import ActionId, Card
from flows.model import Platform


class ConsultationRoutes(ListenerGroup):
    """Bind `flows.consultation` to DMs, desk threads, consultation buttons and modals."""

    def answers_in_dm(self, message: parse.ChatMessage) -> bool:
        """Whether a DM in a thread may be a desk member's answer (else it is a consultation DM)."""
        return bool(message.thread_ts) and self._flows.consultation.is_desk(message.actor)

    def register(self, app: AsyncApp) -> None:
        app.action(ids.action_pattern(ActionId.CONSULT_START))(self.start)
        app.action(ids.action_pattern(ActionId.CONSULT_NEW))(self.start_new)
        app.action(ids.action_pattern(ActionId.CONSULT_CLOSE))(self.close)
        app.action(ids.action_pattern(ActionId.CONSULT_REVEAL))(self.open_reveal)
        app.action(ids.action_pattern(ActionId.CONSULT_REPLY))(self.open_reply)
        app.view_submission(ids.CONSULT_REVEAL_CALLBACK)(self.submit_reveal)
        app.view_submission(ids.CONSULT_REPLY_CALLBACK)(self.submit_reply)

    # -- the employee ----------------------------------------------------------------------
    async def direct_message(self, message: parse.ChatMessage, client: AsyncWebClient) -> None:
        """Relay a DM to the open consultation, or offer one; a DM with files is refused."""
        await self._consult(client, message.channel_id, self._flows.consultation.handle_dm(
            message.actor, message.text, has_attachment=message.has_files, locale=self.locale,
            request_key=f"slack:event:{message.event_id}"))

    async def from_command(self, command: parse.SlashCommand, client: AsyncWebClient) -> None:
        """`/kasuhara 相談`: as if written in the DM; the answer goes to the app's DM, not the channel."""
        await self._consult(client, command.actor.user_id, self._flows.consultation.handle_dm(
            command.actor, command.command.text, has_attachment=False, locale=self.locale,
            request_key=f"slack:command:{command.trigger_id}"))

    async def _consult(self, client: AsyncWebClient, dm: str, flow_call: Awaitable[list[Card]]) -> None:
        """Post the flow's cards to the DM (a user id as channel opens the app's DM)."""
        failed = partial(respond.post, client, dm, self._text("slack.error.generic"))
        for card in await respond.attempt(flow_call, "consultation message", failed) or ():
            await respond.post(client, dm, views.card_message(card))

    async def start(self, ack, body, client: AsyncWebClient):
        """CONSULT_START (value: the desk's unit id): open a case, or show the open one."""
        click = parse.button_click(body)
        await ack()
        await self._show(client, click, self._flows.consultation.start(click.actor, click.value, locale=self.locale),
                         "consultation start")

    async def start_new(self, ack, body, client: AsyncWebClient):
        """CONSULT_NEW (value: unit id): open another case; the next DMs go to it."""
        click = parse.button_click(body)
        await ack()
        # The trigger id is per interaction: a redelivered click opens one case, a second click another.
        request_key = f"slack:trigger:{click.trigger_id}" if click.trigger_id else ""
        await self._show(client, click, self._flows.consultation.start_new(
            click.actor, click.value, locale=self.locale, request_key=request_key), "new consultation")

    async def close(self, ack, body, client: AsyncWebClient):
        """CONSULT_CLOSE (value: case code): close the case."""
        click = parse.button_click(body)
        await ack()
        await self._show(client, click, self._flows.consultation.close(click.actor, click.value, locale=self.locale),
                         "consultation close")

    async def open_reveal(self, ack, body, client: AsyncWebClient):
        """CONSULT_REVEAL (value: case code): ask which name the desk may see."""
        click = parse.button_click(body)
        await ack()
        form = await self._for_click(client, click, self._flows.consultation.reveal_form(
            click.actor, click.value, locale=self.locale), "reveal form")
        await self._open_form(client, click, form, ids.CONSULT_REVEAL_CALLBACK)

    async def submit_reveal(self, ack, body):
        """Give the desk the name the employee typed, with their consent; or show errors."""
        submission = parse.view_submission(body)
        try:
            outcome = await self._flows.consultation.reveal(submission.actor, submission.context, submission.raw,
                                                             locale=self.locale)
        except Exception as error:
            await self._submission_failed(ack, submission, "reveal", error)
            return
        await self._answer_submission(ack, submission, outcome.errors, outcome.card, "slack.done.reveal")

    # -- the desk ----------------------------------------------------------------------------
    async def thread_reply(self, message: parse.ChatMessage, client: AsyncWebClient) -> bool:
        """A reply in a thread: relayed when it is a consultation's thread (True), else ignored."""
        thread = message.thread_ts
        failed = partial(respond.call, client, "chat_postEphemeral", channel=message.channel_id,
                         user=message.actor.user_id, thread_ts=thread, **self._text("slack.error.generic"))
        card = await respond.attempt(self._flows.consultation.hr_reply(
            Platform.SLACK, message.actor, make_ref(message.channel_id, thread), message.text, locale=self.locale,
            request_key=f"slack:event:{message.event_id}"), "consultation reply", failed)
        if card is None:
            return False  # not a consultation's thread (or failed, and the writer was told)
        await respond.post(client, message.channel_id, views.card_message(card), thread_ts=thread)
        if message.has_files:
            await respond.post(client, message.channel_id, self._text("slack.consult.files_not_sent"), thread_ts=thread)
        return True

    async def open_reply(self, ack, body, client: AsyncWebClient):
        """CONSULT_REPLY (value: case code): the answer box, for those who prefer it to the thread."""
        click = parse.button_click(body)
        await ack()
        await self._open_form(client, click, self._flows.consultation.reply_form(click.value, locale=self.locale),
                              ids.CONSULT_REPLY_CALLBACK)

    async def submit_reply(self, ack, body):
        """Send the desk's answer to the employee; the modal shows what happened."""
        submission = parse.view_submission(body)
        text = submission.raw.get("text")
        try:
            card = await self._flows.consultation.hr_reply(
                Platform.SLACK, submission.actor, submission.context, text if isinstance(text, str) else "",
                locale=self.locale, request_key=f"slack:view:{submission.view_id}")
        except Exception as error:
            await self._submission_failed(ack, submission, "consultation reply", error)
            return
        await self._answer_submission(ack, submission, {}, card, "slack.done.reply")
