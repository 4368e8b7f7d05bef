"""After-care in Teams: the 72-hour reminder in the HR channel, its Record dialog, Snooze, check-in."""
from __future__ import annotations

import copy

from flows.i18n import Translator
from tests.adapters.teams.teams_cards_check import card_problems, inputs, walk
from tests.adapters.teams.teams_harness import (
    ALERT_CHANNEL,
    HR_CHANNEL,
    clicked_in,
    audit_actions,
    button,
    dialog_card,
    incidents,
    install_in_team,
    payload,
    posts_to,
)

REPORTER_CHAT = payload("teams_invoke_task_submit_report")["conversation"]["id"]
OTHER_HR = {"id": "29:1OtherHrPersonKJMvc5GBtc2JwZq0oj8tHZmzrQgFm", "name": "鈴木 人事",
            "aadObjectId": "8e2f4a61-0b3c-4d5e-9f70-1a2b3c4d5e6f"}


def texts(card: dict) -> str:
    return " ".join(str(n.get("text", "")) + " " + str(n.get("value", "")) for n in walk(card))


async def reported_and_72_hours_later(world):
    """An acknowledged L2 report; then the clock passes the 72-hour follow-up."""
    await install_in_team(world)
    await install_in_team(world, HR_CHANNEL)
    assert (await world.bot.send(payload("teams_invoke_task_submit_report", world.microsoft.service_url)))[0] == 200
    [incident] = await incidents(world)
    ack = clicked_in(payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url))
    ack["value"]["action"]["data"]["incidentId"] = str(incident.id)
    await world.bot.send(ack)
    await world.drain()
    world.microsoft.reset()
    world.clock.advance(hours=72)
    await world.drain()
    return incident


def reminder_in_hr(world) -> object:
    [reminder] = [r for r in posts_to(world, HR_CHANNEL) if "actions" in r.card]
    return reminder


async def open_record(world, reminder, **changes) -> tuple[int, dict]:
    fetch = payload("teams_invoke_task_fetch_follow_up_record", world.microsoft.service_url, **changes)
    fetch["value"]["data"] = button(reminder.card, "record_follow_up")["data"]
    fetch["conversation"]["id"] = f"{HR_CHANNEL};messageid={reminder.answered_id}"
    fetch["replyToId"] = reminder.answered_id
    return await world.bot.send(fetch)


def submission(world, form: dict, reminder, **inputs_) -> dict:
    """What Teams sends when the record form is submitted with these inputs."""
    submit = payload("teams_invoke_task_submit_follow_up_record", world.microsoft.service_url)
    submit["value"]["data"] = {**form["actions"][0]["data"], **inputs_}
    submit["conversation"]["id"] = f"{HR_CHANNEL};messageid={reminder.answered_id}"
    submit["replyToId"] = reminder.answered_id
    return submit


async def test_the_72_hour_reminder_reaches_the_hr_channel_with_record_and_snooze(world):
    incident = await reported_and_72_hours_later(world)
    reminder = reminder_in_hr(world)
    assert card_problems(reminder.card) == []
    assert incident.case_no in texts(reminder.card)
    record = button(reminder.card, "record_follow_up")
    assert record["type"] == "Action.Submit" and record["data"]["msteams"] == {"type": "task/fetch"}
    assert record["data"]["kasuharaContext"].isdigit()
    snooze = button(reminder.card, "snooze_follow_up")
    assert snooze["type"] == "Action.Execute" and snooze["data"] == {"kasuharaValue": record["data"]["kasuharaContext"]}
    assert not [r for r in posts_to(world, ALERT_CHANNEL) if "actions" in r.card]  # not to the field manager


