"""A stand-in for the Slack Web API on 127.0.0.1: records calls, answers in Slack's formats.

Responses follow the examples of slack_web_openapi_v2.json (chat.postMessage returns
channel + ts, views.open returns the view with an id, …). It can be told to rate-limit
(429 + Retry-After) or fail a method once, to answer slowly or with an HTTP error for a
while, or to run a hook after a post was accepted (e.g. SIGKILL the bot). It keeps posted
messages with their metadata for conversations.history, and serves response_url posts and
a Socket Mode WebSocket, so tests never leave the machine.
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER_ID = "UBOT0001"


@dataclass
class Call:
    method: str
    args: dict
    token: str = ""
    at: float = field(default_factory=time.perf_counter)
    response: dict = field(default_factory=dict)


class SlackStandIn:
    """Fake Slack: POST /api/<method>, POST /respond/<id>, GET /socket (Socket Mode)."""

    def __init__(self):
        self.history: dict[str, list[dict]] = {}  # channel -> posted messages (newest last)
        self.delay_s: dict[str, float] = {}  # method -> seconds to wait before answering
        self.failing: dict[str, tuple[int, float]] = {}  # method -> (HTTP status, until perf_counter)
        # callable(Call) run once a chat.postMessage was accepted and recorded, before the answer
        # leaves; when it returns an awaitable, the answer waits for it (a kill "after Slack took it").
        self.after_post = None
        self.calls: list[Call] = []
        self.in_progress = 0  # Web API calls being answered (delayed, held by after_post, …)
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.sockets: list[web.WebSocketResponse] = []
        self.uploads: dict[str, bytes] = {}  # file id -> bytes POSTed to its upload URL
        self._pending_files: dict[str, dict] = {}  # file id -> getUploadURLExternal arguments
        self.socket_acks: list[dict] = []
        self.channels: dict[str, dict] = {}  # conversations.info answers, by id
        self.users: dict[str, dict] = {}  # users.info answers, by id
        self.valid_tokens: set[str] | None = None  # None: every token is accepted

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (`port` 0: any free port; a fixed one to come back after `stop`)."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads conversations.history with GET
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"{self.url}/respond/{hook}"

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting -------------------------------------------------------------------------
    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call of `method` with 429 and Retry-After."""
        self._failures.setdefault(method, []).append(
            (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}))

    def fail_once(self, method: str, error: str, status: int = 200) -> None:
        """Answer the next call of `method` with ok=false and this error code."""
        self._failures.setdefault(method, []).append((status, {"ok": False, "error": error}, {}))

    def fail_for(self, method: str, seconds: float, status: int = 500) -> None:
        """Answer every call of `method` with this HTTP status for a while (an outage)."""
        self.failing[method] = (status, time.perf_counter() + seconds)

    def posts_with_key(self, key: str) -> list[dict]:
        """Every accepted post whose message metadata carries this delivery key."""
        return [m for messages in self.history.values() for m in messages
                if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == key]

    def add_channel(self, channel_id: str, name: str, *, private: bool = True, member: bool = True,
                    archived: bool = False) -> None:
        """Make conversations.info know a channel (the shape of the OpenAPI example)."""
        self.channels[channel_id] = {"id": channel_id, "name": name, "name_normalized": name, "is_channel": True,
                                     "is_group": False, "is_im": False, "is_mpim": False, "is_private": private,
                                     "is_archived": archived, "is_member": member, "is_general": False,
                                     "created": 1449252889, "creator": "W012A3BCD"}

    def add_user(self, user_id: str, name: str, *, deleted: bool = False) -> None:
        """Make users.info know a person."""
        self.users[user_id] = {"id": user_id, "team_id": "T111", "name": name, "deleted": deleted,
                               "real_name": name, "is_bot": False, "is_admin": False, "tz": "Asia/Tokyo"}

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `method` was called at least `count` times; return those calls."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)

    # -- handlers --------------------------------------------------------------------------
    async def _record(self, method: str, args: dict, token: str = "", response: dict | None = None) -> None:
        async with self._changed:
            self.calls.append(Call(method, args, token, response=response or {}))
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        self.in_progress += 1
        try:
            return await self._api_call(request)
        finally:
            self.in_progress -= 1

    async def _api_call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = {**request.query, **await _arguments(request)}  # Slack reads query parameters too (slack_sdk's params=)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        delay = self.delay_s.get(method)
        if delay:
            await asyncio.sleep(delay)
        outage = self.failing.get(method)
        pending = self._failures.get(method)
        if self.valid_tokens is not None and token not in self.valid_tokens and not pending:
            pending = [(200, {"ok": False, "error": "invalid_auth"}, {})]
        if outage and time.perf_counter() < outage[1]:
            status, body, headers = outage[0], {"ok": False, "error": "internal_error"}, {}
        else:
            status, body, headers = pending.pop(0) if pending else (200, self._answer(method, args), {})
        await self._record(method, args, token, body)
        if method == "chat.postMessage" and body.get("ok") and self.after_post is not None:
            held = self.after_post(self.calls[-1])
            if inspect.isawaitable(held):
                await held
        return web.json_response(body, status=status, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL of files.getUploadURLExternal: takes the file's bytes (step 2 of 3)."""
        file_id = request.match_info["file_id"]
        if file_id not in self._pending_files:
            return web.Response(status=404, text="unknown upload")
        body = await request.read()
        self.uploads[file_id] = body
        await self._record("upload", {"file_id": file_id, "length": len(body)})
        return web.Response(text=f"OK - {len(body)}")

    async def _respond(self, request: web.Request) -> web.Response:
        await self._record("response_url", await _arguments(request))
        return web.Response(text="ok")

    def _answer(self, method: str, args: dict) -> dict:
        ts = f"1767225600.{next(self._ts):06d}"
        channel = str(args.get("channel", ""))
        if method == "chat.postMessage":
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]  # posting to a user id lands in the app's DM
            message = {"type": "message", "bot_id": "BBOT0001", "text": args.get("text", ""), "ts": ts}
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            # _at: the arrival time, which Slack's real ts would be (our ts are fixed 2026-01-01 values)
            stored = {**message, **({"metadata": metadata} if metadata else {}), "_at": time.time()}
            self.history.setdefault(channel, []).append(stored)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":
            oldest = float(args.get("oldest") or 0)
            include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            hidden = {"_at"} if include else {"_at", "metadata"}
            messages = [{k: v for k, v in m.items() if k not in hidden}
                        for m in reversed(self.history.get(channel, [])) if m["_at"] > oldest]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": args.get("ts"), "text": args.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.update", "views.push"):
            view = args.get("view") or {}
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {**view, "id": f"V{next(self._ts):08d}", "state": {"values": {}}}}
        if method == "files.getUploadURLExternal":  # step 1: a file id and where to send the bytes
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ts):010d}"
            self._pending_files[file_id] = args
            return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":  # step 3: share the uploaded files in a channel
            files = json.loads(args.get("files") or "[]")
            for item in files:
                asked = self._pending_files.get(item.get("id"))
                if asked is None or len(self.uploads.get(item["id"], b"")) != int(asked["length"]):
                    return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))[1:]}}
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "kasuhara",
                    "team_id": "T111", "user_id": BOT_USER_ID, "bot_id": "BBOT0001", "is_enterprise_install": False}
        if method == "conversations.info":
            found = self.channels.get(str(args.get("channel", "")))
            return {"ok": True, "channel": found} if found else {"ok": False, "error": "channel_not_found"}
        if method == "users.info":
            found = self.users.get(str(args.get("user", "")))
            return {"ok": True, "user": found} if found else {"ok": False, "error": "user_not_found"}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.url.replace('http', 'ws', 1)}/socket"}
        return {"ok": False, "error": "unknown_method"}

    # -- Socket Mode -------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_acks.append(json.loads(message.data))
                    self._changed.notify_all()
        return ws

    async def send_envelope(self, envelope_type: str, payload: dict, envelope_id: str = "env-1") -> dict:
        """Push a Socket Mode envelope to the connected app and wait for its ack."""
        ws = self.sockets[-1]
        await ws.send_json({"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                            "accepts_response_payload": envelope_type != "events_api"})
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: any(a.get("envelope_id") == envelope_id for a in self.socket_acks)), 5)
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert self.sockets, "the app never opened the Socket Mode WebSocket"


async def _arguments(request: web.Request) -> dict:
    if request.method == "GET":
        return dict(request.query)
    body = await request.text()
    query = dict(request.query)  # slack_sdk sends some arguments (conversations.open users) as params
    if request.content_type == "application/json":
        args = json.loads(body or "{}")
    else:
        args = dict(parse_qsl(body, keep_blank_values=True))
    for key in ("blocks", "view", "attachments", "metadata"):
        if isinstance(args.get(key), str) and args[key][:1] in "[{":
            args[key] = json.loads(args[key])
    return {**query, **args}
