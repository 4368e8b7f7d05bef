"""Every Slack id string the app sends or matches: command, callbacks, blocks, actions.

Neutral `ActionId`s map to `kasuhara.<id>` action ids. Slack wants action ids unique within
a block, so a second button with the same action gets a `.<n>` suffix that parsing drops.
"""
from __future__ import annotations

import re

from flows.cards import ActionId

EVENTS_PATH = "/slack/events"
COMMAND = "/kasuhara"

# Modals (view callback_id): each submission is routed by its callback id.
REPORT_CALLBACK = "kasuhara.report"  # the report modal (view_submission)
CONFIRM_CALLBACK = "kasuhara.report_done"  # the modal after a successful report
FOLLOW_UP_CALLBACK = "kasuhara.follow_up_record"  # record a follow-up (context: the follow-up id)
CONSULT_REPLY_CALLBACK = "kasuhara.consult_reply"  # the desk answers a consultation (context: case code)
CONSULT_REVEAL_CALLBACK = "kasuhara.consult_reveal"  # the employee gives their name (context: case code)
LEVEL_CALLBACK = "kasuhara.incident_level"  # a manager re-classifies (context: the incident id)
PENDING_CALLBACK = "kasuhara.report_pending"  # the modal when saving outlasts Slack's answer deadline
DONE_CALLBACK = "kasuhara.done"  # a card shown in place of a submitted form (no submit button)

# private_metadata of a modal opened from a message: {context, channel, ts} as JSON, so the
# submission can replace that message (a bare context is stored as is: see views.modal_metadata).
META_CONTEXT = "context"
META_CHANNEL = "channel"
META_TS = "ts"

ARRIVED = "kasuhara_arrived"  # bolt context key: when the HTTP request arrived (time.monotonic())

CARD_ACTIONS_BLOCK = "kasuhara.actions"
INTRO_BLOCK = "kasuhara.intro"
OPTIONAL_BLOCK = "kasuhara.optional"

_PREFIX = "kasuhara."
_ACTION_RE = re.compile(r"^kasuhara\.([a-z_]+)(?:\.\d+)?$")


def action_id(action: ActionId, index: int = 0) -> str:
    """Return the Slack action_id of a neutral action (index > 0 keeps ids unique in a block)."""
    return f"{_PREFIX}{action.value}" + (f".{index}" if index else "")


def action_pattern(action: ActionId) -> re.Pattern[str]:
    """Return the regex a bolt listener uses to match every button of this action."""
    return re.compile(rf"^{re.escape(_PREFIX + action.value)}(?:\.\d+)?$")


ANY_ACTION = re.compile(r"^kasuhara\..+$")


def parse_action_id(value: str) -> ActionId | None:
    """Map a Slack action_id back to the neutral action, or None if it is not ours."""
    match = _ACTION_RE.match(value or "")
    if not match:
        return None
    try:
        return ActionId(match.group(1))
    except ValueError:
        return None


def field_action_id(field_id: str) -> str:
    """Return the action_id of a form field's input element (block_id is the field id)."""
    return f"{_PREFIX}field.{field_id}"
