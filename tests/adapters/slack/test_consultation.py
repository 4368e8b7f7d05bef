"""Anonymous consultation end to end: DM → offer → start → relay to the desk → thread answer → DM → close.

The employee (U0EMPLOYEE1, "takahashi") writes to the app; the desk (C0CONSULT) answers in
the thread of the relayed message. Nothing the desk sees may name the employee.
"""
from __future__ import annotations

import json

from slack_sdk.models.views import View

from adapters.slack import ids
from flows.i18n import Translator
from tests.adapters.slack.slack_fixtures import (
    CONSULT,
    POLICY_YAML,
    as_user,
    buttons,
    eventually,
    incidents,
    open_world,
    payload,
    posts_to,
    submit_valid_report,
)

T = Translator("ja")
EMPLOYEE, NAME, DM = "U0EMPLOYEE1", "takahashi", "D0EMPLOYEE1"


def button(call, action: str) -> dict:
    return next(b for b in buttons(call.args["blocks"]) if b["action_id"] == f"kasuhara.{action}")


async def dm(world, text: str, event_id: str, *, count: int = 1, thread_ts: str = "") -> list:
    """The employee writes in the app's DM (in a thread of it, if given); return the app's answers."""
    body = payload("slack_event_message_im")
    body["event"].update(user=EMPLOYEE, channel=DM, text=text, **({"thread_ts": thread_ts} if thread_ts else {}))
    body["event_id"] = event_id
    before = len(posts_to(world, DM))
    assert (await world.send.event(body)).status == 200
    return await eventually(lambda: at_least(posts_to(world, DM)[before:], count))


def at_least(calls: list, count: int) -> list | None:
    return calls if len(calls) >= count else None


async def press(world, call, action: str, trigger: str = "111.222.dm") -> None:
    """The employee presses a button of a message the app posted in the DM."""
    pressed = button(call, action)
    body = payload("slack_block_actions_in_dm")
    body["actions"][0].update(action_id=pressed["action_id"], value=pressed.get("value", ""))
    body["container"]["message_ts"] = call.response["ts"]
    body["trigger_id"] = trigger
    assert (await world.send.interaction(body)).status == 200


async def start_case(world) -> tuple[str, object]:
    """DM → offer → start; return the case code and the started card's message."""
    (offer,) = await dm(world, "相談したいです", "EvOFFER")
    before = len(posts_to(world, DM))
    await press(world, offer, "consult_start")
    started = (await eventually(lambda: posts_to(world, DM)[before:]))[0]
    return button(started, "consult_close")["value"], started


async def hr_thread_reply(world, parent, text: str, event_id: str, **changes) -> None:
    """A person (or, with `changes`, something else) writes in the thread of a message the app posted."""
    body = payload("slack_event_message_channel_thread_reply")
    body["event"].update(channel=parent.args["channel"], thread_ts=parent.response["ts"], text=text)
    body["event"].update(changes)
    body["event_id"] = event_id
    assert (await world.send.event(body)).status == 200


def thread_notes(world, parent) -> list:
    return [c for c in posts_to(world, CONSULT) if c.args.get("thread_ts") == parent.response["ts"]]


async def relayed(world, count: int = 1) -> list:
    """The messages the outbox posted to the desk channel (not the thread notes)."""
    return await eventually(lambda: at_least([c for c in posts_to(world, CONSULT) if "thread_ts" not in c.args],
                                             count), runtime=world.runtime)


