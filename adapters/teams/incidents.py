"""Incidents in Teams: the report dialog, and the alert's Acknowledge button and refresh."""
from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse
from botbuilder.schema.teams import TaskModuleResponse

from adapters.teams import parse
from adapters.teams.render import activities
from adapters.teams.parse import MalformedActivity
from adapters.common import failure
from flows.i18n import Translator
from flows.incidents.service import IncidentFlows

log = logging.getLogger(__name__)


class IncidentRoutes:
    """Report an incident (dialog) and acknowledge its alert (Action.Execute)."""

    def __init__(self, incidents: IncidentFlows):
        self._incidents = incidents

    @property
    def report_form_id(self) -> str:
        return self._incidents.report_form(None).id

    async def open_report(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """Open the report dialog (with a fresh nonce: one dialog, at most one incident)."""
        return activities.open_form(self._incidents.report_form(turn.locale, context=context))

    async def submit_report(self, turn_context: TurnContext, turn: parse.Turn,
                            submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Submit the report: errors re-open the form with them, success closes the dialog."""
        t = Translator(turn.locale)
        key = submitted.request_key or turn.request_key
        try:
            outcome = await self._incidents.submit_report(turn.actor, submitted.values, locale=turn.locale,
                                                      request_key=key, context=submitted.context)
        except Exception as error:
            log.error("Teams report submission failed: %s", failure(error))
            return activities.dialog_message(t("teams.error.save"))
        if outcome.errors:
            spec = self._incidents.report_form(turn.locale, context=submitted.context)
            return activities.form_dialog(spec, outcome.errors, nonce=submitted.nonce, values=submitted.data)
        if outcome.incident is None:  # e.g. completing a report that is gone: the flow says why
            return activities.card_dialog(outcome.card)
        # The confirmation card itself reaches the reporter's personal chat through the outbox.
        return activities.dialog_message(t("teams.report.done", case=outcome.incident.case_no))

    async def acknowledge(self, turn_context: TurnContext, turn: parse.Turn,
                          value: str) -> AdaptiveCardInvokeResponse:
        """Acknowledge: return the alert as everyone must now see it (the outbox updates the copies)."""
        outcome = await self._incidents.acknowledge(_incident_id(value), turn.actor, where=turn.conversation.key,
                                                    locale=turn.locale)
        if outcome is None:
            return activities.card_notice(self._incidents.unknown_alert(turn.locale).title)
        if outcome.refused:  # a message to the clicker only; the card stays as it is
            return activities.card_notice_of(outcome.card)
        # Acknowledged before (outcome.notice): the updated card itself shows by whom and when.
        return activities.card_update(outcome.card)

    async def open_level(self, turn: parse.Turn, context: str) -> TaskModuleResponse:
        """A manager re-classifies: the level and reason dialog (or why not, to the clicker only)."""
        found = await self._incidents.level_form(_incident_id(context), turn.actor, where=turn.conversation.key,
                                                 locale=turn.locale)
        if found is None:
            return activities.dialog_message(self._incidents.unknown_alert(turn.locale).title)
        return activities.open_form(found)

    async def submit_level(self, turn_context: TurnContext, turn: parse.Turn,
                           submitted: parse.DialogSubmit) -> TaskModuleResponse:
        """Change the level: a missing reason re-opens the form with its error; the outbox updates the alerts."""
        incident_id = _incident_id(submitted.context)
        outcome = await self._incidents.change_level(incident_id, turn.actor, submitted.values,
                                                     where=turn.conversation.key, locale=turn.locale)
        if outcome.errors:
            again = await self._incidents.level_form(incident_id, turn.actor, where=turn.conversation.key,
                                                     locale=turn.locale)
            return activities.form_again(again, outcome.errors, nonce=submitted.nonce, values=submitted.data)
        return activities.card_dialog(outcome.card)

    async def refresh(self, turn_context: TurnContext, turn: parse.Turn, value: str) -> AdaptiveCardInvokeResponse:
        """The card's refresh: show the alert as it is now."""
        card = await self._incidents.alert_card(_incident_id(value), turn.actor, where=turn.conversation.key,
                                                locale=turn.locale)
        if card is None:
            return activities.card_notice(self._incidents.unknown_alert(turn.locale).title)
        return activities.card_update(card)


def _incident_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise MalformedActivity(f"alert action without a numeric incident id: {value[:40]!r}")
    return int(value)
