"""Anonymous consultation listeners: the buttons and modals of the employee and of the desk.

What the employee writes in the DM, and the desk's answers in the thread of a consultation
message, are typed messages: flows.chat decides them (see chat.py). Anonymity (manual §5-1)
at this edge: nothing here logs the actor, the text or the DM channel; request keys come from
Slack's view or trigger ids, never from user ids; a DM's files are never read or forwarded
(only whether there were any, so the flow refuses it).
"""
from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse
from adapters.slack.respond import ListenerGroup
from flows.cards import ActionId
from flows.model import Platform


class ConsultationRoutes(ListenerGroup):
    """Bind `flows.consultation` to the consultation buttons and modals."""

    def register(self, app: AsyncApp) -> None:
        app.action(ids.action_pattern(ActionId.CONSULT_START))(self.start)
        app.action(ids.action_pattern(ActionId.CONSULT_NEW))(self.start_new)
        app.action(ids.action_pattern(ActionId.CONSULT_CLOSE))(self.close)
        app.action(ids.action_pattern(ActionId.CONSULT_REVEAL))(self.open_reveal)
        app.action(ids.action_pattern(ActionId.CONSULT_REPLY))(self.open_reply)
        app.view_submission(ids.CONSULT_REVEAL_CALLBACK)(self.submit_reveal)
        app.view_submission(ids.CONSULT_REPLY_CALLBACK)(self.submit_reply)

    # -- the employee ----------------------------------------------------------------------
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
    async def open_reply(self, ack, body, client: AsyncWebClient):
        """CONSULT_REPLY (value: case code): the answer box, for those who prefer it to the thread."""
        click = parse.button_click(body)
        await ack()
        await self._open_form(client, click, self._flows.consultation.reply_form(click.value, locale=self.locale),
                              ids.CONSULT_REPLY_CALLBACK, origin=click.message)  # where it was clicked

    async def submit_reply(self, ack, body):
        """Send the desk's answer to the employee; the modal shows what happened."""
        submission = parse.view_submission(body)
        text = submission.raw.get("text")
        try:
            card = await self._flows.consultation.hr_reply(
                Platform.SLACK, submission.actor, submission.context, text if isinstance(text, str) else "",
                where=submission.origin.channel_id if submission.origin else "", locale=self.locale,
                request_key=f"slack:view:{submission.view_id}")
        except Exception as error:
            await self._submission_failed(ack, submission, "consultation reply", error)
            return
        await self._answer_submission(ack, submission, {}, card, "slack.done.reply")
