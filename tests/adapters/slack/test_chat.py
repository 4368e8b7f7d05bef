"""`/kasuhara sos|help|…`, the SOS follow-up report, DMs and Socket Mode, end to end."""
from __future__ import annotations

import sqlite3

import pytest

from adapters.slack import ids
from flows.cards import ActionId
from flows.i18n import Translator
from tests.adapters.slack.slack_fixtures import (
    POLICY_YAML,
    buttons,
    STORE_LEADERS,
    STORE_MANAGERS,
    eventually,
    incidents,
    open_world,
    payload,
    slash_command,
)
from tests.adapters.slack.slack_standin import BOT_USER_ID

T = Translator("ja")


async def raise_sos(world, text: str = "sos 2F 窓口", trigger_id: str = "111.222.sos"):
    reply = await world.send.command(slash_command(world, text, trigger_id=trigger_id))
    assert reply.status == 200
    return reply


class Answer:
    """The SOS answer, which comes back in the command's own HTTP answer (no call to Slack needed)."""

    def __init__(self, reply):
        self.args = reply.json()


async def test_sos_answers_privately_with_the_safety_card_and_alerts_at_once(world):
    answer = Answer(await raise_sos(world))
    assert answer.args["response_type"] == "ephemeral"
    assert T("sos.title") in str(answer.args["blocks"])
    (incident,) = await incidents(world.runtime)
    assert incident.is_sos and incident.place == "2F 窓口" and incident.reporter.user_id == "U0REPORTER"
    (complete,) = buttons(answer.args["blocks"])
    assert complete["action_id"] == "kasuhara.open_report" and complete["value"] == f"sos:{incident.id}"

    await eventually(lambda: {c.args["channel"] for c in world.standin.calls_to("chat.postMessage")}
                     >= {STORE_MANAGERS, STORE_LEADERS}, runtime=world.runtime)


async def test_the_same_sos_delivered_twice_is_one_incident(world):
    first = Answer(await raise_sos(world, trigger_id="111.222.same"))
    second = Answer(await raise_sos(world, trigger_id="111.222.same"))
    assert first.args["blocks"] == second.args["blocks"]
    assert len(await incidents(world.runtime)) == 1


async def test_an_sos_that_cannot_be_stored_still_tells_the_person_what_to_do(world, tmp_path):
    with sqlite3.connect(tmp_path / "kasuhara.db") as db:
        db.execute("ALTER TABLE request_keys RENAME TO request_keys_gone")
    answer = Answer(await raise_sos(world))
    assert answer.args["text"] == T("sos.failed")  # call 110, tell the nearest manager


async def test_complete_the_report_of_an_sos_from_its_button(world):
    answer = Answer(await raise_sos(world))
    (complete,) = buttons(answer.args["blocks"])

    click = payload("slack_block_actions_open_report")
    click["actions"][0]["value"] = complete["value"]
    reply = await world.send.interaction(click)
    assert reply.status == 200
    (opened,) = await world.standin.wait_for("views.open")
    assert opened.args["trigger_id"] == click["trigger_id"]
    assert opened.args["view"]["private_metadata"] == complete["value"]

    submission = payload("slack_view_submission_report")
    submission["view"]["private_metadata"] = opened.args["view"]["private_metadata"]
    assert (await world.send.interaction(submission)).json()["response_action"] == "update"
    sos, report = await incidents(world.runtime)
    assert report.sos_of == sos.id


@pytest.mark.parametrize(("text", "title_key"), [("help", "help.title"), ("ヘルプ", "help.title"),
                                                 ("", "help.title"), ("dance", "unknown.title")])
async def test_help_and_unknown_words_answer_in_the_ack_itself(world, text, title_key):
    reply = await world.send.command(slash_command(world, text))

    assert reply.status == 200
    answer = reply.json()
    assert T(title_key) in answer["blocks"][0]["text"]["text"]
    assert answer["text"]
    assert buttons(answer["blocks"])[0]["action_id"] == ids.action_id(ActionId.OPEN_REPORT)
    assert world.standin.calls_to("chat.postMessage") == []


