"""Both chat platforms at once: the real runtime with Slack and Teams stand-ins on 127.0.0.1."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from tests.adapters.slack.slack_signing import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.slack_standin import SlackStandIn
from tests.adapters.teams.teams_harness import APP_ID, PASSWORD, BotClient, payload
from tests.adapters.teams.teams_standin import StandIn
from tests.databases import migrated_sqlite
from tests.adapters.teams.teams_harness import TENANTS_YAML
from tests.keys import TEST_KEY

SLACK_HR = "C0HRDESK"
TEAMS_HR = "19:hr0000000000000000000000000000aa@thread.tacv2"
POLICY = f"""
timezone: Asia/Tokyo
locale: ja
admins: {{slack: [U0ADMIN]}}
units:
  - id: honsha
    name: 本社
    targets:
      field_leader:  {{slack: [C0LEADERS]}}
      field_manager: {{slack: [C0MANAGERS]}}
      division_head: {{slack: [C0DIVISION]}}
      hr:            {{slack: [{SLACK_HR}], teams: ["{TEAMS_HR}"]}}
      legal:         {{slack: [C0LEGAL]}}
      executives:    {{slack: [C0EXECS]}}
      crisis:        {{slack: [C0CRISIS]}}
  - id: store-1
    name: 駅前店
    parent: honsha
    targets:
      field_manager: {{slack: [C0STOREMGR]}}
escalation:
  L1: {{notify: [field_leader], ack_within: 60m, then: [field_manager]}}
  L2: {{notify: [field_manager], ack_within: 15m, then: [division_head]}}
  L3: {{notify: [division_head, hr, legal], ack_within: 15m, then: [executives]}}
  L4: {{notify: [field_manager, executives, crisis], ack_within: 5m, then: [executives]}}
""" + TENANTS_YAML


def environment(tmp_path: Path, slack: SlackStandIn, microsoft: StandIn) -> dict[str, str]:
    policy = tmp_path / "kasuhara.yaml"
    if not policy.exists():
        policy.write_text(textwrap.dedent(POLICY), encoding="utf-8")
    return {"DATABASE_URL": migrated_sqlite(tmp_path / "kasuhara.db", TEST_KEY), "KASUHARA_CONFIG": str(policy),
            "KASUHARA_SECRET_KEY": TEST_KEY,
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
            "TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": PASSWORD, **microsoft.env()}


@dataclass
class Both:
    runtime: object
    slack: SlackStandIn
    microsoft: StandIn
    server: TestServer
    session: aiohttp.ClientSession

    def uploads(self) -> list:
        """files.completeUploadExternal calls that shared a file in the HR channel."""
        return [c for c in self.slack.calls_to("files.completeUploadExternal") if c.args.get("channel_id") == SLACK_HR]

    def teams_posts(self) -> list:
        return [r for r in self.microsoft.sent("POST") if r.conversation_id == TEAMS_HR]

    async def close(self) -> None:
        await self.session.close()
        await self.server.close()
        await self.runtime.stop()


async def open_both(tmp_path: Path, slack: SlackStandIn, microsoft: StandIn, clock, *, start: bool = True) -> Both:
    """Build (and start) the runtime from bot.app; on a first open, add the bot to the Teams HR channel."""
    from bot.app import build_runtime
    from bot.config import Settings
    from bot.policy_file import load_policy

    env = environment(tmp_path, slack, microsoft)
    runtime = await build_runtime(Settings.from_env(env), load_policy(env["KASUHARA_CONFIG"]), clock=clock,
                                  sweep_interval=3600)  # the test drives the sweep (drain) with its fake clock
    if start:
        await runtime.start()
    else:
        for adapter in runtime.adapters:
            await adapter.start()
    server = TestServer(runtime.web_app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    both = Both(runtime, slack, microsoft, server, session)
    client = BotClient(str(server.make_url("/api/messages")), session, microsoft)
    status, _ = await client.send(payload("teams_conversation_update_bot_added_to_team", microsoft.service_url,
                                          conversation={"id": TEAMS_HR, "conversationType": "channel",
                                                        "isGroup": True}))
    assert status == 201
    return both
