"""Turn Teams activities into typed values, once, at the edge.

Anything that lacks the shape Teams documents raises `MalformedActivity` (the bot answers an
invoke with 400); flows never see an Activity.

Conversation keys (what `bind`, alerts and the ConversationDirectory use):
- team channel: the channel id `19:…@thread.tacv2` (channelData.channel.id, else the
  conversation id without `;messageid=…`), so a thread reply and a new post share one key;
- group chat: the conversation id `19:…@thread.v2`;
- personal chat: the user's key, i.e. `Actor.user_id` (the Entra object id when Teams sends
  one, else the `29:…` id), the same id flows use for `send_private`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.teams import ids
from flows.cards import ActionId
from flows.commands import Command, parse_command
from flows.forms import FieldKind, RawValues
from flows.i18n import normalize_locale
from flows.model import Actor, Platform

PERSONAL, CHANNEL, GROUP_CHAT = "personal", "channel", "groupChat"


class MalformedActivity(ValueError):
    """The activity is authenticated but does not look like what Teams sends."""


@dataclass(frozen=True)
class Conversation:
    """Where an activity happened, and the directory key that stands for it."""

    kind: str  # PERSONAL, CHANNEL or GROUP_CHAT
    key: str  # the directory key (see the module docstring)
    id: str  # the conversation id as sent (may carry ;messageid=)
    tenant_id: str


@dataclass(frozen=True)
class Turn:
    """Who acts, in which language, where; shared by every kind of activity."""

    actor: Actor
    locale: str
    conversation: Conversation
    request_key: str  # stable across Teams' retries of the same activity
    activity_key: str  # `teams:<activity id>`: for consultation paths, where nothing may name the chat


@dataclass(frozen=True)
class DialogOpen:
    """A task/fetch: which dialog button was clicked, and the context of the form to open."""

    action: ActionId
    context: str


@dataclass(frozen=True)
class DialogSubmit:
    """A submitted dialog: our hidden data, the input values as sent, and flows' raw values."""

    form_id: str
    context: str
    nonce: str
    data: Mapping[str, Any]  # the card's input values, by input id (to refill the form)
    values: RawValues  # field id -> raw value, for the flows

    @property
    def request_key(self) -> str:
        """One key per opened dialog: a double click on submit is one request ("" without a nonce)."""
        return f"teams:dialog:{self.nonce}" if self.nonce else ""


@dataclass(frozen=True)
class CardClick:
    """An Action.Execute click (or the card's refresh)."""

    action: ActionId | None  # None for the refresh verb or a verb that isn't ours
    refresh: bool
    value: str  # the incident id (or other neutral action value)


def turn(activity: Activity, fallback_locale: str) -> Turn:
    """Read who, where and in which language from any activity."""
    if activity.from_property is None or not activity.from_property.id or activity.conversation is None:
        raise MalformedActivity("activity without from.id or conversation")
    who = actor(activity)
    where = conversation(activity, who)
    digest = hashlib.sha256(f"{where.id}|{activity.id or ''}".encode()).hexdigest()[:40]
    return Turn(who, locale(activity, fallback_locale), where, f"teams:{digest}",
                f"teams:{activity.id}" if activity.id else "")


# The activity members the SDK and the handlers read, with the JSON type Teams sends. An
# activity that breaks one is refused (400) before botbuilder deserialises it.
_MEMBERS: dict[str, type | tuple[type, ...]] = {
    "type": str, "id": str, "name": str, "text": str, "locale": str, "serviceUrl": str, "channelId": str,
    "timestamp": str, "localTimestamp": str, "replyToId": str, "textFormat": str, "from": dict,
    "recipient": dict, "conversation": dict, "channelData": dict, "entities": list, "attachments": list,
    "membersAdded": list, "membersRemoved": list, "action": str,
}
_NESTED: dict[tuple[str, str], type | tuple[type, ...]] = {
    ("from", "id"): str, ("from", "name"): (str, type(None)), ("from", "aadObjectId"): (str, type(None)),
    ("conversation", "id"): str, ("conversation", "conversationType"): str, ("conversation", "tenantId"): str,
    ("conversation", "isGroup"): (bool, type(None)), ("recipient", "id"): str,
    ("channelData", "tenant"): dict, ("channelData", "channel"): dict, ("channelData", "team"): dict,
    ("channelData", "eventType"): str, ("channelData", "settings"): dict, ("channelData", "source"): (dict, type(None)),
}
HANDLED_INVOKES = frozenset({ids.TASK_FETCH, ids.TASK_SUBMIT, ids.CARD_ACTION})


