"""Test helpers for the Slack adapter: payload fixtures, the test policy, a served runtime.

Everything talks over real HTTP on 127.0.0.1; nothing of ours is mocked.
"""
from __future__ import annotations

import asyncio
import copy
import json
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.adapters.slack.slack_signing import BOT_TOKEN, SIGNING_SECRET, SlackSender
from tests.adapters.slack.slack_standin import SlackStandIn
from tests.databases import migrated_sqlite
from tests.keys import TEST_KEY

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads"

# Slack ids of the test organisation (policy below): one store under the head office.
STORE_CHANNEL = "C0STORE01"
STORE_MANAGERS = "C0STOREMGR"
STORE_LEADERS = "C0STORELDR"
DIVISION = "C0DIVISION"
HR = "C0HRDESK"
EXECUTIVES = "C0EXECS"
CRISIS = "C0CRISIS"
CONSULT = "C0CONSULT"  # the consultation desk (相談窓口)

POLICY_YAML = f"""
timezone: Asia/Tokyo
locale: ja
admins: {{slack: [U0ADMIN]}}
units:
  - id: honsha
    name: 本社
    targets:
      field_leader:  {{slack: [{STORE_LEADERS}]}}
      field_manager: {{slack: [{STORE_MANAGERS}]}}
      division_head: {{slack: [{DIVISION}]}}
      hr:            {{slack: [{HR}]}}
      legal:         {{slack: [{HR}]}}
      executives:    {{slack: [{EXECUTIVES}]}}
      crisis:        {{slack: [{CRISIS}]}}
      consultation:  {{slack: [{CONSULT}]}}
  - id: store-1
    name: 駅前店
    parent: honsha
    targets:
      field_manager: {{slack: [{STORE_MANAGERS}]}}
escalation:
  L1: {{notify: [field_leader], ack_within: 60m, then: [field_manager]}}
  L2: {{notify: [field_manager], ack_within: 15m, then: [division_head]}}
  L3: {{notify: [division_head, hr, legal], ack_within: 15m, then: [executives], meeting_within: 1h}}
  L4: {{notify: [field_manager, executives, crisis], ack_within: 5m, then: [executives], repeat_every: 5m}}
contacts:
  - {{name: 警察（緊急）, phone: "110"}}
  - {{name: 警察相談専用電話, phone: "#9110"}}
"""


def payload(name: str) -> dict:
    """Load a JSON fixture from tests/payloads (a fresh copy each time)."""
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8")))


def write_policy(tmp_path: Path, text: str = POLICY_YAML) -> Path:
    path = tmp_path / "kasuhara.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def slack_env(tmp_path: Path, standin: SlackStandIn, **extra: str) -> dict[str, str]:
    """Environment for Settings.from_env: SQLite in tmp_path, Slack pointed at the stand-in."""
    key = extra.get("KASUHARA_SECRET_KEY", TEST_KEY)
    return {
        # a copy of the session's migrated template, keyed with the key the bot starts with
        "DATABASE_URL": migrated_sqlite(tmp_path / 'kasuhara.db', key if key == TEST_KEY else None),
        "KASUHARA_SECRET_KEY": TEST_KEY,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        **extra,
    }


@dataclass
class SlackWorld:
    """The real runtime behind a real HTTP server, the stand-in Slack and a signed sender."""

    runtime: object
    standin: SlackStandIn
    send: SlackSender
    events_url: str


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def open_world(tmp_path: Path, standin: SlackStandIn, *, start: bool = False, policy: str = POLICY_YAML,
                     sweep_interval: float | None = None, clock=None, slack_timeout: float | None = None,
                     **env: str):
    """Build the runtime with bot.app.build_runtime and serve it; return (world, closer).

    `clock` (e.g. tests.fakes.FakeClock) drives the flows' time: advance it, then drain.
    `slack_timeout` shortens the Slack Web API calls' timeout (5 s in production).
    """
    from bot.app import build_runtime
    from bot.config import Settings
    from bot.policy_file import load_policy

    settings = Settings.from_env(slack_env(tmp_path, standin, **env))
    timing = {} if sweep_interval is None else {"sweep_interval": sweep_interval}
    if slack_timeout is not None:
        timing["slack_timeout"] = slack_timeout
    runtime = await build_runtime(settings, load_policy(write_policy(tmp_path, policy)), clock=clock, **timing)
    runner, base = await serve(runtime.web_app)
    if start:
        await runtime.start()
    sender = await SlackSender(f"{base}/slack/events").__aenter__()

    async def close() -> None:
        await sender.__aexit__(None, None, None)
        await runner.cleanup()
        await runtime.stop()

    return SlackWorld(runtime, standin, sender, f"{base}/slack/events"), close


def slash_command(world: SlackWorld, text: str, *, trigger_id: str | None = None) -> dict:
    """The recorded slash command fixture with our text and a response_url at the stand-in."""
    fields = payload("slack_slash_command_report")
    fields["text"] = text
    fields["response_url"] = world.standin.response_url("command")
    if trigger_id:
        fields["trigger_id"] = trigger_id
    return fields


async def submit_valid_report(world: SlackWorld, view_id: str = "V0REPORT01", context: str = ""):
    """Submit the report fixture (an L2 incident at store-1, 2026-01-01 00:00 UTC, by U0REPORTER)."""
    body = payload("slack_view_submission_report")
    body["view"]["id"] = view_id
    body["view"]["private_metadata"] = context
    return await world.send.interaction(body)


def posts_to(world: SlackWorld, channel: str) -> list:
    """chat.postMessage calls to one channel (or user id), in order."""
    return [c for c in world.standin.calls_to("chat.postMessage") if c.args["channel"] == channel]


def as_user(body: dict, user_id: str, name: str) -> dict:
    """Make an interactive payload come from another person."""
    body["user"].update(id=user_id, username=name, name=name)
    return body


async def eventually(check, *, timeout: float = 5.0, runtime=None):
    """Poll `check()` (draining the outbox first when a runtime is given) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        if runtime is not None:
            await runtime.drain()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def incidents(runtime) -> list:
    async with runtime.store.transaction() as tx:
        return await tx.incidents.list_all()


def buttons(blocks: list[dict]) -> list[dict]:
    """Every button of a rendered message, in order."""
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
