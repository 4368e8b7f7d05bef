"""What typed words mean, decided once (flows.chat.interpret), for every place they can be written."""
from __future__ import annotations

import pytest

from flows.chat import Meaning, Place, Where, interpret, route_message
from flows.model import Actor, Platform

WHO = Actor(Platform.SLACK, "U0PERSON", "sato")
DM, CHANNEL = Where(Place.DM, "D0DM"), Where(Place.CHANNEL, "C0STORE")
COMMAND_IN_CHANNEL = Where(Place.CHANNEL, "C0STORE", command=True)
THREAD_SEEN = Where(Place.THREAD, "C0STORE", thread="C0STORE|1.2", addressed=False)
THREAD_MENTION = Where(Place.THREAD, "C0STORE", thread="C0STORE|1.2")

R, S, H, B, C, X, U, N = (Meaning.REPORT, Meaning.SOS, Meaning.HELP, Meaning.BIND, Meaning.CONSULTATION,
                          Meaning.REFUSED, Meaning.UNKNOWN, Meaning.NOTHING)


@pytest.mark.parametrize(("text", "dm", "channel", "command", "seen_in_thread", "mention_in_thread"), [
    ("報告", R, R, R, N, R),
    ("sos 2F", S, S, S, N, S),
    ("help", H, H, H, N, H),
    ("", C, H, H, N, H),
    ("相談 眠れません", C, X, C, N, X),
    ("bind hr", X, B, B, N, B),
    ("こんにちは", C, U, U, N, U),
])
def test_the_same_words_mean_one_thing_per_place(world, text, dm, channel, command, seen_in_thread,
                                                 mention_in_thread):
    meanings = [interpret(world.flows, text, where, WHO).meaning
                for where in (DM, CHANNEL, COMMAND_IN_CHANNEL, THREAD_SEEN, THREAD_MENTION)]
    assert meanings == [dm, channel, command, seen_in_thread, mention_in_thread]


def test_a_thread_is_first_tried_as_the_desks_answer_and_a_dm_thread_only_for_desk_members(world):
    assert interpret(world.flows, "sos", THREAD_SEEN, WHO).desk_thread == "C0STORE|1.2"
    dm_thread = Where(Place.DM, "D0DM", thread="D0DM|1.2")
    assert interpret(world.flows, "お返事です", dm_thread, WHO).desk_thread == ""  # not a desk member


async def test_bind_in_a_dm_is_refused_with_a_hint_and_reaches_no_desk(world):
    outcome = await route_message(world.flows, "bind hr", DM, WHO, locale="ja", request_key="k1")
    assert outcome.meaning is Meaning.REFUSED and "bind" in outcome.cards[0].title
    await world.settle()
    assert world.notifier.sent == []  # nothing relayed, nothing offered


async def test_chatter_in_a_thread_that_answers_no_consultation_shows_nothing(world):
    outcome = await route_message(world.flows, "了解です", THREAD_SEEN, WHO, locale="ja", request_key="k2")
    assert outcome.meaning is Meaning.NOTHING and outcome.cards == ()
