"""Build the botbuilder model objects the bot sends or returns from invoke handlers.

Invoke handlers must return botbuilder models, never plain dicts: botbuilder serialises the
invoke body with msrest, which drops or mangles untyped values.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace

from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
)
from botbuilder.schema.teams import (
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
    TaskModuleTaskInfo,
)

from adapters.teams import ids
from adapters.teams.render import cards
from flows.cards import Card
from flows.forms import FormSpec

DIALOG_HEIGHT = "large"  # long forms (the report); Teams scrolls inside the dialog
SHORT_DIALOG_HEIGHT = "medium"  # answers and forms of one or two fields
DIALOG_WIDTH = "medium"
SHORT_FORM_FIELDS = 2


def attachment(content: dict) -> Attachment:
    return Attachment(content_type=ids.CARD_CONTENT_TYPE, content=content)


def card_message(source: Card, *, notify: bool = False, image_url: str = "", image_alt: str = "") -> Activity:
    """Return a message activity carrying one Adaptive Card (`notify` pings the feed too)."""
    activity = Activity(type=ActivityTypes.message,
                        attachments=[attachment(cards.card(source, image_url=image_url, image_alt=image_alt))],
                        summary=source.fallback)
    if notify:
        activity.channel_data = {"notification": {"alert": True}}
    return activity


def dialog(title: str, content: dict, *, height: str = DIALOG_HEIGHT) -> TaskModuleResponse:
    """Return a task/fetch or task/submit response that shows `content` in the dialog."""
    info = TaskModuleTaskInfo(title=title, card=attachment(content), height=height, width=DIALOG_WIDTH)
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


def open_form(spec: FormSpec | Card) -> TaskModuleResponse:
    """Open a form in the dialog, with a fresh nonce (see parse.DialogSubmit.request_key).

    Flows answer some openings with a Card instead (already done, unknown): shown as is.
    """
    return card_dialog(spec) if isinstance(spec, Card) else form_dialog(spec, nonce=uuid.uuid4().hex)


def form_again(spec: FormSpec | Card, errors: Mapping[str, str], *, nonce: str,
               values: Mapping[str, object]) -> TaskModuleResponse:
    """Show a submitted form again with its errors and what was typed (or the Card flows gave)."""
    return card_dialog(spec) if isinstance(spec, Card) else form_dialog(spec, errors, nonce=nonce, values=values)


def form_dialog(spec: FormSpec, errors: Mapping[str, str] | None = None, *, nonce: str,
                values: Mapping[str, object] | None = None) -> TaskModuleResponse:
    """Show a form in the dialog (again, with its errors and what was typed)."""
    height = DIALOG_HEIGHT if len(spec.fields) > SHORT_FORM_FIELDS else SHORT_DIALOG_HEIGHT
    return dialog(spec.title, cards.form(spec, errors, nonce=nonce, values=values), height=height)


def card_dialog(source: Card) -> TaskModuleResponse:
    """Show a neutral card in the dialog; its buttons are left out (they don't work there)."""
    return dialog(source.title, cards.card(replace(source, actions=())), height=SHORT_DIALOG_HEIGHT)


def dialog_message(text: str) -> TaskModuleResponse:
    """Return a task/submit response that closes the dialog with a short message."""
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))


def card_update(source: Card) -> AdaptiveCardInvokeResponse:
    """Return an adaptiveCard/action response that replaces the clicked card."""
    return AdaptiveCardInvokeResponse(status_code=200, type=ids.CARD_CONTENT_TYPE, value=cards.card(source))


class _MessageInvokeResponse(AdaptiveCardInvokeResponse):
    """AdaptiveCardInvokeResponse whose value is text: the SDK's model only serialises dicts."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map, "value": {"key": "value", "type": "str"}}


def card_notice(text: str) -> AdaptiveCardInvokeResponse:
    """Return an adaptiveCard/action response that shows a message and keeps the card."""
    return _MessageInvokeResponse(status_code=200, type=ids.MESSAGE_RESPONSE_TYPE, value=text)


def card_notice_of(source: Card) -> AdaptiveCardInvokeResponse:
    """Answer a button with a neutral card's text, keeping the clicked card (and its buttons)."""
    return card_notice(cards.text(source))
