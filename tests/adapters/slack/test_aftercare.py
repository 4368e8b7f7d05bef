"""After-care end to end: the 72-hour reminder to HR, Record (modal), Snooze, the check-in DM.

The flows run on a fake clock (`timed_world`): the report fixture's incident happened at
2026-01-01 00:00 UTC, the clock starts five minutes later and is advanced past 72 hours.
"""
from __future__ import annotations

import json

from slack_sdk.models.views import View

from adapters.slack import ids
from flows.i18n import Translator
from tests.adapters.slack.slack_fixtures import HR, as_user, buttons, eventually, incidents, payload, posts_to, submit_valid_report

T = Translator("ja")
NOTES = "夜眠れないとのこと"  # the hearing notes of the record fixture: HR-only (要配慮個人情報)


async def due_reminder(world, clock):
    """Report, let 72 hours pass, and return the reminder posted to the HR channel."""
    await submit_valid_report(world)
    await world.runtime.drain()
    assert posts_to(world, HR) == []  # nothing for HR before the follow-up is due
    clock.advance(hours=72)
    (reminder,) = await eventually(lambda: posts_to(world, HR), runtime=world.runtime)
    return reminder


async def click(world, reminder, action: str, *, user=("U0HRSATO", "hr-sato"), trigger="111.222.record"):
    button = next(b for b in buttons(reminder.args["blocks"]) if b["action_id"] == f"kasuhara.{action}")
    body = as_user(payload("slack_block_actions_record_follow_up"), *user)
    body["actions"][0].update(action_id=button["action_id"], value=button["value"])
    body["container"]["message_ts"] = reminder.response["ts"]
    body["trigger_id"] = trigger
    assert (await world.send.interaction(body)).status == 200


async def submit(world, modal: dict, *, view_id="V0RECORD01", user=("U0HRSATO", "hr-sato"), with_whom="人事 佐藤"):
    body = as_user(payload("slack_view_submission_follow_up_record"), *user)
    body["view"].update(id=view_id, private_metadata=modal["private_metadata"])
    body["view"]["state"]["values"]["with_whom"]["kasuhara.field.with_whom"]["value"] = with_whom
    reply = await world.send.interaction(body)
    assert reply.status == 200
    return reply.json()


async def test_the_72_hour_reminder_reaches_hr_with_record_and_snooze(timed_world, clock):
    reminder = await due_reminder(timed_world, clock)
    (incident,) = await incidents(timed_world.runtime)

    assert incident.case_no in reminder.args["text"]
    assert [b["action_id"] for b in buttons(reminder.args["blocks"])] == ["kasuhara.record_follow_up",
                                                                          "kasuhara.snooze_follow_up"]
    assert "面談を希望" in str(reminder.args["blocks"])  # the reporter's support needs: HR sees them
    assert all("面談を希望" not in str(c.args) for c in timed_world.standin.calls_to("chat.postMessage")
               if c.args["channel"] != HR)  # …and nobody else does


async def test_record_opens_a_modal_shows_errors_then_records_and_updates_the_reminder(timed_world, clock):
    reminder = await due_reminder(timed_world, clock)
    await click(timed_world, reminder, "record_follow_up")
    (opened,) = await timed_world.standin.wait_for("views.open")
    modal = opened.args["view"]
    assert View(**modal).to_dict() == modal
    assert modal["callback_id"] == ids.FOLLOW_UP_CALLBACK
    assert json.loads(modal["private_metadata"]) == {
        "context": buttons(reminder.args["blocks"])[0]["value"], "channel": HR, "ts": reminder.response["ts"]}
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == ["with_whom", "support", "briefing",
                                                                                 "notes"]

    errors = await submit(timed_world, modal, with_whom=None)
    assert errors == {"response_action": "errors", "errors": {"with_whom": T("form.error.required")}}
    assert timed_world.standin.calls_to("chat.update") == []

    done = await submit(timed_world, modal)
    assert done["response_action"] == "update" and View(**done["view"]).to_dict() == done["view"]
    assert done["view"]["title"]["text"] == T("slack.done.follow_up")
    assert "hr-sato" in str(done["view"]["blocks"])
    # The modal's origin is replaced at once, and the outbox replaces every posted copy (the
    # same message here): each update is that reminder, recorded, with nothing left to click.
    updates = await timed_world.standin.wait_for("chat.update")
    assert {(u.args["channel"], u.args["ts"]) for u in updates} == {(HR, reminder.response["ts"])}
    for update in updates:
        assert "hr-sato" in str(update.args["blocks"]) and buttons(update.args["blocks"]) == []  # nothing left to do
        assert NOTES not in str(update.args)  # the channel copy never shows the sensitive answers

    hr_only = await eventually(lambda: [c for c in posts_to(timed_world, HR) if NOTES in str(c.args)],
                               runtime=timed_world.runtime)
    assert len(hr_only) == 1
    assert [c for c in timed_world.standin.calls_to("chat.postMessage") if NOTES in str(c.args)] == hr_only


