"""Anonymous consultation in Teams: personal chat -> offer -> start -> relay -> desk Reply dialog -> answer."""
from __future__ import annotations

import copy
import json

from flows.i18n import Translator
from tests.adapters.teams.teams_cards_check import card_problems, inputs, walk
from tests.adapters.teams.teams_consult import (
    EMPLOYEE_AAD,
    EMPLOYEE_CHAT,
    EMPLOYEE_ID,
    EMPLOYEE_NAME,
    click,
    desk_posts,
    fresh_id,
    reply_as_desk,
    start_case,
    write,
)
from tests.adapters.teams.teams_harness import DESK_CHANNEL, button, dialog_card, install_in_team, payload, posts_to

ja, en = Translator("ja"), Translator("en")
WORDS = "お客様から毎日電話があり、つらいです。"


def texts(card: dict) -> str:
    return " ".join(str(n.get("text", "")) + " " + str(n.get("value", "")) for n in walk(card))


def names_nobody(body: dict) -> bool:
    """True when a posted activity carries none of the employee's ids or name."""
    dumped = json.dumps(body, ensure_ascii=False)
    return not any(x in dumped for x in (EMPLOYEE_AAD, EMPLOYEE_ID, EMPLOYEE_NAME, "Megan", "Bowen"))


async def test_offer_start_relay_reply_answer_close(world):
    await install_in_team(world, DESK_CHANNEL)
    [offer] = await write(world, "相談したいことがあります")
    assert card_problems(offer) == []
    assert "誰か" in texts(offer) and "30日後" in texts(offer)  # what anonymity means, before anything is relayed
    start = button(offer, "consult_start")
    assert start["type"] == "Action.Execute" and start["data"] == {"kasuharaValue": "honsha"}
    assert button(offer, "open_report")["data"]["msteams"] == {"type": "task/fetch"}
    await world.drain()
    assert desk_posts(world) == []  # nothing is relayed before the employee chose to start

    started = await click(world, "consult_start", "honsha")
    assert started["type"] == "application/vnd.microsoft.card.adaptive"  # the offer becomes the open case
    code = button(started["value"], "consult_close")["data"]["kasuharaValue"]
    assert code.startswith("C-") and code in texts(started["value"])
    assert button(started["value"], "consult_reveal")["data"] == {"msteams": {"type": "task/fetch"},
                                                                  "kasuharaAction": "consult_reveal",
                                                                  "kasuharaContext": code}

    [relayed] = await write(world, WORDS)
    assert code in texts(relayed)
    await world.drain()
    [relay] = desk_posts(world)
    assert card_problems(relay.card) == []
    assert WORDS in texts(relay.card) and code in texts(relay.card)
    assert names_nobody(relay.body)  # the whole activity posted to the desk, not only the card
    reply = button(relay.card, "consult_reply")
    assert reply["data"] == {"msteams": {"type": "task/fetch"}, "kasuharaAction": "consult_reply",
                             "kasuharaContext": code}

    opened, answered = await reply_as_desk(world, code, "お話を伺います。担当替えも検討できます。")
    form = dialog_card(opened)
    assert card_problems(form) == [] and opened["task"]["value"]["title"] == ja("consult.reply.title")
    assert inputs(form)["text"]["isMultiline"] is True and inputs(form)["text"]["isRequired"] is True
    assert texts(dialog_card(answered)).strip().startswith(ja("consult.desk.sent", code=code))
    await world.drain()
    answer = posts_to(world, EMPLOYEE_CHAT)[-1]
    assert "お話を伺います。担当替えも検討できます。" in texts(answer.card) and code in texts(answer.card)
    assert answer.body["channelData"] == {"notification": {"alert": True}}

    closed = await click(world, "consult_close", code)
    assert closed["type"] == "application/vnd.microsoft.activity.message" and code in closed["value"]
    closed_card = posts_to(world, EMPLOYEE_CHAT)[-1].card  # a new message: the answer card stays readable
    assert button(closed_card, "consult_new")["type"] == "Action.Execute"
    assert world.microsoft.sent("PUT") == []
    await world.drain()
    assert ja("consult.desk.closed.title", code=code) in texts(desk_posts(world)[-1].card)

    sent_before = len(posts_to(world, EMPLOYEE_CHAT))
    _, late = await reply_as_desk(world, code, "その後いかがですか")
    assert "終了" in texts(dialog_card(late))
    await world.drain()
    assert len(posts_to(world, EMPLOYEE_CHAT)) == sent_before  # a closed case gets nothing


async def test_a_file_is_refused_with_the_reason_and_nothing_of_it_is_relayed(world):
    await install_in_team(world, DESK_CHANNEL)
    await start_case(world)
    [refused] = await write(world, None, name="teams_message_personal_file")
    assert ja("consult.attachment.title") in texts(refused)
    pasted = {"contentType": "image/*",
              "contentUrl": "https://smba.trafficmanager.net/amer/v3/attachments/0-jpn-d1-x/views/original"}
    image = payload("teams_message_personal_consult")["attachments"] + [pasted]
    [refused_too] = await write(world, "写真です", attachments=image)
    assert ja("consult.attachment.title") in texts(refused_too)
    await world.drain()
    assert desk_posts(world) == []
    assert not [r for r in world.microsoft.sent() if "録音" in str(r.body) or "sharepoint" in str(r.body)]


