"""Turn Slack payloads into typed values, once, at the edge.

Anything that does not have the shape Slack documents raises `MalformedPayload`, which the
app answers with HTTP 400; flows never see a raw payload.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack import ids
from flows.cards import ActionId
from flows.commands import Command, parse_command
from flows.forms import RawValue
from flows.model import Actor, Platform


class MalformedPayload(ValueError):
    """The request is signed but does not look like what Slack sends."""


@dataclass(frozen=True)
class SlashCommand:
    actor: Actor
    command: Command
    trigger_id: str
    channel_id: str
    response_url: str


@dataclass(frozen=True)
class ViewSubmission:
    actor: Actor
    view_id: str
    callback_id: str
    raw: dict[str, RawValue]
    context: str  # private_metadata, given back to flows untouched


@dataclass(frozen=True)
class ButtonClick:
    actor: Actor
    action: ActionId | None
    value: str
    trigger_id: str
    channel_id: str  # "" when the button sits in a modal
    view_id: str = ""  # the modal the button sits in, if any


@dataclass(frozen=True)
class EventDelivery:
    event_id: str
    type: str
    user_id: str
    channel_id: str
    channel_type: str
    subtype: str
    bot_id: str


def _dict(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{what} must be an object")
    return value


def _str(container: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedPayload(f"{key} must be a non-empty string")
    return value


def slash_command(body: Mapping[str, Any]) -> SlashCommand:
    """Parse a slash command's form fields."""
    actor = Actor(Platform.SLACK, _str(body, "user_id"), _str(body, "user_name", required=False))
    return SlashCommand(
        actor=actor,
        command=parse_command(_str(body, "text", required=False)),
        trigger_id=_str(body, "trigger_id"),
        channel_id=_str(body, "channel_id", required=False),
        response_url=_str(body, "response_url", required=False),
    )


def interaction_actor(body: Mapping[str, Any]) -> Actor:
    """Return who clicked or submitted (interactive payloads carry a `user` object)."""
    user = _dict(body.get("user"), "user")
    return Actor(Platform.SLACK, _str(user, "id"), _str(user, "name", required=False))


def view_submission(body: Mapping[str, Any]) -> ViewSubmission:
    """Parse a modal submission: state.values become field id -> raw value."""
    view = _dict(body.get("view"), "view")
    state = _dict(view.get("state", {}), "view.state")
    return ViewSubmission(
        actor=interaction_actor(body),
        view_id=_str(view, "id"),
        callback_id=_str(view, "callback_id", required=False),
        raw=raw_values(state.get("values", {})),
        context=_str(view, "private_metadata", required=False),
    )


def raw_values(values: Any) -> dict[str, RawValue]:
    """Map state.values ({block_id: {action_id: element state}}) to {field id: raw value}."""
    result: dict[str, RawValue] = {}
    for block_id, elements in _dict(values, "state.values").items():
        for element in _dict(elements, f"state.values.{block_id}").values():
            result[block_id] = element_value(_dict(element, f"state.values.{block_id} element"))
    return result


def element_value(element: Mapping[str, Any]) -> RawValue:
    """Read one input element's state the way its type stores it."""
    kind = element.get("type")
    if kind == "datetimepicker":
        moment = element.get("selected_date_time")
        if moment is None:
            return None
        if not isinstance(moment, (int, str)) or not str(moment).isdigit():
            raise MalformedPayload("selected_date_time must be unix seconds")
        return str(int(moment))
    if kind in ("multi_static_select", "multi_external_select"):
        chosen = element.get("selected_options") or []
        if not isinstance(chosen, list):
            raise MalformedPayload("selected_options must be a list")
        return [_str(_dict(o, "option"), "value") for o in chosen]
    if kind in ("static_select", "external_select", "radio_buttons"):
        chosen = element.get("selected_option")
        return None if chosen is None else _str(_dict(chosen, "option"), "value")
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
    action = _dict(actions[0], "action")
    channel = body.get("channel") or {}
    container = _dict(body.get("container") or {}, "container")
    channel_id = _dict(channel, "channel").get("id") or container.get("channel_id") or ""
    view_id = container.get("view_id") if container.get("type") == "view" else ""
    return ButtonClick(
        actor=interaction_actor(body),
        action=ids.parse_action_id(_str(action, "action_id")),
        value=_str(action, "value", required=False),
        trigger_id=_str(body, "trigger_id", required=False),
        channel_id=channel_id if isinstance(channel_id, str) else "",
        view_id=view_id if isinstance(view_id, str) else "",
    )


def incident_id(value: str) -> int:
    """Read the incident id an Acknowledge button carries."""
    if not value.isdigit() or len(value) > 18:
        raise MalformedPayload("the button value must be an incident id")
    return int(value)


def event(body: Mapping[str, Any]) -> EventDelivery:
    """Parse an Events API envelope (event_callback) into the fields the app uses."""
    inner = _dict(body.get("event"), "event")
    return EventDelivery(
        event_id=_str(body, "event_id"),
        type=_str(inner, "type"),
        user_id=_str(inner, "user", required=False),
        channel_id=_str(inner, "channel", required=False),
        channel_type=_str(inner, "channel_type", required=False),
        subtype=_str(inner, "subtype", required=False),
        bot_id=_str(inner, "bot_id", required=False),
    )


def check_envelope(body: Any) -> None:
    """Reject bodies whose outer shape is wrong before any listener reads them."""
    body = _dict(body, "body")
    kind = body.get("type")
    if kind == "view_submission":
        view_submission(body)
    elif kind == "block_actions":
        button_click(body)
    elif kind == "event_callback":
        event(body)
    elif kind is None and "command" in body:
        slash_command(body)
