"""The same words give the same outcome on Slack and Teams, by construction (flows.chat).

One runtime serves both platforms from one database. Every row of the table is typed once as a
Slack event (signed) and once as a Teams activity (a real channel JWT), in a DM and in a
channel; the cards each platform showed the person (tone and title) must be the same.
"""
from __future__ import annotations

import itertools
import textwrap

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.render.views import TONE_MARK
from bot.app import build_runtime
from bot.config import Settings
from bot.policy_file import load_policy
from flows.cards import Tone
from flows.i18n import Translator
from flows.model import Platform
from tests.adapters.slack.slack_fixtures import payload as slack_payload
from tests.adapters.slack.slack_fixtures import slack_env
from tests.adapters.slack.slack_signing import SlackSender
from tests.adapters.slack.slack_standin import BOT_USER_ID, SlackStandIn
from tests.adapters.teams.teams_harness import ADMIN_AAD, APP_ID, PASSWORD, BotClient
from tests.adapters.teams.teams_harness import payload as teams_payload
from tests.adapters.teams.teams_pki import make_pki
from tests.adapters.teams.teams_standin import StandIn
from tests.adapters.teams.teams_harness import TENANTS_YAML

T = Translator("ja")
SLACK_ADMIN, SLACK_CHANNEL, SLACK_DM = "U0ADMIN", "C0STORE01", "D0ADMINDM"
TEAMS_CHANNEL = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"  # the channel of the Teams mention fixture
TEAMS_ALERTS = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"
POLICY = f"""
timezone: Asia/Tokyo
locale: ja
admins: {{slack: [{SLACK_ADMIN}], teams: ["{ADMIN_AAD}"]}}
units:
  - id: honsha
    name: 本社
    targets:
      field_leader:  {{slack: [C0LEADERS], teams: ["{TEAMS_ALERTS}"]}}
      field_manager: {{slack: [C0MANAGERS], teams: ["{TEAMS_ALERTS}"]}}
      division_head: {{slack: [C0DIVISION]}}
      hr:            {{slack: [C0HR]}}
      executives:    {{slack: [C0EXECS]}}
      crisis:        {{slack: [C0CRISIS]}}
      consultation:  {{slack: [C0CONSULT]}}
escalation:
  L1: {{notify: [field_leader], ack_within: 60m, then: [field_manager]}}
  L2: {{notify: [field_manager], ack_within: 15m, then: [division_head]}}
  L3: {{notify: [division_head, hr], ack_within: 15m, then: [executives]}}
  L4: {{notify: [field_manager, executives, crisis], ack_within: 5m, then: [executives], repeat_every: 5m}}
""" + TENANTS_YAML

# (where, what the person typed, what they must be shown: (tone, catalog key of the title) per card)
TABLE = [
    ("dm", "help", [(Tone.INFO, "help.title")]),
    ("dm", "報告", [(Tone.INFO, "report.launcher.title")]),
    ("dm", "sos 2F 窓口", [(Tone.DANGER, "sos.title")]),
    ("dm", "bind hr", [(Tone.INFO, "chat.bind.channel_only")]),  # refused with a hint, never relayed to the desk
    ("dm", "相談", [(Tone.INFO, "consult.offer.title")]),
    ("dm", "こんにちは", [(Tone.INFO, "consult.offer.title")]),
    ("channel", "help", [(Tone.INFO, "help.title")]),
    ("channel", "", [(Tone.INFO, "help.title")]),
    ("channel", "報告", [(Tone.INFO, "report.launcher.title")]),
    ("channel", "相談 つらいです", [(Tone.INFO, "chat.consult.dm_only")]),  # others read channels
    ("channel", "こんにちは", [(Tone.INFO, "unknown.title")]),
    ("channel", "bind hr", [(Tone.GOOD, "bind.done")]),
    ("channel", "sos 1F", [(Tone.DANGER, "sos.title")]),
]
_ids = itertools.count(1)


