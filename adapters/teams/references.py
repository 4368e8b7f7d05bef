"""Conversation references: captured from inbound activities, used for proactive posts.

Teams lets a bot post only where it has a conversation reference (service URL, tenant,
conversation id). We keep one per directory key (see parse.py): a channel's reference posts
a new thread; a personal chat's reference posts into that chat. For people seen only in a
channel we store a "seed" reference under their user key, from which `send_private` can
create the personal chat (POST /v3/conversations).

A channel's reference keeps no sender (a post needs no recipient). Rows are dated by the day
only and rewritten only when the reference changed: a personal chat's row must not tell when
its owner last wrote to the bot, which could be an anonymous consultation.
"""
from __future__ import annotations

import json
from copy import copy
from dataclasses import dataclass
from datetime import datetime

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference

from adapters.teams import parse


@dataclass(frozen=True)
class MessageRef:
    """Where a posted message lives: what `update` needs to replace it."""

    conversation_id: str
    activity_id: str

    def dumps(self) -> str:
        return json.dumps({"conversation": self.conversation_id, "activity": self.activity_id}, separators=(",", ":"))

    @staticmethod
    def loads(text: str) -> "MessageRef":
        data = json.loads(text)
        return MessageRef(data["conversation"], data["activity"])


def capturable(activity: Activity) -> bool:
    """Return True for activities that prove the bot may post here (anything but a removal).

    Invokes count too: a dialog opened from a card may be the reporter's first contact, and
    the confirmation must reach their personal chat.
    """
    if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
        return True
    if activity.type == ActivityTypes.installation_update:
        return not (activity.action or "").startswith("remove")
    if activity.type == ActivityTypes.conversation_update:
        bot_id = activity.recipient.id if activity.recipient else None
        return not any(member.id == bot_id for member in activity.members_removed or ())
    return False


def reference_of(activity: Activity, where: parse.Conversation) -> dict:
    """Return the JSON-ready reference that posts a new message into `where`."""
    reference = _captured(activity, where)
    if where.kind != parse.PERSONAL:
        reference.user = None  # whoever spoke last there is not needed to post, so not kept
    return reference.serialize()


def seed_of(activity: Activity, where: parse.Conversation) -> dict:
    """Return the reference from which the sender's personal chat can be created later."""
    return _captured(activity, where).serialize()


def day_of(moment: datetime) -> datetime:
    """Date a stored reference by its day only (see the module docstring)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _captured(activity: Activity, where: parse.Conversation) -> ConversationReference:
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None  # post new messages, never replies to the captured one
    reference.conversation = copy(reference.conversation)
    if where.kind != parse.PERSONAL:
        reference.conversation.id = where.key  # the channel root, without ;messageid=
    if where.tenant_id and not reference.conversation.tenant_id:
        reference.conversation.tenant_id = where.tenant_id
    return reference


def load(data: dict) -> ConversationReference:
    """Rebuild a ConversationReference from what `reference_of` returned."""
    return ConversationReference().deserialize(data)


def is_personal(reference: ConversationReference) -> bool:
    """Return True for a 1:1 chat reference (False for a channel, group chat or seed)."""
    conversation = reference.conversation
    return bool(conversation) and (conversation.conversation_type or ("groupChat" if conversation.is_group
                                                                      else parse.PERSONAL)) == parse.PERSONAL
