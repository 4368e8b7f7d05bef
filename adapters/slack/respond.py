"""How listeners answer people: to the clicker, in a DM or thread, in a modal, in place.

Every Web API failure here is logged by method and Slack error code only, and a failed flow
call by exception type and code location only: exception messages and call arguments can
hold user ids, DM channels or consultation text, which must never reach a log line.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from functools import partial
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import attempt, failure, went_wrong
from adapters.slack.render import views
from adapters.slack.parse import ButtonClick, MessageAt, ViewSubmission
from flows.cards import Card
from flows.forms import FormSpec
from flows.i18n import Translator
from flows.app import Flows

log = logging.getLogger(__name__)

T = TypeVar("T")


class ListenerGroup:
    """What every group of listeners shares: the flows and the language of the answers."""

    def __init__(self, flows: Flows):
        self._flows = flows

    @property
    def locale(self) -> str:
        return self._flows.policy.locale

    def _t(self) -> Translator:
        return Translator(self.locale)

    def _text(self, key: str) -> dict:
        return views.text_message(self._t()(key))

    def went_wrong(self) -> dict:
        """The answer when a flow call failed (adapters.common.went_wrong), as a message."""
        return views.text_message(went_wrong(self.locale).title)

    async def _for_click(self, client: AsyncWebClient, click: ButtonClick, flow_call: Awaitable[T],
                         what: str) -> T | None:
        """Await a flow call for a click; if it fails, tell the clicker it did not count."""
        return await attempt(flow_call, what, partial(to_clicker, client, click, self.went_wrong()))

    async def _show(self, client: AsyncWebClient, click: ButtonClick, flow_call: Awaitable[Card], what: str) -> None:
        """Await a flow call for a click and show the card it returns to the clicker."""
        card = await self._for_click(client, click, flow_call, what)
        if card is not None:
            await to_clicker(client, click, views.card_message(card))

    async def _open_form(self, client: AsyncWebClient, click: ButtonClick, form: FormSpec | Card | None,
                         callback_id: str, *, origin: MessageAt | None = None) -> None:
        """Open a flow's form as a modal; a card instead (unknown, already done) goes to the clicker."""
        if isinstance(form, Card):
            await to_clicker(client, click, views.card_message(form))
        elif form is not None:
            view = views.form_modal(form, callback_id=callback_id, origin=origin)
            if not await open_modal(client, click.trigger_id, view):
                await to_clicker(client, click, self._text("slack.error.form"))

    async def _answer_submission(self, ack, submission: ViewSubmission, errors: Mapping[str, str],
                                 card: Card | None, title_key: str) -> None:
        """Ack a submitted form: its errors inline, or the flow's card in place of the form."""
        if errors:
            await ack(response_action="errors", errors=views.errors_for(list(submission.raw), errors))
        elif card is not None:
            await ack(response_action="update", view=views.result_view(card, title=self._t()(title_key),
                                                                       locale=self.locale))
        else:
            await ack()

    async def _submission_failed(self, ack, submission: ViewSubmission, what: str, error: Exception) -> None:
        """Keep the form open with a retry message when the flow call raised."""
        log.error("%s failed: %s", what, failure(error))
        await ack(response_action="errors",
                  errors=views.errors_for(list(submission.raw), {"": self._t()("slack.error.save")}))


async def to_clicker(client: AsyncWebClient, click: ButtonClick, message: dict) -> None:
    """Show a message to the clicker only: kept in a DM, ephemeral in a channel, else by DM."""
    if click.channel_id.startswith("D"):
        await call(client, "chat_postMessage", channel=click.channel_id, **message)
    elif click.channel_id:
        await call(client, "chat_postEphemeral", channel=click.channel_id, user=click.actor.user_id, **message)
    else:
        await call(client, "chat_postMessage", channel=click.actor.user_id, **message)


async def post(client: AsyncWebClient, channel: str, message: dict, *, thread_ts: str = "") -> None:
    """Post a message to a channel or DM (in a thread when `thread_ts` is given)."""
    await call(client, "chat_postMessage", channel=channel, **({"thread_ts": thread_ts} if thread_ts else {}),
               **message)


async def replace(client: AsyncWebClient, at: MessageAt, message: dict) -> bool:
    """Replace a message the app posted; False when Slack refused."""
    return await call(client, "chat_update", channel=at.channel_id, ts=at.ts, **message) is not None


async def open_modal(client: AsyncWebClient, trigger_id: str, view: dict, *, in_view: str = "") -> bool:
    """Open a modal; from inside a modal, replace that modal instead (no stacking)."""
    if in_view:
        return await call(client, "views_update", view_id=in_view, view=view) is not None
    return await call(client, "views_open", trigger_id=trigger_id, view=view) is not None


async def call(client: AsyncWebClient, method: str, **kwargs) -> dict | None:
    """Call the Web API; on a Slack error log the method and error code, return None."""
    try:
        response = await getattr(client, method)(**kwargs)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else "-"
        log.warning("slack %s failed: %s", method, code)
        return None
    return response.data if isinstance(response.data, dict) else {}