async def test_a_whole_consultation_from_dm_to_close(world):
    (offer,) = await dm(world, "相談したいです", "EvOFFER")
    assert T("consult.offer.title") in offer.args["text"]
    assert [b["value"] for b in buttons(offer.args["blocks"]) if b["action_id"] == "kasuhara.consult_start"] == [
        "honsha"]
    await world.runtime.drain()
    assert posts_to(world, CONSULT) == []  # nothing reaches the desk before the employee starts

    await press(world, offer, "consult_start")
    (started,) = await eventually(lambda: posts_to(world, DM)[1:])
    code = button(started, "consult_close")["value"]
    assert code in started.args["text"] and T("consult.anon.hr_blind") in str(started.args["blocks"])

    (sent,) = await dm(world, f"毎日 <@{EMPLOYEE}> 宛ての電話が続き A&amp;B とも言われ、つらいです", "EvMSG1")
    assert code in sent.args["text"]
    (relay,) = await relayed(world)
    assert code in relay.args["text"] and "毎日" in str(relay.args["blocks"])
    assert "A&amp;B" in str(relay.args["blocks"]) and "&amp;amp;" not in str(relay.args["blocks"])  # escaped once
    for secret in (EMPLOYEE, NAME, DM):
        assert secret not in str(relay.args)  # no user id, name or DM channel reaches the desk
    assert button(relay, "consult_reply")["value"] == code

    await hr_thread_reply(world, relay, "ご相談ありがとうございます。お話を伺います。", "EvHR1")
    (note,) = await eventually(lambda: thread_notes(world, relay))
    assert T("consult.desk.sent", code=code) in str(note.args["blocks"])
    (answer,) = await eventually(lambda: posts_to(world, EMPLOYEE), runtime=world.runtime)
    assert "お話を伺います" in str(answer.args["blocks"]) and code in answer.args["text"]
    assert "U0HRSATO" not in str(answer.args)

    await press(world, answer, "consult_close")
    closed = await eventually(lambda: [c for c in posts_to(world, DM) if T("consult.closed.title", code=code)
                                       in c.args["text"]])
    assert button(closed[0], "consult_new")
    await eventually(lambda: [c for c in posts_to(world, CONSULT) if T("consult.desk.closed.title", code=code)
                              in c.args["text"]], runtime=world.runtime)

    await hr_thread_reply(world, relay, "その後いかがですか", "EvHR2")
    notes = await eventually(lambda: thread_notes(world, relay)[1:])
    assert T("consult.desk.closed", code=code, at="@").split("@")[1] in str(notes[0].args["blocks"])
    await world.runtime.drain()
    assert len(posts_to(world, EMPLOYEE)) == 1  # an answer to a closed case is not sent


async def test_a_dm_while_a_case_is_open_continues_it(world):
    code, started = await start_case(world)
    await dm(world, "最初の相談です", "EvA")
    (shown,) = await dm(world, "相談", "EvB")  # the word alone: shows the open case, relays nothing
    assert T("consult.continue.title", code=code) in shown.args["text"]
    await dm(world, "続きです", "EvC", thread_ts=started.response["ts"])  # written in a thread of the DM
    first, second = await relayed(world, 2)
    assert code in first.args["text"] and code in second.args["text"] and "続きです" in str(second.args["blocks"])

    retry = payload("slack_event_message_im")  # Slack redelivers the same event: relayed once
    retry["event"].update(user=EMPLOYEE, channel=DM, text="続きです")
    retry["event_id"] = "EvC"
    await world.send.event(retry, headers={"X-Slack-Retry-Num": "1"})
    await world.runtime.drain()
    assert len([c for c in posts_to(world, CONSULT) if "thread_ts" not in c.args]) == 2


async def test_a_file_is_refused_and_never_forwarded(world):
    code, _ = await start_case(world)
    shared = payload("slack_event_message_im_file_share")
    assert (await world.send.event(shared)).status == 200
    refused = await eventually(lambda: [c for c in posts_to(world, DM) if T("consult.attachment.title")
                                        in c.args["text"]])
    assert T("consult.attachment.why") in str(refused[0].args["blocks"])
    await world.runtime.drain()
    assert posts_to(world, CONSULT) == []
    for call in world.standin.calls:
        assert "F0FILE0001" not in str(call.args) and "録音" not in str(call.args)


async def test_other_threads_bots_and_echoes_are_ignored(world):
    await submit_valid_report(world)
    (alert,) = await eventually(lambda: posts_to(world, "C0STOREMGR"), runtime=world.runtime)
    await hr_thread_reply(world, alert, "対応します", "EvALERT")  # a reply in an alert's thread
    await start_case(world)
    await dm(world, "相談です", "EvA")
    (relay,) = await relayed(world)
    await hr_thread_reply(world, relay, "自動応答です", "EvBOT", bot_id="B0OTHER", user="U0OTHERBOT")  # another app
    await hr_thread_reply(world, relay, "編集", "EvEDIT", subtype="message_changed")
    await world.send.event(payload("slack_event_message_replied"))
    await world.runtime.drain()
    assert [c for c in world.standin.calls_to("chat.postMessage") if c.args.get("thread_ts")] == []
    assert world.standin.calls_to("chat.postEphemeral") == [] and posts_to(world, EMPLOYEE) == []


