"""Turn Slack payloads into typed values, once, at the edge.

Anything that does not have the shape Slack documents raises `MalformedPayload`, which the
app answers with HTTP 400; flows never see a raw payload. A `message` event is reduced to
what the app may use (never file metadata or display names).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from adapters.slack import ids
from adapters.slack.shapes import MalformedPayload, obj, plain_text, string
from flows.cards import ActionId
from flows.commands import Command, parse_command
from flows.forms import RawValue
from flows.model import Actor, Platform


@dataclass(frozen=True)
class SlashCommand:
    actor: Actor
    command: Command
    trigger_id: str
    channel_id: str
    response_url: str


@dataclass(frozen=True)
class MessageAt:
    """Where a message the app posted sits, so it can be replaced (chat.update)."""

    channel_id: str
    ts: str


@dataclass(frozen=True)
class ViewSubmission:
    actor: Actor
    view_id: str
    callback_id: str
    raw: dict[str, RawValue]
    context: str  # FormSpec.context, given back to flows untouched
    origin: MessageAt | None = None  # the message whose button opened the modal, if any


@dataclass(frozen=True)
class ButtonClick:
    actor: Actor
    action: ActionId | None
    value: str
    trigger_id: str
    channel_id: str  # "" when the button sits in a modal
    view_id: str = ""  # the modal the button sits in, if any
    message: MessageAt | None = None  # the (non-ephemeral) message the button sits in, if any
    action_ts: str = ""


class MessageKind(str, Enum):
    DIRECT = "direct"  # a person writing to the app (DM / App Home Messages tab)
    THREAD_REPLY = "thread_reply"  # a person replying in a thread of a channel
    MENTION = "mention"  # an @mention of the app in a channel (app_mention), in a thread or not
    IGNORED = "ignored"  # bots, edits, deletions, joins, channel chatter, group DMs


@dataclass(frozen=True)
class ChatMessage:
    """A `message` event, reduced to what the app may use: never file metadata or names."""

    kind: MessageKind
    event_id: str
    actor: Actor
    channel_id: str
    text: str  # plain text: Slack's link markup and entities decoded; mentions left for flows to strip
    thread_ts: str
    has_files: bool


@dataclass(frozen=True)
class EventDelivery:
    event_id: str
    type: str
    user_id: str
    channel_id: str
    channel_type: str
    subtype: str
    bot_id: str


def slash_command(body: Mapping[str, Any]) -> SlashCommand:
    """Parse a slash command's form fields."""
    actor = Actor(Platform.SLACK, string(body, "user_id"), string(body, "user_name", required=False))
    return SlashCommand(
        actor=actor,
        command=parse_command(plain_text(string(body, "text", required=False))),  # entities decoded
        trigger_id=string(body, "trigger_id"),
        channel_id=string(body, "channel_id", required=False),
        response_url=string(body, "response_url", required=False),
    )


def interaction_actor(body: Mapping[str, Any]) -> Actor:
    """Return who clicked or submitted (interactive payloads carry a `user` object)."""
    user = obj(body.get("user"), "user")
    return Actor(Platform.SLACK, string(user, "id"), string(user, "name", required=False))


def view_submission(body: Mapping[str, Any]) -> ViewSubmission:
    """Parse a modal submission: state.values become field id -> raw value."""
    view = obj(body.get("view"), "view")
    state = obj(view.get("state", {}), "view.state")
    context, origin = modal_metadata(string(view, "private_metadata", required=False))
    return ViewSubmission(
        actor=interaction_actor(body),
        view_id=string(view, "id"),
        callback_id=string(view, "callback_id", required=False),
        raw=raw_values(state.get("values", {})),
        context=context,
        origin=origin,
    )


_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,30}$")
_TS = re.compile(r"^\d{1,12}\.\d{1,9}$")


def message_at(channel_id: Any, ts: Any) -> MessageAt | None:
    """Return the location of a message, or None unless both parts look like Slack's."""
    if isinstance(channel_id, str) and isinstance(ts, str) and _CHANNEL_ID.match(channel_id) and _TS.match(ts):
        return MessageAt(channel_id, ts)
    return None


def modal_metadata(text: str) -> tuple[str, MessageAt | None]:
    """Read private_metadata as written by `views.modal_metadata`: (form context, origin message)."""
    if not text.startswith("{"):
        return text, None  # a bare form context (the report modal's "sos:7", "edit:3", …)
    try:
        data = json.loads(text)
    except ValueError:
        return text, None
    if not isinstance(data, dict) or not isinstance(data.get(ids.META_CONTEXT), str):
        return text, None
    return data[ids.META_CONTEXT], message_at(data.get(ids.META_CHANNEL), data.get(ids.META_TS))


def raw_values(values: Any) -> dict[str, RawValue]:
    """Map state.values ({block_id: {action_id: element state}}) to {field id: raw value}."""
    result: dict[str, RawValue] = {}
    for block_id, elements in obj(values, "state.values").items():
        for element in obj(elements, f"state.values.{block_id}").values():
            result[block_id] = element_value(obj(element, f"state.values.{block_id} element"))
    return result


def element_value(element: Mapping[str, Any]) -> RawValue:
    """Read one input element's state the way its type stores it."""
    kind = element.get("type")
    if kind == "datetimepicker":
        moment = element.get("selected_date_time")
        if moment is None:
            return None
        if not isinstance(moment, (int, str)) or not (str(moment).isascii() and str(moment).isdigit()):
            raise MalformedPayload("selected_date_time must be unix seconds")
        return str(int(moment))
    if kind in ("multi_static_select", "multi_external_select"):
        chosen = element.get("selected_options") or []
        if not isinstance(chosen, list):
            raise MalformedPayload("selected_options must be a list")
        return [string(obj(o, "option"), "value") for o in chosen]
    if kind in ("static_select", "external_select", "radio_buttons"):
        chosen = element.get("selected_option")
        return None if chosen is None else string(obj(chosen, "option"), "value")
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = element.get("value")
        if value is not None and not isinstance(value, str):
            raise MalformedPayload("value must be a string")
        return value
    raise MalformedPayload(f"unsupported input element {kind!r}")