async def test_record_dialog_errors_then_success_then_a_second_recorder_is_told_who(world):
    incident = await reported_and_72_hours_later(world)
    reminder = reminder_in_hr(world)
    status, body = await open_record(world, reminder)
    assert status == 200
    form = dialog_card(body)
    assert card_problems(form) == []
    assert body["task"]["value"]["title"] == "72時間フォローの記録"
    fields = inputs(form)
    assert {"with_whom", "support", "briefing", "notes"} <= set(fields)
    assert fields["support"]["isMultiSelect"] is True
    assert form["actions"][0]["data"]["kasuharaKinds"] == {"support": "multiselect"}
    assert "follow_up_viewed" in await audit_actions(world, incident.id)

    # Errors: the form comes back with the message under the field, and what was typed.
    status, body = await world.bot.send(submission(world, form, reminder, with_whom="", support="counselling",
                                                   notes="夜眠れない日が続いている"))
    again = dialog_card(body)
    assert card_problems(again) == []
    assert inputs(again)["with_whom"]["errorMessage"]
    assert inputs(again)["support"]["value"] == "counselling"
    assert inputs(again)["notes"]["value"] == "夜眠れない日が続いている"
    assert again["actions"][0]["data"]["kasuharaNonce"] == form["actions"][0]["data"]["kasuharaNonce"]
    assert "follow_up_recorded" not in await audit_actions(world, incident.id)

    # Success: the dialog shows the record without the sensitive answers; the reminder is replaced.
    submit = submission(world, form, reminder, with_whom="本人（面談）・人事 佐藤", support="counselling,leave",
                        notes="夜眠れない日が続いている")
    status, body = await world.bot.send(submit)
    done = dialog_card(body)
    assert card_problems(done) == [] and "actions" not in done
    assert "記録しました" in texts(done) and "佐藤 人事" in texts(done)
    assert "眠れない" not in texts(done) and "カウンセリング" not in texts(done)
    # Replaced at once by the answer, and by the outbox's update of every posted copy (the same one).
    replaced = world.microsoft.sent("PUT")
    assert replaced and all(r.activity_id == reminder.answered_id and r.card == done for r in replaced)
    assert (await world.bot.send(copy.deepcopy(submit)))[1] == body  # Teams' retry: the same answer
    await world.drain()
    hr_only = [r for r in posts_to(world, HR_CHANNEL) if "眠れない" in texts(r.card)]
    assert len(hr_only) == 1 and "カウンセリング" in texts(hr_only[0].card)
    assert not [r for r in world.microsoft.sent() if r.conversation_id != HR_CHANNEL and "眠れない" in str(r.body)]

    # Another HR person, in another dialog, is told who recorded it first.
    second = submission(world, form, reminder, with_whom="鈴木")
    second["value"]["data"]["kasuharaNonce"] = "another-dialog"
    second["id"] = "f:second-recorder"
    second["from"] = OTHER_HR
    told = dialog_card((await world.bot.send(second))[1])
    assert "佐藤 人事" in texts(told) and "記録済み" in texts(told)
    reopened = dialog_card((await open_record(world, reminder, **{"from": OTHER_HR}))[1])
    assert "記録済み" in texts(reopened) and not inputs(reopened)
    assert (await audit_actions(world, incident.id)).count("follow_up_recorded") == 1


async def test_snooze_keeps_the_reminder_and_says_when_it_comes_back(world):
    incident = await reported_and_72_hours_later(world)
    reminder = reminder_in_hr(world)
    snooze = payload("teams_invoke_adaptive_card_snooze", world.microsoft.service_url)
    snooze["value"]["action"]["data"] = button(reminder.card, "snooze_follow_up")["data"]
    status, body = await world.bot.send(snooze)
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert "再通知" in body["value"]
    assert "follow_up_snoozed" in await audit_actions(world, incident.id)
    assert world.microsoft.sent("PUT") == []


async def test_a_record_or_snooze_for_a_bad_follow_up_id_is_a_bad_request(world):
    fetch = payload("teams_invoke_task_fetch_follow_up_record", world.microsoft.service_url)
    fetch["value"]["data"]["kasuharaContext"] = "1; DROP TABLE"
    assert (await world.bot.send(fetch))[0] == 400
    unknown = payload("teams_invoke_task_fetch_follow_up_record", world.microsoft.service_url)
    unknown["value"]["data"]["kasuharaContext"] = "999"
    card = dialog_card((await world.bot.send(unknown))[1])
    assert Translator("ja")("fu.unknown") in texts(card)


async def test_the_checkin_answer_goes_to_hr_only_and_thanks_the_employee(world):
    incident = await reported_and_72_hours_later(world)
    [checkin] = posts_to(world, REPORTER_CHAT)
    assert card_problems(checkin.card) == []
    assert checkin.body["channelData"] == {"notification": {"alert": True}}
    talk = button(checkin.card, "checkin_answer")  # the first answer button
    assert talk["data"]["kasuharaValue"].startswith(f"{incident.id}:")
    answer = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)  # the reporter's chat
    answer["value"]["action"] = {"type": "Action.Execute", "verb": "kasuhara.checkin_answer",
                                 "data": {"kasuharaValue": f"{incident.id}:talk"}}
    world.microsoft.reset()
    status, body = await world.bot.send(answer)
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "actions" not in body["value"] and "人事労務の担当者だけ" in texts(body["value"])
    await world.drain()
    [to_hr] = posts_to(world, HR_CHANNEL)
    assert Translator("ja")("checkin.choice.talk") in texts(to_hr.card)
    assert [r.conversation_id for r in world.microsoft.sent("POST")] == [HR_CHANNEL]

    someone_else = copy.deepcopy(answer)
    someone_else["from"] = OTHER_HR
    someone_else["id"] = "f:someone-else"
    status, body = await world.bot.send(someone_else)
    assert Translator("ja")("checkin.unknown") in texts(body["value"])
