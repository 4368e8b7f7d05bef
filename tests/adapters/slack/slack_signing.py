"""Sign and send requests the way Slack does (v0 HMAC-SHA256), over real HTTP.

Slack signs `v0:{timestamp}:{raw body}` with the app's signing secret and sends the hex
digest in X-Slack-Signature; bolt rejects bad digests and timestamps older than 5 minutes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import aiohttp

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"


def signature_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Return X-Slack-Request-Timestamp and X-Slack-Signature for a raw body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(fields: dict) -> str:
    """Encode slash command fields as Slack does (application/x-www-form-urlencoded)."""
    return urlencode(fields)


def interaction_body(payload: dict) -> str:
    """Encode an interactive payload as Slack does: payload=<url-encoded JSON>."""
    return "payload=" + quote(json.dumps(payload, ensure_ascii=False))


@dataclass
class Reply:
    status: int
    text: str

    def json(self) -> dict:
        return json.loads(self.text) if self.text else {}


class SlackSender:
    """POST signed bodies to our /slack/events endpoint."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET):
        self.url = url
        self.secret = secret
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "SlackSender":
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._session.close()

    async def post(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   secret: str | None = None, timestamp: int | None = None, headers: dict | None = None) -> Reply:
        signed = signature_headers(body, secret or self.secret, timestamp)
        all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
        async with self._session.post(self.url, data=body.encode(), headers=all_headers) as response:
            return Reply(response.status, await response.text())

    async def command(self, fields: dict, **kw) -> Reply:
        return await self.post(command_body(fields), **kw)

    async def interaction(self, payload: dict, **kw) -> Reply:
        return await self.post(interaction_body(payload), **kw)

    async def event(self, envelope: dict, **kw) -> Reply:
        return await self.post(json.dumps(envelope), content_type="application/json", **kw)
