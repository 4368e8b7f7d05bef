"""Submitting reports as Slack would, and reading what reached the stand-in."""
from __future__ import annotations

import re
import time

from slack_fixtures import STORE_MANAGERS, payload
from slack_signing import SlackSender

CASE = re.compile(r"K-\d{4}-(\d{5})")


async def submit(sender: SlackSender, view_id: str, user_id: str = "U0REPORTER") -> int | None:
    """Submit the report form; return the incident id the confirmation shows (None: not confirmed)."""
    body = payload("slack_view_submission_report")
    body["view"]["id"] = view_id
    body["user"]["id"] = user_id
    body["view"]["state"]["values"]["occurred_at"]["kasuhara.field.occurred_at"]["selected_date_time"] = \
        int(time.time()) - 300
    reply = await sender.interaction(body)
    found = CASE.search(reply.text) if reply.status == 200 else None
    return int(found.group(1)) if found else None


def alert_key(incident_id: int) -> str:
    return f"alert:{incident_id}:0:field_manager:slack:{STORE_MANAGERS}"


def confirm_key(incident_id: int) -> str:
    return f"confirm:{incident_id}"