def button_click(body: Mapping[str, Any]) -> ButtonClick:
    """Parse the first action of a block_actions payload."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise MalformedPayload("actions must be a non-empty list")
    action = obj(actions[0], "action")
    channel = body.get("channel") or {}
    container = obj(body.get("container") or {}, "container")
    channel_id = obj(channel, "channel").get("id") or container.get("channel_id") or ""
    view_id = container.get("view_id") if container.get("type") == "view" else ""
    in_message = container.get("type") == "message" and container.get("is_ephemeral") is not True
    return ButtonClick(
        actor=interaction_actor(body),
        action=ids.parse_action_id(string(action, "action_id")),
        value=string(action, "value", required=False),
        trigger_id=string(body, "trigger_id", required=False),
        channel_id=channel_id if isinstance(channel_id, str) else "",
        view_id=view_id if isinstance(view_id, str) else "",
        message=message_at(container.get("channel_id"), container.get("message_ts")) if in_message else None,
        action_ts=string(action, "action_ts", required=False),
    )


def numeric_id(value: str, what: str = "an incident id") -> int:
    """Read the record id a button carries (incident, follow-up: decimal digits)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:  # "²" and "１" are digits to str.isdigit
        raise MalformedPayload(f"the button value must be {what}")
    return int(value)


def incident_id(value: str) -> int:
    """Read the incident id an Acknowledge button carries."""
    return numeric_id(value)


def follow_up_id(value: str) -> int:
    """Read the follow-up id of a Record / Snooze button or of a record form's context."""
    return numeric_id(value, "a follow-up id")


def event(body: Mapping[str, Any]) -> EventDelivery:
    """Parse an Events API envelope (event_callback) into the fields the app uses."""
    inner = obj(body.get("event"), "event")
    return EventDelivery(
        event_id=string(body, "event_id"),
        type=string(inner, "type"),
        user_id=string(inner, "user", required=False),
        channel_id=string(inner, "channel", required=False),
        channel_type=string(inner, "channel_type", required=False),
        subtype=string(inner, "subtype", required=False),
        bot_id=string(inner, "bot_id", required=False),
    )


# Subtypes of a message a person wrote; every other subtype (edits, deletions, joins,
# bot_message, message_replied…) is an echo of something else and is never answered.
PERSON_SUBTYPES = frozenset({"", "file_share", "thread_broadcast"})
THREAD_CHANNEL_TYPES = frozenset({"channel", "group"})  # group DMs (mpim) are not a desk channel


def message(body: Mapping[str, Any]) -> ChatMessage:
    """Parse a `message` event and tell a DM, a thread reply and everything to ignore apart."""
    inner = obj(body.get("event"), "event")
    files = inner.get("files")
    if files is not None and not isinstance(files, list):
        raise MalformedPayload("files must be a list")
    user = string(inner, "user", required=False)
    channel = string(inner, "channel", required=False)
    ts, thread_ts = string(inner, "ts", required=False), string(inner, "thread_ts", required=False)
    channel_type = string(inner, "channel_type", required=False)
    person = bool(user and channel) and not inner.get("bot_id") \
        and string(inner, "subtype", required=False) in PERSON_SUBTYPES
    if not person:
        kind = MessageKind.IGNORED
    elif channel_type == "im":
        kind = MessageKind.DIRECT
    elif channel_type in THREAD_CHANNEL_TYPES and thread_ts and thread_ts != ts:
        kind = MessageKind.THREAD_REPLY
    else:
        kind = MessageKind.IGNORED
    return ChatMessage(kind=kind, event_id=string(body, "event_id"), actor=Actor(Platform.SLACK, user),
                       channel_id=channel, text=plain_text(string(inner, "text", required=False)),
                       thread_ts=thread_ts, has_files=bool(files))


def mention(body: Mapping[str, Any], bot_user_id: str = "") -> ChatMessage:
    """Parse an `app_mention` event; the app's own mention is cut from the text.

    Without the app's user id (not known yet), a leading mention is taken to be the app's.
    A mention in a DM is IGNORED: the DM's `message` event carries it.
    """
    inner = obj(body.get("event"), "event")
    files = inner.get("files")
    user = string(inner, "user", required=False)
    channel = string(inner, "channel", required=False)
    text = plain_text(string(inner, "text", required=False))
    text = text.replace(f"<@{bot_user_id}>", " ") if bot_user_id else _LEADING_MENTION.sub("", text)
    person = bool(user and channel) and not inner.get("bot_id") and not channel.startswith("D")
    return ChatMessage(kind=MessageKind.MENTION if person else MessageKind.IGNORED, event_id=string(body, "event_id"),
                       actor=Actor(Platform.SLACK, user), channel_id=channel, text=text.strip(),
                       thread_ts=string(inner, "thread_ts", required=False), has_files=bool(files))


_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>")


def check_envelope(body: Any) -> None:
    """Reject bodies whose outer shape is wrong before any listener reads them."""
    body = obj(body, "body")
    kind = body.get("type")
    if kind == "view_submission":
        view_submission(body)
    elif kind == "block_actions":
        button_click(body)
    elif kind == "event_callback":
        if event(body).type == "message":
            message(body)
        elif event(body).type == "app_mention":
            mention(body)
    elif kind is None and "command" in body:
        slash_command(body)