@pytest.fixture
async def both(tmp_path, monkeypatch):
    """One runtime with Slack and Teams enabled, served on 127.0.0.1, and a sender for each."""
    slack = SlackStandIn()
    await slack.start()
    microsoft = StandIn(make_pki(tmp_path / "pki"), APP_ID, PASSWORD).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(microsoft.pki.ca_file))
    policy_path = tmp_path / "kasuhara.yaml"
    policy_path.write_text(textwrap.dedent(POLICY), encoding="utf-8")
    env = {**slack_env(tmp_path, slack), "TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": PASSWORD,
           "KASUHARA_CONFIG": str(policy_path), **microsoft.env()}
    runtime = await build_runtime(Settings.from_env(env), load_policy(policy_path))
    for adapter in runtime.adapters:
        await adapter.start()
    server = TestServer(runtime.web_app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    sender = await SlackSender(str(server.make_url("/slack/events"))).__aenter__()
    teams = BotClient(str(server.make_url("/api/messages")), session, microsoft)
    yield runtime, slack, sender, microsoft, teams
    await sender.__aexit__(None, None, None)
    await session.close()
    await server.close()
    await runtime.stop()
    microsoft.stop()
    await slack.stop()


async def slack_says(slack: SlackStandIn, sender: SlackSender, where: str, text: str) -> list[tuple[Tone, str]]:
    """Type `text` to the app in Slack; return (tone, title) of each card the person was shown."""
    before = len(slack.calls)
    if where == "dm":
        body = slack_payload("slack_event_message_im")
        body["event"].update(user=SLACK_ADMIN, channel=SLACK_DM, text=text)
        shown = "chat.postMessage"
    else:
        body = slack_payload("slack_event_app_mention")
        body["event"].update(user=SLACK_ADMIN, channel=SLACK_CHANNEL, text=f"<@{BOT_USER_ID}> {text}")
        shown = "chat.postEphemeral"
    body["event_id"] = f"Ev{next(_ids):06d}"
    count = len(slack.calls_to(shown))
    assert (await sender.event(body)).status == 200
    await slack.wait_for(shown, count=count + 1)
    marks = {mark: tone for tone, mark in TONE_MARK.items()}
    cards = []
    for call in slack.calls[before:]:
        if call.method == shown and call.args.get("blocks"):
            mark, _, title = call.args["blocks"][0]["text"]["text"].partition(" ")
            cards.append((marks[mark], title))
    return cards


async def teams_says(microsoft: StandIn, teams: BotClient, where: str, text: str) -> list[tuple[Tone, str]]:
    """Type `text` to the bot in Teams (personal chat, or an @mention in a channel); return what it showed."""
    styles = {"emphasis": Tone.INFO, "good": Tone.GOOD, "warning": Tone.WARNING, "attention": Tone.DANGER}
    before = len(microsoft.sent("POST"))
    if where == "dm":
        activity = teams_payload("teams_message_personal_report", microsoft.service_url, text=text)
        activity["from"]["aadObjectId"] = ADMIN_AAD
    else:
        activity = teams_payload("teams_message_channel_mention_bind", microsoft.service_url,
                                 text=f"<at>ridotest</at> {text}")
    activity.update(id=f"1{next(_ids):012d}", locale="ja-JP")
    status, _ = await teams.send(activity)
    assert status == 201
    cards = []
    for reply in microsoft.sent("POST")[before:]:
        band = reply.card["body"][0]
        cards.append((styles[band["style"]], band["items"][0]["inlines"][0]["text"]))
    return cards


def expected(keys: list[tuple[Tone, str]]) -> list[tuple[Tone, str]]:
    unit, role = "本社", T("role.hr")
    return [(tone, T(key, role=role, unit=unit)) for tone, key in keys]


async def test_one_table_of_inputs_gives_the_same_outcome_on_slack_and_teams(both):
    runtime, slack, sender, microsoft, teams = both
    for where, text, keys in TABLE:
        on_slack = await slack_says(slack, sender, where, text)
        on_teams = await teams_says(microsoft, teams, where, text)
        assert on_slack == on_teams == expected(keys), (where, text)
    async with runtime.store.transaction() as tx:  # `bind hr` bound each platform's channel, and only those
        bound = {(platform, role, address) for platform, _, role, address in await tx.bindings.all()}
    assert bound == {(Platform.SLACK, "hr", SLACK_CHANNEL), (Platform.TEAMS, "hr", TEAMS_CHANNEL)}
