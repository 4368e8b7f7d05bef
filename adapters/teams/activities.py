"""Build the botbuilder model objects the bot sends or returns from invoke handlers.

Invoke handlers must return botbuilder models, never plain dicts: botbuilder serialises the
invoke body with msrest, which drops or mangles untyped values.
"""
from __future__ import annotations

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

from adapters.teams import cards, ids
from flows.cards import Card

DIALOG_HEIGHT = "large"  # the report form is long; Teams scrolls inside the dialog
DIALOG_WIDTH = "medium"


def attachment(content: dict) -> Attachment:
    return Attachment(content_type=ids.CARD_CONTENT_TYPE, content=content)


def card_message(source: Card, *, notify: bool = False) -> Activity:
    """Return a message activity carrying one Adaptive Card (`notify` pings the feed too)."""
    activity = Activity(type=ActivityTypes.message, attachments=[attachment(cards.card(source))],
                        summary=source.fallback)
    if notify:
        activity.channel_data = {"notification": {"alert": True}}
    return activity


def dialog(title: str, content: dict) -> TaskModuleResponse:
    """Return a task/fetch or task/submit response that shows `content` in the dialog."""
    info = TaskModuleTaskInfo(title=title, card=attachment(content), height=DIALOG_HEIGHT, width=DIALOG_WIDTH)
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))


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