async def test_the_desk_can_answer_with_the_reply_button_too(world):
    code, _ = await start_case(world)
    await dm(world, "相談です", "EvA")
    (relay,) = await relayed(world)
    click = as_user(payload("slack_block_actions_record_follow_up"), "U0HRSATO", "hr-sato")
    click["actions"][0].update(action_id="kasuhara.consult_reply", value=code)
    click["container"].update(channel_id=CONSULT, message_ts=relay.response["ts"])
    assert (await world.send.interaction(click)).status == 200
    (opened,) = await world.standin.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == ids.CONSULT_REPLY_CALLBACK
    metadata = json.loads(opened.args["view"]["private_metadata"])  # the case, and where the button was
    assert metadata["context"] == code and metadata["channel"] == CONSULT

    submission = payload("slack_view_submission_consult_reply")
    submission["view"]["private_metadata"] = opened.args["view"]["private_metadata"]
    answer = (await world.send.interaction(submission)).json()
    assert answer["response_action"] == "update" and View(**answer["view"]).to_dict() == answer["view"]
    assert T("consult.desk.sent", code=code) in str(answer["view"]["blocks"])
    (reply,) = await eventually(lambda: posts_to(world, EMPLOYEE), runtime=world.runtime)
    assert "明日お電話できます" in str(reply.args["blocks"])


async def test_the_employee_may_give_a_name_to_the_desk(world):
    code, started = await start_case(world)
    await press(world, started, "consult_reveal", trigger="111.222.reveal")
    (opened,) = await world.standin.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == ids.CONSULT_REVEAL_CALLBACK and view["private_metadata"] == code
    assert opened.args["trigger_id"] == "111.222.reveal"

    submission = payload("slack_view_submission_consult_reveal")
    submission["view"]["private_metadata"] = code
    submission["view"]["state"]["values"]["name"]["kasuhara.field.name"]["value"] = None
    assert (await world.send.interaction(submission)).json()["response_action"] == "errors"
    submission["view"]["state"]["values"]["name"]["kasuhara.field.name"]["value"] = "高橋"
    done = (await world.send.interaction(submission)).json()
    assert done["response_action"] == "update" and T("consult.revealed", code=code) in str(done["view"]["blocks"])
    (notice,) = await eventually(lambda: posts_to(world, CONSULT), runtime=world.runtime)
    assert "高橋" in str(notice.args["blocks"]) and EMPLOYEE not in str(notice.args)


async def test_report_sos_and_help_in_a_dm_work_like_the_command(world):
    (prompt,) = await dm(world, "報告", "EvREPORT")
    assert button(prompt, "open_report").get("value") is None  # opens an empty report form
    (sos,) = await dm(world, "sos 2F 窓口", "EvSOS")
    assert T("sos.title") in str(sos.args["blocks"])
    (incident,) = await incidents(world.runtime)
    assert incident.is_sos and incident.place == "2F 窓口" and incident.reporter.user_id == EMPLOYEE
    (help_card,) = await dm(world, "ヘルプ", "EvHELP")
    assert T("help.title") in help_card.args["text"]
    await world.runtime.drain()
    assert [c for c in posts_to(world, CONSULT)] == []  # none of these is a consultation


async def test_a_desk_that_is_a_person_answers_in_a_thread_of_their_dm(tmp_path, standin):
    desk_person = POLICY_YAML.replace(f"consultation:  {{slack: [{CONSULT}]}}", "consultation:  {slack: [U0DESKPERSON]}")
    world, close = await open_world(tmp_path, standin, policy=desk_person)
    try:
        await start_case(world)
        await dm(world, "相談です", "EvA")
        (relay,) = await eventually(lambda: posts_to(world, "U0DESKPERSON"), runtime=world.runtime)
        answer = payload("slack_event_message_im_in_thread")
        answer["event"]["thread_ts"] = relay.response["ts"]
        assert (await world.send.event(answer)).status == 200
        (note,) = await eventually(lambda: [c for c in posts_to(world, "D0DESKPERSON") if c.args.get("thread_ts")])
        assert note.args["thread_ts"] == relay.response["ts"]
        (reply,) = await eventually(lambda: posts_to(world, EMPLOYEE), runtime=world.runtime)
        assert "担当の者がお話を伺います" in str(reply.args["blocks"])
        assert [c for c in posts_to(world, "D0DESKPERSON") if T("consult.offer.title") in c.args["text"]] == []
    finally:
        await close()
