"""Incident listeners: the report modal and its buttons, the alert's Acknowledge button.

What typed words mean (report, SOS, help) is decided in flows.chat; see chat.py.

Slack drops an interaction that is not acknowledged within 3 s, and a modal can only be
opened with a trigger_id for 3 s, so every listener acks (or opens the modal) before slow work.
"""
from __future__ import annotations

import asyncio
import logging
import time

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import failure
from adapters.slack import ids, parse, respond
from adapters.slack.render import views
from adapters.slack.respond import ListenerGroup
from flows.app import Flows
from flows.cards import ActionId

log = logging.getLogger(__name__)

ACK_BUDGET_S = 2.5  # answer a submission by then (Slack gives up 3 s after it was sent)


class IncidentRoutes(ListenerGroup):
    """Bind `flows.incidents` to the report modal, alert buttons and the report button."""

    def __init__(self, flows: Flows):
        super().__init__(flows)
        self._modal: tuple[object, dict] | None = None  # the plain report form and its modal, rendered once
        self.ack_budget_s = ACK_BUDGET_S
        self._late: set[asyncio.Task] = set()  # submissions still saving after their answer

    def register(self, app: AsyncApp) -> None:
        app.view_submission(ids.REPORT_CALLBACK)(self.submit_report)
        app.action(ids.action_pattern(ActionId.ACKNOWLEDGE))(self.acknowledge)
        app.action(ids.action_pattern(ActionId.OPEN_REPORT))(self.open_report)
        app.action(ids.action_pattern(ActionId.CHANGE_LEVEL))(self.open_level)
        app.view_submission(ids.LEVEL_CALLBACK)(self.submit_level)

    # -- the report modal ------------------------------------------------------------------
    async def open_report_form(self, client: AsyncWebClient, trigger_id: str, *, context: str,
                               in_view: str = "") -> bool:
        spec = self._flows.incidents.report_form(self.locale, context=context)
        if self._modal is not None and self._modal[0] is spec:  # the same form object: slack_sdk only reads the dict
            view = self._modal[1]
        else:
            view = views.report_modal(spec, locale=self.locale)
            if not context:  # the flows build the plain form once per locale
                self._modal = (spec, view)
        return await respond.open_modal(client, trigger_id, view, in_view=in_view)

    async def submit_report(self, ack, body, client: AsyncWebClient, context):
        """Store the report and show the confirmation, or show inline errors.

        Slack drops a submission not answered within 3 s of its arrival: when saving takes
        longer (an overloaded database, another process holding SQLite's write lock), the
        modal says it was received and that the case number follows by DM; the saving goes
        on and the outbox sends that confirmation. If it then fails, the reporter is told
        by DM to report again.
        """
        submission = parse.view_submission(body)
        saving = asyncio.ensure_future(self._flows.incidents.submit_report(
            submission.actor, submission.raw, locale=self.locale,
            request_key=f"slack:view:{submission.view_id}", context=submission.context))
        waited = time.monotonic() - context.get(ids.ARRIVED, time.monotonic())
        done, _ = await asyncio.wait({saving}, timeout=max(self.ack_budget_s - waited, 0.0))
        if not done:
            await ack(response_action="update", view=views.pending_view(locale=self.locale))
            late = asyncio.ensure_future(self._saved_late(client, submission, saving))
            self._late.add(late)  # a strong reference until it ends
            late.add_done_callback(self._late.discard)
            return
        try:
            outcome = saving.result()
        except Exception as error:
            log.error("report could not be stored: %s", failure(error))
            await ack(response_action="errors", errors=self._errors(submission, {"": self._t()("slack.error.save")}))
            return
        if outcome.errors:
            await ack(response_action="errors", errors=self._errors(submission, outcome.errors))
        elif outcome.card is not None:
            await ack(response_action="update", view=views.confirmation_view(outcome.card, locale=self.locale))
        else:
            await ack()

    async def _saved_late(self, client: AsyncWebClient, submission: parse.ViewSubmission, saving: asyncio.Future):
        """After the "received" answer: on success the outbox sends the confirmation; otherwise say so by DM."""
        try:
            outcome = await saving
            if not outcome.errors:
                return
            log.error("report could not be stored after the answer: the form had errors")
        except Exception as error:  # noqa: BLE001 (told to the reporter, logged by type)
            log.error("report could not be stored after the answer: %s", failure(error))
        await respond.post(client, submission.actor.user_id, self._text("slack.error.save_late"))

    def _errors(self, submission: parse.ViewSubmission, errors: dict[str, str]) -> dict[str, str]:
        spec = self._flows.incidents.report_form(self.locale, context=submission.context)
        return views.errors_for([f.id for f in spec.fields], errors)

    # -- buttons -----------------------------------------------------------------------------
    async def acknowledge(self, ack, body, client: AsyncWebClient):
        """Acknowledge an alert; the outbox then updates every posted copy."""
        click = parse.button_click(body)
        incident_id = parse.incident_id(click.value)
        await ack()
        try:
            outcome = await self._flows.incidents.acknowledge(incident_id, click.actor, where=click.channel_id,
                                                              locale=self.locale)
        except Exception as error:  # the alert keeps escalating; the manager must know the click did not count
            log.error("acknowledgement of incident %s failed: %s", incident_id, failure(error))
            await respond.to_clicker(client, click, self.went_wrong())
            return
        if outcome is None:
            await respond.to_clicker(client, click, views.answer_message(self._flows.incidents.unknown_alert(self.locale)))
        elif outcome.refused:  # only the clicker sees it; nothing changed
            await respond.to_clicker(client, click, views.answer_message(outcome.card))
        elif outcome.notice is not None:  # somebody acknowledged first: who, and when
            await respond.to_clicker(client, click, views.answer_message(outcome.notice))

    async def open_level(self, ack, body, client: AsyncWebClient):
        """A manager re-classifies: open the level and reason form (or tell the clicker why not)."""
        click = parse.button_click(body)
        incident_id = parse.incident_id(click.value)
        await ack()
        form = await self._flows.incidents.level_form(incident_id, click.actor, where=click.channel_id,
                                                      locale=self.locale)
        if form is None:
            await respond.to_clicker(client, click, views.answer_message(self._flows.incidents.unknown_alert(self.locale)))
            return
        await self._open_form(client, click, form, ids.LEVEL_CALLBACK, origin=click.message)

    async def submit_level(self, ack, body):
        """Change the level: a missing reason is an inline error; the outbox updates every posted alert."""
        submission = parse.view_submission(body)
        incident_id = parse.incident_id(submission.context)
        try:
            outcome = await self._flows.incidents.change_level(
                incident_id, submission.actor, submission.raw,
                where=submission.origin.channel_id if submission.origin else "", locale=self.locale)
        except Exception as error:
            await self._submission_failed(ack, submission, f"level change of incident {incident_id}", error)
            return
        await self._answer_submission(ack, submission, outcome.errors, outcome.card, "slack.done.level")

    async def open_report(self, ack, body, client: AsyncWebClient):
        """Open the report form from a button (help card, SOS card, DM prompt, confirmation)."""
        click = parse.button_click(body)
        await ack()
        if not await self.open_report_form(client, click.trigger_id, context=click.value, in_view=click.view_id):
            await respond.to_clicker(client, click, self._text("slack.error.modal"))