async def test_a_second_hr_person_is_told_who_recorded_it(timed_world, clock):
    reminder = await due_reminder(timed_world, clock)
    await click(timed_world, reminder, "record_follow_up")
    await click(timed_world, reminder, "record_follow_up", user=("U0HRKATO", "hr-kato"), trigger="111.222.kato")
    first, second = await timed_world.standin.wait_for("views.open", count=2)

    assert (await submit(timed_world, first.args["view"]))["response_action"] == "update"
    late = await submit(timed_world, second.args["view"], view_id="V0RECORD02", user=("U0HRKATO", "hr-kato"))
    assert late["response_action"] == "update"
    assert "hr-sato" in str(late["view"]["blocks"])  # the modal says who recorded it first

    await click(timed_world, reminder, "record_follow_up", user=("U0HRKATO", "hr-kato"), trigger="111.222.again")
    (note,) = await timed_world.standin.wait_for("chat.postEphemeral")
    assert (note.args["channel"], note.args["user"]) == (HR, "U0HRKATO")
    assert "hr-sato" in str(note.args["blocks"])
    assert len(timed_world.standin.calls_to("views.open")) == 2  # no form for a recorded follow-up


async def test_snooze_postpones_the_next_reminder_by_a_day(timed_world, clock):
    reminder = await due_reminder(timed_world, clock)
    await click(timed_world, reminder, "snooze_follow_up")
    (note,) = await timed_world.standin.wait_for("chat.postEphemeral")
    assert note.args["user"] == "U0HRSATO" and "再通知" in str(note.args["blocks"])

    clock.advance(hours=23)
    await timed_world.runtime.drain()
    assert len(posts_to(timed_world, HR)) == 1
    clock.advance(hours=2)
    again = await eventually(lambda: posts_to(timed_world, HR)[1:], runtime=timed_world.runtime)
    assert T("fu.title.overdue", kind=T("fu.kind.hearing"), case="") in again[0].args["text"]


async def test_the_check_in_answer_replaces_the_dm_and_reaches_hr_only(timed_world, clock):
    await due_reminder(timed_world, clock)
    (checkin,) = [c for c in posts_to(timed_world, "U0REPORTER") if T("checkin.title") in c.args["text"]]
    (incident,) = await incidents(timed_world.runtime)
    choices = buttons(checkin.args["blocks"])
    assert [b["value"] for b in choices] == [f"{incident.id}:ok", f"{incident.id}:talk", f"{incident.id}:support"]

    body = as_user(payload("slack_block_actions_in_dm"), "U0REPORTER", "sato")
    body["actions"][0].update(action_id=choices[2]["action_id"], value=choices[2]["value"])
    body["container"].update(channel_id=checkin.response["channel"], message_ts=checkin.response["ts"])
    body["channel"]["id"] = checkin.response["channel"]
    assert (await timed_world.send.interaction(body)).status == 200

    (update,) = await timed_world.standin.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("D0REPORTER", checkin.response["ts"])
    assert T("checkin.thanks") in str(update.args["blocks"]) and buttons(update.args["blocks"]) == []
    answer_title = T("checkin.hr.title", case=incident.case_no)
    (to_hr,) = await eventually(lambda: [c for c in posts_to(timed_world, HR) if answer_title in c.args["text"]],
                                runtime=timed_world.runtime)
    assert T("checkin.choice.support") in str(to_hr.args["blocks"])
    assert [c for c in timed_world.standin.calls_to("chat.postMessage") if answer_title in c.args["text"]] == [to_hr]
