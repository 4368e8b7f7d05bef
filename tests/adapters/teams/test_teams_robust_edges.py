"""Authenticated activities of odd shapes get 4xx, never 5xx (before and inside the SDK)."""
from __future__ import annotations

import copy

import pytest

from tests.adapters.teams.teams_harness import payload

INVOKES = ["teams_invoke_adaptive_card_acknowledge", "teams_invoke_task_fetch_report",
           "teams_invoke_task_submit_report", "teams_invoke_adaptive_card_snooze",
           "teams_invoke_task_submit_consult_reply"]
MESSAGES = ["teams_message_personal_report", "teams_message_channel_mention_bind"]
ODD = ["a string", 17, None, [], {}, True]


def _variants(body: dict):
    for key, value in body.items():
        if key in ("serviceUrl",):  # the token's serviceurl claim must match it: a 401, tested elsewhere
            continue
        for odd in ODD:
            if odd != value:
                yield f"{key}={odd!r}", lambda b, k=key, o=odd: b.__setitem__(k, copy.deepcopy(o))
        yield f"-{key}", lambda b, k=key: b.pop(k)
        if isinstance(value, dict):
            for inner in value:
                for odd in ODD[:4]:
                    yield f"{key}.{inner}={odd!r}", lambda b, k=key, i=inner, o=odd: b[k].__setitem__(i, o)


@pytest.mark.parametrize("name", INVOKES + MESSAGES)
async def test_every_odd_activity_shape_is_answered_below_500(world, name):
    failures = []
    for label, mutate in _variants(payload(name, world.microsoft.service_url)):
        body = payload(name, world.microsoft.service_url)
        mutate(body)
        status, _ = await world.bot.send(body)
        if status >= 500:
            failures.append(label)
    assert failures == []


@pytest.mark.parametrize("name", ["composeExtension/query", "signin/verifyState", "kasuhara/unknown",
                                  "actionableMessage/executeAction", "task/fetch", "adaptiveCard/action"])
async def test_invokes_we_do_not_handle_or_without_value_are_4xx(world, name):
    body = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)
    body["name"] = name
    body.pop("value")
    status, _ = await world.bot.send(body)
    assert 400 <= status < 500, (name, status)


@pytest.mark.parametrize("value", ["²", "１", "-1", "1.5", "99999999999999999999999"])
async def test_a_card_value_with_an_odd_number_is_answered_below_500(world, value):
    body = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)
    body["value"]["action"]["data"] = {k: value for k in body["value"]["action"]["data"]}
    status, _ = await world.bot.send(body)
    assert status < 500
