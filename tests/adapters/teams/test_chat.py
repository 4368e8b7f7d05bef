"""Chat commands in Teams: sos, help, unknown, bind, in both languages, retries."""
from __future__ import annotations

import copy
import sqlite3

from flows.i18n import Translator
from tests.adapters.teams.teams_harness import ALERT_CHANNEL, incidents, install_in_team, payload
from tests.adapters.teams.teams_cards_check import card_problems, walk


def texts(card: dict) -> str:
    """Everything a person reads on the card: text runs, text blocks and facts."""
    parts = [n.get("text", "") for n in walk(card) if n.get("type") in ("TextRun", "TextBlock")]
    parts += [f"{n['title']} {n['value']}" for n in walk(card) if "title" in n and "value" in n and "type" not in n]
    return " ".join(parts)


async def say(world, text: str, name: str = "teams_message_personal_report", **changes) -> dict:
    message = payload(name, world.microsoft.service_url, text=text, **changes)
    status, _ = await world.bot.send(message)
    assert status == 201
    # the answer in the person's conversation (an SOS's alerts may leave at the same moment)
    conversation = message["conversation"]["id"].split(";")[0]
    reply = [s for s in world.microsoft.sent("POST") if s.conversation_id.split(";")[0] == conversation][-1]
    assert card_problems(reply.card) == []
    return reply.card


async def test_sos_answers_with_safety_first_and_alerts_at_once(world):
    await install_in_team(world)
    card = await say(world, "sos 2階窓口")
    assert "110" in texts(card)
    assert card["body"][0]["style"] == "attention"
    assert card["actions"][0]["data"]["msteams"] == {"type": "task/fetch"}  # complete the report later
    [incident] = await incidents(world)
    assert incident.is_sos and incident.place == "2階窓口"
    await world.drain()
    assert any(r.conversation_id == ALERT_CHANNEL for r in world.microsoft.sent("POST"))


async def test_when_the_sos_cannot_be_stored_the_person_is_still_told_to_call_110(world, tmp_path):
    with sqlite3.connect(tmp_path / "kasuhara.db") as database:  # break storage for real
        database.execute("ALTER TABLE incidents RENAME TO incidents_gone")
    card = await say(world, "sos")
    assert texts(card) == Translator("ja")("sos.failed")  # 110 and "tell a manager in person"
    assert "110" in texts(card) and card["body"][0]["style"] == "attention"


async def test_a_retried_sos_message_is_one_incident(world):
    activity = payload("teams_message_personal_report", world.microsoft.service_url, text="sos")
    await world.bot.send(activity)
    await world.bot.send(copy.deepcopy(activity))
    assert len(await incidents(world)) == 1


async def test_help_in_japanese_and_english(world):
    japanese = await say(world, "ヘルプ")
    english = await say(world, "help", locale="en-US")
    assert "110" in texts(japanese) and "110" in texts(english)
    assert "First response" in texts(english) and "一次対応" in texts(japanese)
    assert english["actions"][0]["data"]["kasuharaAction"] == "open_report"


async def test_unknown_words_in_a_channel_get_a_short_help_card(world):
    card = await say(world, "<at>ridotest</at> こんにちは", name="teams_message_channel_mention_bind")
    assert "report" in texts(card) and len(card["body"]) <= 3


async def test_consult_in_a_channel_points_to_the_personal_chat_and_opens_nothing(world):
    card = await say(world, "<at>ridotest</at> 相談 上司のことで", name="teams_message_channel_mention_bind")
    assert "personal chat" in texts(card) and "actions" not in card  # the channel payload is en-US
    await world.drain()
    assert len(world.microsoft.sent("POST")) == 1  # the answer; nothing went to any desk


async def test_a_bare_mention_in_a_channel_shows_help(world):
    card = await say(world, "<at>ridotest</at>", name="teams_message_channel_mention_bind")
    assert "110" in texts(card)
    assert any(s.conversation_id.endswith(";messageid=1759881511856")  # answered in the thread
               for s in world.microsoft.sent("POST"))


async def test_bind_in_a_personal_chat_explains_where_to_use_it(world):
    card = await say(world, "bind hr")
    assert "@" in texts(card)
    async with world.runtime.store.transaction() as tx:
        assert await tx.bindings.all() == []


async def test_english_client_gets_english_answers(world):
    card = await say(world, "report", locale="en-US")
    assert card["actions"][0]["title"] == "Open the report form"
    assert texts(card).isascii()