async def test_consult_command_answers_privately_and_sends_the_offer_to_the_dm(world):
    answer = (await world.send.command(slash_command(world, "相談"))).json()
    assert answer["response_type"] == "ephemeral" and answer["text"] == T("slack.consult.in_dm")
    (offer,) = await world.standin.wait_for("chat.postMessage")
    assert offer.args["channel"] == "U0REPORTER"  # the app's DM, never the channel it was typed in
    assert [b["action_id"] for b in buttons(offer.args["blocks"])] == ["kasuhara.consult_start",
                                                                        "kasuhara.open_report"]


async def test_the_report_button_of_the_help_card_opens_an_empty_report(world):
    click = payload("slack_block_actions_open_report")
    click["actions"][0].pop("value")
    assert (await world.send.interaction(click)).status == 200
    (opened,) = await world.standin.wait_for("views.open")
    assert "private_metadata" not in opened.args["view"]


async def test_an_expired_trigger_tells_the_person_to_retry(world):
    world.standin.fail_once("views.open", "expired_trigger_id")
    await world.send.command(slash_command(world, "report"))
    (note,) = await world.standin.wait_for("response_url")
    assert note.args["text"] == T("slack.error.modal")


async def test_a_button_this_version_does_not_know_answers_instead_of_failing(world):
    click = payload("slack_block_actions_acknowledge")
    click["actions"][0].update(action_id="kasuhara.retired_feature", value="3")
    assert (await world.send.interaction(click)).status == 200
    (note,) = await world.standin.wait_for("chat.postEphemeral")
    assert note.args["text"] == T("slack.action.unavailable")


async def test_a_direct_message_is_answered_in_that_dm_with_the_consultation_offer(world):
    message = payload("slack_event_message_im")
    assert (await world.send.event(message)).status == 200
    (reply,) = await world.standin.wait_for("chat.postMessage")
    assert reply.args["channel"] == message["event"]["channel"]
    assert T("consult.offer.title") in str(reply.args["blocks"])


async def test_the_bots_own_dm_is_not_answered(world):
    own = payload("slack_event_message_im")
    own["event"]["user"] = BOT_USER_ID
    own["event_id"] = "EvOWN"
    assert (await world.send.event(own)).status == 200
    other = payload("slack_event_message_im")
    other["event_id"] = "EvOTHER"
    await world.send.event(other)
    calls = await world.standin.wait_for("chat.postMessage")
    assert len(calls) == 1


async def test_an_english_policy_answers_in_english(tmp_path, standin):
    opened, close = await open_world(tmp_path, standin, policy=POLICY_YAML.replace("locale: ja", "locale: en"))
    try:
        answer = (await opened.send.command(slash_command(opened, "help"))).json()
        assert Translator("en")("help.title") in answer["blocks"][0]["text"]["text"]
        await opened.send.command(slash_command(opened, "report"))
        (modal,) = await standin.wait_for("views.open")
        assert modal.args["view"]["submit"]["text"] == Translator("en")("form.submit")
    finally:
        await close()


async def test_socket_mode_serves_the_same_listeners(tmp_path, standin):
    opened, close = await open_world(tmp_path, standin, start=True, SLACK_APP_TOKEN="xapp-1-test")
    try:
        await standin.wait_connected()
        (connect,) = standin.calls_to("apps.connections.open")
        assert connect.token == "xapp-1-test"

        fields = slash_command(opened, "help")
        ack = await standin.send_envelope("slash_commands", fields, envelope_id="env-help")
        assert T("help.title") in str(ack["payload"]["blocks"])

        report = slash_command(opened, "report", trigger_id="333.444.socket")
        await standin.send_envelope("slash_commands", report, envelope_id="env-report")
        (modal,) = await standin.wait_for("views.open")
        assert modal.args["trigger_id"] == "333.444.socket"
    finally:
        await close()