def envelope_problem(data: dict) -> str | None:
    """Why an authenticated body cannot be a Teams activity we take (None when its shape is right).

    Checked before botbuilder sees it: the SDK trips with AttributeError or DeserializationError
    on a string where it expects an object, and answers invokes it does not know with 501.
    """
    for key, kind in _MEMBERS.items():
        if key in data and not isinstance(data[key], kind):
            return f"{key} has the wrong type"
    for (outer, inner), kind in _NESTED.items():
        container = data.get(outer)
        if isinstance(container, dict) and inner in container and not isinstance(container[inner], kind):
            return f"{outer}.{inner} has the wrong type"
    for key in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if any(not isinstance(item, dict) for item in data.get(key) or ()):
            return f"{key} must be objects"
    if not data.get("type") or not isinstance(data.get("from"), dict) or not data["from"].get("id"):
        return "activity without type or from.id"
    if not isinstance(data.get("conversation"), dict) or not data["conversation"].get("id"):
        return "activity without conversation.id"
    if not isinstance(data.get("recipient"), dict) or not data["recipient"].get("id"):
        return "activity without recipient.id"
    if data["type"] in ("message", "invoke") and not isinstance(data.get("channelData"), dict):
        return "activity without channelData"
    if data["type"] == "invoke":
        return _invoke_problem(data)
    return None


def _invoke_problem(data: dict) -> str | None:
    if data.get("name") not in HANDLED_INVOKES:
        return "an invoke this app does not handle"
    value = data.get("value")
    if not isinstance(value, dict):
        return "invoke without a value object"
    for key in ("data", "context", "action", "tabContext"):
        if key in value and not isinstance(value[key], (dict, type(None))):
            return f"value.{key} has the wrong type"
    action = value.get("action")
    if data["name"] == ids.CARD_ACTION and (not isinstance(action, dict)
                                            or not isinstance(action.get("data", {}), (dict, type(None)))
                                            or not isinstance(action.get("verb", ""), (str, type(None)))):
        return "adaptiveCard/action without value.action"
    return None


def actor(activity: Activity) -> Actor:
    """Return the acting user; the Entra object id is stable across apps and tenants' chats."""
    sender = activity.from_property
    return Actor(Platform.TEAMS, sender.aad_object_id or sender.id, sender.name or "")


def locale(activity: Activity, fallback: str) -> str:
    """Return 'ja' or 'en' from the activity (or its clientInfo entity), else the fallback."""
    value = activity.locale
    for entity in activity.entities or ():
        if not value and (entity.type or "").lower() == "clientinfo":
            value = (entity.additional_properties or {}).get("locale")
    return normalize_locale(value, fallback)


def conversation(activity: Activity, who: Actor | None = None) -> Conversation:
    """Classify the conversation and compute its directory key."""
    raw = activity.conversation
    kind = raw.conversation_type or (GROUP_CHAT if raw.is_group else PERSONAL)
    base_id = (raw.id or "").split(";")[0]
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = raw.tenant_id or (data.get("tenant") or {}).get("id") or ""
    if kind == CHANNEL:
        key = (data.get("channel") or {}).get("id") or data.get("teamsChannelId") or base_id
    elif kind == PERSONAL:
        key = (who or actor(activity)).user_id
    else:
        key = base_id
    return Conversation(kind, key, raw.id or "", tenant)


def thread_root(where: Conversation) -> str:
    """Return the id of the channel post a message replies to ("" outside a thread)."""
    return where.id.partition(";messageid=")[2] if where.kind == CHANNEL else ""


