"""Shape checks and text decoding shared by the Slack parsers (see parse.py)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class MalformedPayload(ValueError):
    """The request is signed but does not look like what Slack sends."""


def obj(value: Any, what: str) -> Mapping[str, Any]:
    """Return `value` if it is a JSON object, else raise MalformedPayload naming `what`."""
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{what} must be an object")
    return value


def string(container: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """Return a string member ("" when optional and absent); never echo the value in errors."""
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedPayload(f"{key} must be a non-empty string")
    return value


# What Slack sends at the top of an interaction payload / Events API envelope, by type: bolt's
# middleware reads these before any listener runs and fails with a 500 on another shape.
_ENVELOPE: dict[str, type | tuple[type, ...]] = {
    "type": str, "actions": list, "view": dict, "user": dict, "team": (dict, type(None)), "container": dict,
    "channel": dict, "message": dict, "enterprise": (dict, type(None)), "state": dict, "event": dict,
    "authorizations": list, "team_id": str, "api_app_id": str, "event_id": str, "token": str,
    "trigger_id": str, "response_url": str, "response_urls": list, "is_enterprise_install": (bool, str),
}
_EVENT: dict[str, type | tuple[type, ...]] = {
    "type": str, "user": (str, dict), "channel": (str, dict), "text": str, "ts": str, "thread_ts": str,
    "channel_type": str, "subtype": str, "bot_id": str, "files": list, "blocks": list, "message": dict,
    "previous_message": dict, "event_ts": str, "team": str,
}


def envelope_problem(body: Any) -> str | None:
    """Why a signed body cannot be what Slack sends (None when its outer shape is right).

    Interaction payloads, Events API envelopes and slash commands (flat strings) are checked
    member by member, so bolt never meets a string where it indexes an object (`event` as a
    string, `actions` as an object, ...).
    """
    if not isinstance(body, Mapping):
        return "the body is not an object"
    for key, kind in _ENVELOPE.items():
        if key in body and not isinstance(body[key], kind):
            return f"{key} has the wrong type"
    if isinstance(body.get("actions"), list) and not all(isinstance(a, Mapping) for a in body["actions"]):
        return "actions must be objects"
    if body.get("type") == "block_actions" and not body.get("actions"):
        return "block_actions without actions"
    if isinstance(body.get("authorizations"), list) and not all(isinstance(a, Mapping) for a in body["authorizations"]):
        return "authorizations must be objects"
    event = body.get("event")
    if isinstance(event, Mapping):
        for key, kind in _EVENT.items():
            if key in event and not isinstance(event[key], kind):
                return f"event.{key} has the wrong type"
    return None


_MARKUP = re.compile(r"<([^<>]*)>")


def plain_text(text: str) -> str:
    """Decode Slack message markup: `<url|label>` becomes "label (url)", entities are unescaped.

    Mentions (`<@U…>`, `<!here>`, `<#C…>`) stay as they are: flows strip them, because they
    carry user ids. Without this, "A&B" would reach the other side as "A&amp;B".
    """
    def link(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target[:1] in "@!#":
            return match.group(0)
        return f"{label} ({target})" if label and target not in (label, f"mailto:{label}") else label or target
    return _MARKUP.sub(link, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
