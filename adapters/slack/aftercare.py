"""After-care listeners: follow-up reminders (Record, Snooze) and the check-in answers.

Reminders and check-ins reach Slack through the outbox (SlackNotifier); these listeners
handle the buttons on them. The record modal carries the reminder's location, so that after
recording, the reminder the person clicked shows that the follow-up is done.
"""
from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import ids, parse, respond
from adapters.slack.render import views
from adapters.slack.respond import ListenerGroup
from flows.cards import ActionId


class AftercareRoutes(ListenerGroup):
    """Bind `flows.aftercare` to the buttons of reminder and check-in cards."""

    def register(self, app: AsyncApp) -> None:
        app.action(ids.action_pattern(ActionId.RECORD_FOLLOW_UP))(self.open_record)
        app.action(ids.action_pattern(ActionId.SNOOZE_FOLLOW_UP))(self.snooze)
        app.action(ids.action_pattern(ActionId.CHECKIN_ANSWER))(self.checkin_answer)
        app.view_submission(ids.FOLLOW_UP_CALLBACK)(self.submit_record)

    async def open_record(self, ack, body, client: AsyncWebClient):
        """Open the record form; when it is recorded already (or unknown), say so instead."""
        click = parse.button_click(body)
        follow_up_id = parse.follow_up_id(click.value)
        await ack()
        form = await self._for_click(client, click, self._flows.aftercare.record_form(
            follow_up_id, click.actor, where=click.channel_id, locale=self.locale),
            f"record form of follow-up {follow_up_id}")
        await self._open_form(client, click, form, ids.FOLLOW_UP_CALLBACK, origin=click.message)

    async def submit_record(self, ack, body, client: AsyncWebClient):
        """Record the follow-up: inline errors, or the result in the modal and on the reminder."""
        submission = parse.view_submission(body)
        follow_up_id = parse.follow_up_id(submission.context)
        try:
            outcome = await self._flows.aftercare.record(follow_up_id, submission.actor, submission.raw,
                                                         where=submission.origin.channel_id if submission.origin
                                                         else "", locale=self.locale,
                                                         request_key=f"slack:view:{submission.view_id}")
        except Exception as error:
            await self._submission_failed(ack, submission, f"record of follow-up {follow_up_id}", error)
            return
        await self._answer_submission(ack, submission, outcome.errors, outcome.card, "slack.done.follow_up")
        if (outcome.card is not None and outcome.follow_up is not None and not outcome.refused
                and submission.origin is not None):
            # The reminder the person clicked shows the record (the card holds no sensitive answer).
            await respond.replace(client, submission.origin, views.card_message(outcome.card))

    async def snooze(self, ack, body, client: AsyncWebClient):
        """Postpone the next reminder; tell the clicker until when."""
        click = parse.button_click(body)
        follow_up_id = parse.follow_up_id(click.value)
        await ack()
        await self._show(client, click, self._flows.aftercare.snooze(follow_up_id, click.actor, where=click.channel_id,
                                                                     locale=self.locale),
                         f"snooze of follow-up {follow_up_id}")

    async def checkin_answer(self, ack, body, client: AsyncWebClient):
        """Pass the employee's answer to HR; the check-in message becomes the thank-you card."""
        click = parse.button_click(body)
        await ack()
        card = await self._for_click(client, click, self._flows.aftercare.checkin_answer(
            click.value, click.actor, locale=self.locale), "check-in answer")
        if card is None:
            return
        message = views.card_message(card)
        if click.message is None or not await respond.replace(client, click.message, message):
            await respond.to_clicker(client, click, message)
