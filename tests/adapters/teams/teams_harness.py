"""Shared values and helpers of the Teams adapter tests (the fixtures live in conftest.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.adapters.teams.teams_standin import StandIn
from tests.fakes import FakeClock

HERE = Path(__file__).resolve().parent
PAYLOADS = HERE.parents[1] / "payloads"
# Microsoft's schemas and captures live in shared/ beside the repository (CI clones it there).
REFERENCE = HERE.parents[1] / "reference" / "teams"  # vendored: tests/reference/teams
POLICY = HERE / "teams_policy.yaml"
APP_ID = "2f0d1c3b-8a4e-4b6f-9c7d-5e1a0b2c3d4e"
PASSWORD = "test-client-secret"
ALERT_CHANNEL = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"  # field manager in teams_policy.yaml
HR_CHANNEL = "19:hr0000000000000000000000000000aa@thread.tacv2"  # hr in teams_policy.yaml
DESK_CHANNEL = "19:c0n5u1t000000000000000000000aa@thread.tacv2"  # consultation in teams_policy.yaml
ADMIN_AAD = "b15a9416-0ad3-4172-9210-7beb711d3f70"

# The Entra tenants of the captured payloads in tests/payloads: a policy that takes Teams must list them.
PAYLOAD_TENANTS = ("72f988bf-86f1-41af-91ab-2d7cd011db47", "56653e9d-2158-46ee-90d7-675c39642038",
                   "50612dbb-0237-4969-b378-8d42590f9c00", "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f")
TENANTS_YAML = "teams: {tenants: [" + ", ".join(f'"{t}"' for t in PAYLOAD_TENANTS) + "]}\n"

_DEFAULT = object()


def payload(name: str, service_url: str | None = None, **changes) -> dict:
    """Load tests/payloads/<name>.json (a real Teams activity) aimed at the stand-in connector."""
    activity = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    if service_url:
        activity["serviceUrl"] = service_url
    activity.update(changes)
    return activity


@dataclass
class BotClient:
    """Posts activities to the bot's /api/messages like the Bot Connector does."""

    url: str
    session: aiohttp.ClientSession
    microsoft: StandIn

    async def send(self, activity: dict, token=_DEFAULT, headers: dict | None = None) -> tuple[int, object]:
        """POST one activity with the connector's current channel token (or `token`; None sends none)."""
        if token is _DEFAULT:
            token = self.microsoft.channel_token(activity["serviceUrl"])
        sent_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        async with self.session.post(self.url, data=json.dumps(activity), headers=sent_headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text and response.content_type == "application/json"
                                     else text)


@dataclass
class World:
    """The whole bot (bot.app.build_runtime) with Teams enabled, talking to the stand-in."""

    runtime: object
    bot: BotClient
    microsoft: StandIn
    clock: FakeClock

    async def drain(self) -> None:
        await self.runtime.drain()

    @property
    def notifier(self):
        """The Teams notifier that bot.app handed to the outbox."""
        from adapters.teams import TeamsAdapter

        return next(a for a in self.runtime.adapters if isinstance(a, TeamsAdapter)).notifier


async def incidents(world: World) -> list:
    async with world.runtime.store.transaction() as tx:
        return await tx.incidents.list_all()


async def audit_actions(world: World, incident_id: int) -> list[str]:
    async with world.runtime.store.transaction() as tx:
        return [event.action for event in await tx.audit.for_incident(incident_id)]


async def install_in_team(world: World, channel: str = ALERT_CHANNEL) -> None:
    """Add the bot to the team (Teams sends conversationUpdate): a channel's reference."""
    status, _ = await world.bot.send(payload("teams_conversation_update_bot_added_to_team",
                                             world.microsoft.service_url,
                                             conversation={"id": channel, "conversationType": "channel",
                                                           "isGroup": True}))
    assert status == 201


def posts_to(world: World, conversation: str) -> list:
    """What the bot posted into one conversation (a channel's root, or a personal chat)."""
    return [r for r in world.microsoft.sent("POST") if r.conversation_id == conversation]


def dialog_card(body: dict) -> dict:
    """The Adaptive Card a task/fetch or task/submit response shows in the dialog."""
    assert body["task"]["type"] == "continue"
    attachment = body["task"]["value"]["card"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def button(card: dict, verb_or_action: str) -> dict:
    """The button of a rendered card for a neutral action id (dialog button or Action.Execute)."""
    return next(a for a in card.get("actions", ())
                if a.get("verb") == f"kasuhara.{verb_or_action}" or a["data"].get("kasuharaAction") == verb_or_action)


MANAGER_AAD = "0a1b2c3d-0000-4000-8000-00000000beef"  # not the reporter of the captured payloads


def clicked_in(activity: dict, channel: str = ALERT_CHANNEL, *, aad: str = MANAGER_AAD, name: str = "Rido") -> dict:
    """The activity as Teams sends it for a click on a card posted in `channel`, by another person.

    The captured invokes come from the reporter's own personal chat; an alert is clicked in the
    channel it was posted to (a thread of that channel). Names are not unique: the default
    manager has the reporter's display name and another Entra id.
    """
    tenant = activity["conversation"].get("tenantId")
    activity["conversation"] = {"id": f"{channel};messageid=1769999999999", "conversationType": "channel",
                                "isGroup": True, "tenantId": tenant}
    activity["channelData"] = {**activity.get("channelData", {}), "channel": {"id": channel},
                               "teamsChannelId": channel}
    activity["from"] = {"id": f"29:{aad}", "name": name, "aadObjectId": aad}
    return activity
