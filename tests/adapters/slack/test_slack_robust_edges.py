"""Signed requests of every odd shape get 4xx, never 5xx, including shapes the SDK trips on."""
from __future__ import annotations

import copy

import pytest

from tests.adapters.slack.slack_fixtures import incidents, payload

PAYLOADS = ["slack_block_actions_acknowledge", "slack_block_actions_open_report", "slack_block_actions_in_dm",
            "slack_block_actions_record_follow_up", "slack_view_submission_report",
            "slack_view_submission_follow_up_record", "slack_view_submission_consult_reply"]
EVENTS = ["slack_event_app_mention", "slack_event_message_im", "slack_event_message_channel_thread_reply"]
ODD = ["a string", 17, None, [], {}, ["x"], {"id": ["x"]}, True]


def _variants(body: dict):
    """Each top-level and second-level member replaced by each odd value."""
    for key, value in body.items():
        for odd in ODD:
            if odd != value:
                yield f"{key}={odd!r}", lambda b, k=key, o=odd: b.__setitem__(k, copy.deepcopy(o))
        if isinstance(value, dict):
            for inner in value:
                for odd in ODD[:4]:
                    yield f"{key}.{inner}={odd!r}", lambda b, k=key, i=inner, o=odd: b[k].__setitem__(i, o)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                for odd in ODD[:4]:
                    yield f"{key}[0].{inner}={odd!r}", lambda b, k=key, i=inner, o=odd: b[k][0].__setitem__(i, o)


@pytest.mark.parametrize("name", PAYLOADS)
async def test_every_odd_interaction_shape_is_answered_below_500(world, name):
    failures = []
    for label, mutate in _variants(payload(name)):
        body = payload(name)
        mutate(body)
        reply = await world.send.interaction(body)
        if reply.status >= 500:
            failures.append(label)
    assert failures == []


@pytest.mark.parametrize("name", EVENTS)
async def test_every_odd_event_shape_is_answered_below_500(world, name):
    failures = []
    for label, mutate in _variants(payload(name)):
        body = payload(name)
        mutate(body)
        body["event_id"] = f"Ev{abs(hash(label))}"
        reply = await world.send.event(body)
        if reply.status >= 500:
            failures.append(label)
    assert failures == []


@pytest.mark.parametrize("digit", ["²", "١", "１", "1.5", "-1", "99999999999999999999999"])
async def test_a_button_value_with_an_odd_number_is_4xx(world, digit):
    body = payload("slack_block_actions_acknowledge")
    body["actions"][0]["value"] = digit
    reply = await world.send.interaction(body)
    assert 400 <= reply.status < 500
    assert await incidents(world.runtime) == []
