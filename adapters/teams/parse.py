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
from flows.forms import FieldKind, FormSpec, RawValues
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


@dataclass(frozen=True)
class DialogSubmit:
    """A submitted report dialog: our hidden data and the raw input values."""

    form_id: str
    context: str
    nonce: str
    data: Mapping[str, Any]  # the card's input values, by input id


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
    return Turn(who, locale(activity, fallback_locale), where, f"teams:{digest}")


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


def command(activity: Activity) -> Command:
    """Return the chat command, without the bot's @mention and HTML non-breaking spaces."""
    text = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
    return parse_command(" ".join((text or "").replace("&nbsp;", " ").split()))


def dialog_context(activity: Activity) -> str:
    """Return the context a dialog was opened with (e.g. `sos:12` from an SOS card)."""
    data = _invoke_data(activity)
    return str(data.get(ids.DATA_CONTEXT) or data.get(ids.DATA_VALUE) or "")


def dialog_submit(activity: Activity) -> DialogSubmit:
    """Read a submitted dialog: which form, its context and nonce, and the input values."""
    data = _invoke_data(activity)
    form_id = data.get(ids.DATA_FORM)
    if not isinstance(form_id, str) or not form_id:
        raise MalformedActivity("task/submit without our form id")
    inputs = {k: v for k, v in data.items() if k not in ids.DATA_KEYS}
    return DialogSubmit(form_id, str(data.get(ids.DATA_CONTEXT) or ""), str(data.get(ids.DATA_NONCE) or ""), inputs)


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


def form_values(spec: FormSpec, data: Mapping[str, Any]) -> RawValues:
    """Map card input values to flows' raw values; DATETIME joins date and time."""
    raw: dict[str, str | list[str] | None] = {}
    for item in spec.fields:
        if item.kind is FieldKind.DATETIME:
            day = _text(data.get(ids.date_input(item.id)))
            clock = _text(data.get(ids.time_input(item.id)))
            raw[item.id] = f"{day}T{clock}" if day or clock else None  # one half alone fails validation
        elif item.kind is FieldKind.MULTISELECT:
            chosen = _text(data.get(item.id))
            raw[item.id] = [v for v in chosen.split(",") if v] if chosen else []
        else:
            raw[item.id] = _text(data.get(item.id)) or None
    return raw


def dialog_nonce_key(nonce: str) -> str:
    """Return the request key of one opened dialog (a double submit is one incident)."""
    return f"teams:dialog:{nonce}"


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