async def test_a_redelivered_message_is_relayed_once(world):
    await install_in_team(world, DESK_CHANNEL)
    await start_case(world)
    activity = payload("teams_message_personal_consult", world.microsoft.service_url, id="1767765499999")
    await world.bot.send(activity)
    await world.bot.send(copy.deepcopy(activity))
    await world.drain()
    assert len(desk_posts(world)) == 1


async def test_reveal_gives_the_desk_the_chosen_name_only(world):
    await install_in_team(world, DESK_CHANNEL)
    code = await start_case(world)
    fetch = payload("teams_invoke_task_fetch_consult_reveal", world.microsoft.service_url)
    fetch["value"]["data"]["kasuharaContext"] = code
    form = dialog_card((await world.bot.send(fetch))[1])
    assert card_problems(form) == [] and inputs(form)["name"]["value"] == EMPLOYEE_NAME  # her choice to change
    submit = payload("teams_invoke_task_submit_consult_reveal", world.microsoft.service_url)
    submit["value"]["data"] = {**form["actions"][0]["data"], "name": "ボウエン"}
    done = dialog_card((await world.bot.send(submit))[1])
    assert code in texts(done)
    await world.drain()
    [notice] = desk_posts(world)
    assert "ボウエン" in texts(notice.card) and names_nobody(notice.body)

    empty = payload("teams_invoke_task_submit_consult_reveal", world.microsoft.service_url, id=fresh_id())
    empty["value"]["data"] = {**form["actions"][0]["data"], "name": ""}
    again = dialog_card((await world.bot.send(empty))[1])
    assert inputs(again)["name"]["errorMessage"]


async def test_another_consultation_can_be_started_and_gets_the_next_messages(world):
    await install_in_team(world, DESK_CHANNEL)
    first = await start_case(world)
    [relayed] = await write(world, WORDS)
    new = button(relayed, "consult_new")
    assert new["type"] == "Action.Execute"
    started = await click(world, "consult_new", new["data"]["kasuharaValue"])
    second = button(started["value"], "consult_close")["data"]["kasuharaValue"]
    assert second != first
    await write(world, "別の件です")
    await world.drain()
    assert second in texts(desk_posts(world)[-1].card) and "別の件です" in texts(desk_posts(world)[-1].card)


async def test_a_reply_to_an_unknown_code_says_so(world):
    _, answered = await reply_as_desk(world, "C-ZZZZ", "こんにちは")
    assert "C-ZZZZ" in texts(dialog_card(answered))
    await world.drain()
    assert world.microsoft.sent("POST") == []


async def test_in_english(world):
    await install_in_team(world, DESK_CHANNEL)
    [offer] = await write(world, "I need to talk to someone", locale="en-US")
    assert en("consult.offer.title") in texts(offer) and texts(offer).isascii()
    started = await click(world, "consult_start", "honsha", locale="en-US")
    code = button(started["value"], "consult_close")["data"]["kasuharaValue"]
    assert en("consult.started.title", code=code) in texts(started["value"])
    await write(world, "A customer calls me every day.", locale="en-US")
    opened, answered = await reply_as_desk(world, code, "Thank you for telling us.", locale="en-US")
    assert opened["task"]["value"]["title"] == en("consult.reply.title")
    assert en("consult.desk.sent", code=code) in texts(dialog_card(answered))
    await world.drain()
    assert "Thank you for telling us." in texts(posts_to(world, EMPLOYEE_CHAT)[-1].card)


async def test_help_report_and_sos_still_work_in_the_personal_chat(world):
    [help_card] = await write(world, "ヘルプ")
    assert "110" in texts(help_card)
    [launcher] = await write(world, "報告")
    assert button(launcher, "open_report")


async def test_the_desk_can_answer_in_the_thread_of_the_relayed_message(world):
    await install_in_team(world, DESK_CHANNEL)
    code = await start_case(world)
    await write(world, WORDS)
    await world.drain()
    [relay] = desk_posts(world)
    thread_reply = payload("teams_message_channel_thread_consult_reply", world.microsoft.service_url)
    thread_reply["conversation"]["id"] = f"{DESK_CHANNEL};messageid={relay.answered_id}"
    assert (await world.bot.send(thread_reply))[0] == 201
    # answered in the thread (the relay to the employee may leave at the same moment: not [-1])
    [told] = [s for s in world.microsoft.sent("POST") if s.conversation_id == thread_reply["conversation"]["id"]]
    assert ja("consult.desk.sent", code=code) in texts(told.card)
    await world.drain()
    answer = posts_to(world, EMPLOYEE_CHAT)[-1]
    assert "ご相談ありがとうございます。\n明日の午前中にお電話できます。" in texts(answer.card)
    assert "ridotest" not in texts(answer.card)


async def test_a_mention_in_another_thread_is_an_ordinary_command(world):
    await install_in_team(world, DESK_CHANNEL)
    thread_reply = payload("teams_message_channel_thread_consult_reply", world.microsoft.service_url)
    assert (await world.bot.send(thread_reply))[0] == 201
    [answer] = world.microsoft.sent("POST")
    assert "report" in texts(answer.card)  # the unknown-command help
    await world.drain()
    assert len(world.microsoft.sent("POST")) == 1
