"""Reporting in Teams: `report` -> button -> dialog (task/fetch) -> submit (task/submit)."""
from __future__ import annotations

import copy
import sqlite3

from flows.i18n import Translator
from tests.adapters.teams.teams_harness import ALERT_CHANNEL, audit_actions, dialog_card, incidents, install_in_team, payload
from tests.adapters.teams.teams_cards_check import card_problems, inputs, walk

REPORTER = "c5e99701-2a32-49c1-a660-4629ceeb8c61"  # aadObjectId in the invoke payloads


def error_texts(card: dict) -> list[str]:
    return [n["text"] for n in walk(card) if n.get("type") == "TextRun" and n.get("color") == "Attention"]


async def open_dialog(world, **changes) -> dict:
    status, body = await world.bot.send(payload("teams_invoke_task_fetch_report", world.microsoft.service_url,
                                                **changes))
    assert status == 200
    return body


async def test_report_command_answers_with_a_button_that_opens_the_dialog(world):
    status, _ = await world.bot.send(payload("teams_message_personal_report", world.microsoft.service_url))
    assert status == 201
    [reply] = world.microsoft.sent("POST")
    assert card_problems(reply.card) == []
    [button] = reply.card["actions"]
    assert button["type"] == "Action.Submit" and button["data"]["msteams"] == {"type": "task/fetch"}
    assert reply.activity_id == "1485983408511"  # a reply to the user's message


async def test_task_fetch_returns_the_report_form_in_the_users_language(world):
    body = await open_dialog(world)
    card = dialog_card(body)
    assert card_problems(card) == []
    assert body["task"]["value"]["title"] == "カスハラ報告"
    assert {"occurred_at.date", "occurred_at.time", "description", "behaviours", "danger"} <= set(inputs(card))
    assert card["actions"][0]["data"]["kasuharaNonce"]
    english = dialog_card(await open_dialog(world, locale="en-US"))
    assert english["actions"][0]["title"] != card["actions"][0]["title"]


async def test_each_opened_dialog_gets_its_own_nonce(world):
    first = dialog_card(await open_dialog(world))["actions"][0]["data"]["kasuharaNonce"]
    second = dialog_card(await open_dialog(world))["actions"][0]["data"]["kasuharaNonce"]
    assert first != second


async def test_missing_answers_come_back_inline_and_nothing_is_stored(world):
    await install_in_team(world)
    status, body = await world.bot.send(payload("teams_invoke_task_submit_report_missing_required",
                                                world.microsoft.service_url))
    assert status == 200
    card = dialog_card(body)
    assert card_problems(card) == []
    assert len(error_texts(card)) == 3  # occurred_at (time missing), description, behaviours
    assert inputs(card)["description"]["errorMessage"]
    assert inputs(card)["channel"]["value"] == "phone"  # what was typed is not lost
    assert inputs(card)["occurred_at.date"]["value"] == "2026-11-20"
    assert card["actions"][0]["data"]["kasuharaNonce"] == "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"  # same dialog
    await world.drain()
    assert await incidents(world) == []
    assert world.microsoft.sent() == []


async def test_a_report_is_stored_alerted_to_the_channel_and_confirmed_privately(world):
    await install_in_team(world)
    status, body = await world.bot.send(payload("teams_invoke_task_submit_report", world.microsoft.service_url))
    assert status == 200
    assert body["task"]["type"] == "message"
    [incident] = await incidents(world)
    assert incident.case_no in body["task"]["value"]
    assert incident.reporter.user_id == REPORTER and incident.level.name == "L2"
    await world.drain()
    alert = next(r for r in world.microsoft.sent("POST") if r.conversation_id == ALERT_CHANNEL)
    assert card_problems(alert.card) == []
    assert alert.card["actions"][0]["verb"] == "kasuhara.acknowledge"
    assert alert.activity_id == ""  # a new post in the channel, not a reply
    personal = payload("teams_invoke_task_submit_report")["conversation"]["id"]
    confirmation = next(r for r in world.microsoft.sent("POST") if r.conversation_id == personal)
    assert incident.case_no in str(confirmation.card)
    assert confirmation.body["channelData"] == {"notification": {"alert": True}}
    assert "reported" in await audit_actions(world, incident.id)


async def test_a_retried_submit_creates_one_incident(world):
    await install_in_team(world)
    activity = payload("teams_invoke_task_submit_report", world.microsoft.service_url)
    first = await world.bot.send(activity)
    again = await world.bot.send(copy.deepcopy(activity))
    assert first == again
    assert len(await incidents(world)) == 1
    await world.drain()
    assert len([r for r in world.microsoft.sent("POST") if r.conversation_id == ALERT_CHANNEL]) == 1


async def test_a_double_click_on_submit_creates_one_incident(world):
    activity = payload("teams_invoke_task_submit_report", world.microsoft.service_url)
    await world.bot.send(activity)
    await world.bot.send({**activity, "id": "f:another-activity-same-dialog"})
    assert len(await incidents(world)) == 1


async def test_the_dialog_context_reaches_the_report(world):
    message = payload("teams_message_personal_report", world.microsoft.service_url, text="sos 2階窓口")
    status, _ = await world.bot.send(message)
    assert status == 201
    [sos] = await incidents(world)
    [answer] = [s for s in world.microsoft.sent("POST") if s.conversation_id == message["conversation"]["id"]]
    sos_button = answer.card["actions"][0]  # the answer to the person, not the alerts leaving beside it
    assert sos_button["data"]["kasuharaContext"] == f"sos:{sos.id}"
    fetch = payload("teams_invoke_task_fetch_report", world.microsoft.service_url)
    fetch["value"]["data"] = sos_button["data"]
    form = dialog_card((await world.bot.send(fetch))[1])
    assert form["actions"][0]["data"]["kasuharaContext"] == f"sos:{sos.id}"
    submit = payload("teams_invoke_task_submit_report", world.microsoft.service_url)
    submit["value"]["data"]["kasuharaContext"] = f"sos:{sos.id}"
    assert (await world.bot.send(submit))[0] == 200
    report = next(i for i in await incidents(world) if not i.is_sos)
    assert report.sos_of == sos.id


async def test_english_errors_for_an_english_client(world):
    activity = payload("teams_invoke_task_submit_report_missing_required", world.microsoft.service_url,
                       locale="en-US")
    card = dialog_card((await world.bot.send(activity))[1])
    assert all(text.isascii() for text in error_texts(card))


async def test_a_storage_failure_closes_the_dialog_with_what_to_do(world, tmp_path):
    with sqlite3.connect(tmp_path / "kasuhara.db") as database:  # break storage for real
        database.execute("ALTER TABLE incidents RENAME TO incidents_gone")
    status, body = await world.bot.send(payload("teams_invoke_task_submit_report", world.microsoft.service_url))
    assert status == 200
    assert body["task"] == {"type": "message", "value": Translator("ja")("teams.error.save")}