def command(activity: Activity) -> Command:
    """Return the chat command, without the bot's @mention and HTML non-breaking spaces."""
    return parse_command(" ".join(message_text(activity).split()))


def message_text(activity: Activity) -> str:
    """Return what the person wrote, without the bot's @mention; line breaks are kept."""
    if not activity.text:
        return ""
    text = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
    return (text or "").replace("&nbsp;", " ").strip()


def has_attachment(activity: Activity) -> bool:
    """Return True when a message carries more than its text (a file, an image, a card).

    Teams sends the text again as a text/html attachment; files come as
    application/vnd.microsoft.teams.file.download.info, pasted images as image/*.
    """
    return any((a.content_type or "").split(";")[0].strip().lower() not in ids.TEXT_CONTENT_TYPES
               for a in activity.attachments or ())


def dialog_open(activity: Activity) -> DialogOpen:
    """Read a task/fetch: the dialog button (the report form when none is named) and its context."""
    data = _invoke_data(activity)
    named = data.get(ids.DATA_ACTION)
    action = ids.action_of(str(named)) if named else ActionId.OPEN_REPORT
    if action not in ids.DIALOG_ACTIONS:
        raise MalformedActivity(f"task/fetch for {str(named)[:40]!r}, which opens no dialog")
    return DialogOpen(action, str(data.get(ids.DATA_CONTEXT) or data.get(ids.DATA_VALUE) or ""))


def dialog_submit(activity: Activity) -> DialogSubmit:
    """Read a submitted dialog: which form, its context and nonce, and the input values."""
    data = _invoke_data(activity)
    form_id = data.get(ids.DATA_FORM)
    if not isinstance(form_id, str) or not form_id:
        raise MalformedActivity("task/submit without our form id")
    kinds = data.get(ids.DATA_KINDS) if isinstance(data.get(ids.DATA_KINDS), dict) else {}
    inputs = {k: v for k, v in data.items() if k not in ids.DATA_KEYS}
    return DialogSubmit(form_id, str(data.get(ids.DATA_CONTEXT) or ""), str(data.get(ids.DATA_NONCE) or ""), inputs,
                        form_values(inputs, kinds))


def card_click(activity: Activity) -> CardClick:
    """Read an Action.Execute (`adaptiveCard/action`) invoke."""
    value = activity.value if isinstance(activity.value, dict) else None
    action = (value or {}).get("action")
    if not isinstance(action, dict):
        raise MalformedActivity("adaptiveCard/action without value.action")
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    verb = action.get("verb") or ""
    neutral = ids.action_of(verb)
    raw_value = data.get(ids.DATA_INCIDENT, data.get(ids.DATA_VALUE, ""))
    return CardClick(neutral, verb == ids.REFRESH_VERB, str(raw_value if raw_value is not None else ""))


def form_values(inputs: Mapping[str, Any], kinds: Mapping[str, str]) -> RawValues:
    """Map card input values to flows' raw values, by the kinds the form card carried.

    DATETIME joins `<field>.date` and `<field>.time`; MULTISELECT splits Teams' "a,b".
    Every other input is text (None when empty).
    """
    raw: dict[str, str | list[str] | None] = {}
    for input_id, value in inputs.items():
        field_id = input_id.removesuffix(ids.DATE_SUFFIX).removesuffix(ids.TIME_SUFFIX)
        kind = kinds.get(field_id)
        if kind == FieldKind.DATETIME.value:
            day = _text(inputs.get(ids.date_input(field_id)))
            clock = _text(inputs.get(ids.time_input(field_id)))
            raw[field_id] = f"{day}T{clock}" if day or clock else None  # one half alone fails validation
        elif kind == FieldKind.MULTISELECT.value:
            chosen = _text(value)
            raw[field_id] = [v for v in chosen.split(",") if v] if chosen else []
        elif input_id == field_id:
            raw[field_id] = _text(value) or None
    return raw


def _invoke_data(activity: Activity) -> dict:
    value = activity.value if isinstance(activity.value, dict) else None
    if value is None:
        raise MalformedActivity(f"{activity.name} without a value")
    data = value.get("data")
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()
