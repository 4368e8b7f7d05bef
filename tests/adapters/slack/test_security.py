"""Only Slack gets in (v0 signatures, 5-minute window); odd bodies get 4xx; retries run once."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.adapters.slack.slack_fixtures import eventually, incidents, payload, slash_command
from tests.adapters.slack.slack_signing import SIGNING_SECRET


async def test_a_forged_signature_is_401_and_does_nothing(world):
    reply = await world.send.command(slash_command(world, "report"), secret="not-the-signing-secret")
    assert reply.status == 401
    assert world.standin.calls_to("views.open") == []


async def test_a_request_signed_more_than_5_minutes_ago_is_401(world):
    stale = int(time.time()) - 6 * 60
    reply = await world.send.interaction(payload("slack_view_submission_report"), timestamp=stale)
    assert reply.status == 401
    assert await incidents(world.runtime) == []


async def test_a_request_without_signature_headers_is_401(world):
    async with world.send._session.post(world.events_url, data=b"text=report&user_id=U1") as response:
        assert response.status == 401


async def test_a_correctly_signed_request_still_passes_after_those_checks(world):
    reply = await world.send.command(slash_command(world, "help"))
    assert reply.status == 200


@pytest.mark.parametrize("body", [
    "payload=%7Bnot-json",
    "payload=" + "%FF%FE",
    json.dumps({"type": "block_actions"}),
    json.dumps(["not", "an", "object"]),
    "",
])
async def test_unreadable_signed_bodies_are_4xx_never_500(world, body):
    content_type = "application/json" if body.startswith(("{", "[")) else "application/x-www-form-urlencoded"
    reply = await world.send.post(body, content_type=content_type)
    assert 400 <= reply.status < 500
    assert "Traceback" not in reply.text


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("view"),
    lambda b: b["view"].update(state={"values": "x"}),
    lambda b: b.update(user="U0REPORTER"),
    lambda b: b["view"]["state"]["values"]["occurred_at"]["kasuhara.field.occurred_at"].update(
        selected_date_time={"nested": 1}),
])
async def test_malformed_view_submissions_are_400_and_store_nothing(world, mutate):
    body = payload("slack_view_submission_report")
    mutate(body)
    reply = await world.send.interaction(body)
    assert reply.status == 400
    assert await incidents(world.runtime) == []


@pytest.mark.parametrize("value", ["not-an-id", "", "1; DROP TABLE incidents"])
async def test_an_acknowledge_button_without_an_incident_id_is_400(world, value):
    body = payload("slack_block_actions_acknowledge")
    body["actions"][0]["value"] = value
    reply = await world.send.interaction(body)
    assert reply.status == 400


async def test_a_slash_command_without_a_user_is_400(world):
    fields = slash_command(world, "report")
    del fields["user_id"]
    reply = await world.send.command(fields)
    assert reply.status == 400
    assert world.standin.calls_to("views.open") == []


async def test_url_verification_answers_the_challenge(world):
    reply = await world.send.event({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                                    "type": "url_verification"})
    assert reply.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.text


async def test_a_retried_event_delivery_is_handled_once(world):
    mention = payload("slack_event_app_mention")
    first = await world.send.event(mention)
    await world.standin.wait_for("chat.postEphemeral")

    retry = await world.send.event(mention, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    assert first.status == retry.status == 200
    other = payload("slack_event_app_mention")
    other["event_id"] = "Ev222"
    await world.send.event(other)  # a new event is still handled: the filter is per event id
    await eventually(lambda: len(world.standin.calls_to("chat.postEphemeral")) >= 2)
    await asyncio.sleep(0.2)  # a wrongly processed retry would land by now
    assert len(world.standin.calls_to("chat.postEphemeral")) == 2


async def test_a_forged_event_cannot_poison_the_retry_filter(world):
    mention = payload("slack_event_app_mention")
    forged = await world.send.event(mention, secret="wrong" + SIGNING_SECRET)
    assert forged.status == 401
    genuine = await world.send.event(mention)
    assert genuine.status == 200
    await world.standin.wait_for("chat.postEphemeral")
