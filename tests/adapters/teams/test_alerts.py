"""Proactive alerts in Teams: post, acknowledge (Action.Execute), update, failures."""
from __future__ import annotations

from tests.adapters.teams.teams_harness import (
    ADMIN_AAD, ALERT_CHANNEL, audit_actions, clicked_in, incidents, install_in_team, payload, posts_to,
)
from flows.model import Platform
from tests.adapters.teams.teams_cards_check import card_problems

DIVISION_CHANNEL = "19:d1v1510nhead000000000000000000aa@thread.tacv2"  # next tier for L2


async def report(world) -> object:
    status, _ = await world.bot.send(payload("teams_invoke_task_submit_report", world.microsoft.service_url))
    assert status == 200
    [incident] = await incidents(world)
    return incident


async def alerted(world) -> tuple[object, object]:
    """A report whose alert reached the field manager's channel: (the incident, the posted alert)."""
    await install_in_team(world)
    incident = await report(world)
    await world.drain()
    [alert] = posts_to(world, ALERT_CHANNEL)
    return incident, alert


async def acknowledge(world, incident_id: int, **changes) -> tuple[int, dict]:
    activity = clicked_in(payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url, **changes))
    activity["value"]["action"]["data"]["incidentId"] = str(incident_id)
    return await world.bot.send(activity)


async def test_acknowledge_returns_the_refreshed_card_and_updates_the_posted_alert(world):
    incident, alert = await alerted(world)
    status, body = await acknowledge(world, incident.id)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert card_problems(body["value"]) == []
    assert [a["data"].get("kasuharaAction") for a in body["value"]["actions"]] == ["change_level"]  # only that
    assert "refresh" not in body["value"]
    assert "Rido" in str(body["value"])  # who acknowledged
    await world.drain()
    [update] = world.microsoft.sent("PUT")
    assert (update.conversation_id, update.activity_id) == (ALERT_CHANNEL, alert.answered_id)
    assert update.card == body["value"]
    assert "acknowledged" in await audit_actions(world, incident.id)


async def test_a_second_click_shows_the_acknowledged_card_again(world):
    await install_in_team(world)
    incident = await report(world)
    first = await acknowledge(world, incident.id)
    second = await acknowledge(world, incident.id, **{"from": {"id": "29:other", "name": "Other",
                                                                "aadObjectId": "0f0f0f0f-0000-4000-8000-000000000002"}})
    assert first[1]["value"] == second[1]["value"]


async def test_an_unknown_incident_gets_a_message_not_an_error(world):
    status, body = await acknowledge(world, 999)
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"]


async def test_a_refused_post_403_is_recorded_and_escalates_at_once(world):
    await install_in_team(world)
    await install_in_team(world, DIVISION_CHANNEL)
    world.microsoft.fail_next(403)
    incident = await report(world)
    await world.drain()
    assert "delivery_failed" in await audit_actions(world, incident.id)
    assert len(posts_to(world, DIVISION_CHANNEL)) == 1  # the next tier is alerted at once, not in 15 min


async def test_throttling_429_is_retried_after_the_retry_after_delay(world):
    await install_in_team(world)
    world.microsoft.fail_next(429, retry_after="7")
    incident = await report(world)
    await world.drain()
    assert posts_to(world, ALERT_CHANNEL) == []
    assert "delivery_failed" not in await audit_actions(world, incident.id)
    world.clock.advance(seconds=6)
    await world.drain()
    assert posts_to(world, ALERT_CHANNEL) == []
    world.clock.advance(seconds=2)
    await world.drain()
    assert len(posts_to(world, ALERT_CHANNEL)) == 1


async def test_a_channel_the_bot_was_never_added_to_fails_permanently(world):
    incident = await report(world)  # no conversationUpdate: no reference for the alert channel
    await world.drain()
    assert posts_to(world, ALERT_CHANNEL) == []
    assert "delivery_failed" in await audit_actions(world, incident.id)


async def test_someone_seen_only_in_a_channel_gets_a_new_personal_chat(world):
    notifier = world.notifier
    await world.bot.send(payload("teams_message_channel_mention_bind", world.microsoft.service_url,
                                 text="<at>ridotest</at> help"))
    world.microsoft.reset()
    ref = await notifier.send_private(ADMIN_AAD, world.runtime.flows.incidents.help_card("ja"))
    create, post = world.microsoft.sent()
    assert create.method == "CREATE" and post.conversation_id == create.answered_id
    assert create.body["members"][0]["id"].startswith("29:17bUvCasIPKfQIXHvNzcPjD86fwm6")
    # botbuilder writes "tenantID" (the swagger says tenantId); Teams reads channelData.tenant.id
    assert create.body["channelData"] == {"tenant": {"id": "50612dbb-0237-4969-b378-8d42590f9c00"}}
    assert create.body["isGroup"] is False
    assert post.conversation_id.startswith("a:personal-") and post.conversation_id in ref
    world.microsoft.reset()
    await notifier.send_private(ADMIN_AAD, world.runtime.flows.incidents.help_card("ja"))
    assert [r.method for r in world.microsoft.sent()] == ["POST"]  # the chat is remembered


async def test_an_admin_binds_a_channel_and_its_alerts_go_there(world):
    status, _ = await world.bot.send(payload("teams_message_channel_mention_bind", world.microsoft.service_url))
    assert status == 201
    [answer] = world.microsoft.sent("POST")
    assert answer.card["body"][0]["style"] == "good"
    bound = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
    async with world.runtime.store.transaction() as tx:
        assert (Platform.TEAMS, "honsha", "hr", bound) in await tx.bindings.all()
    submit = payload("teams_invoke_task_submit_report", world.microsoft.service_url)
    submit["value"]["data"]["behaviours"] = "threat"  # L3: division head, HR and legal
    assert (await world.bot.send(submit))[0] == 200
    await world.drain()
    alerts = posts_to(world, bound)  # the alert, then a reminder (the other L3 channels are unreachable)
    assert alerts and alerts[0].card["actions"][0]["verb"] == "kasuhara.acknowledge"


async def test_someone_else_cannot_bind(world):
    activity = payload("teams_message_channel_mention_bind", world.microsoft.service_url)
    activity["from"]["aadObjectId"] = "0f0f0f0f-0000-4000-8000-000000000009"
    await world.bot.send(activity)
    [answer] = world.microsoft.sent("POST")
    assert answer.card["body"][0]["style"] == "warning"
    async with world.runtime.store.transaction() as tx:
        assert await tx.bindings.all() == []


async def refresh(world, incident_id: str) -> tuple[int, dict]:
    activity = clicked_in(payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url))
    activity["value"] = {"action": {"type": "Action.Execute", "verb": "kasuhara.refresh",
                                    "data": {"incidentId": incident_id}}, "trigger": "automatic"}
    return await world.bot.send(activity)


async def test_the_refresh_action_shows_the_alert_as_it_is_now(world):
    incident, alert = await alerted(world)
    status, body = await refresh(world, str(incident.id))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"] == alert.card  # nothing changed yet: the same card, Acknowledge and refresh included
    await acknowledge(world, incident.id)
    await world.runtime.drain()  # the acknowledgement's own update of the posted alert
    updates = len(world.microsoft.sent("PUT"))
    status, body = await refresh(world, str(incident.id))
    assert card_problems(body["value"]) == []
    assert [a["data"].get("kasuharaAction") for a in body["value"]["actions"]] == ["change_level"]
    assert "Rido" in str(body["value"])
    await world.runtime.drain()
    assert len(world.microsoft.sent("PUT")) == updates  # a refresh answers the viewer; it posts nothing


async def test_refreshing_an_unknown_alert_is_a_message_and_a_bad_id_a_bad_request(world):
    status, body = await refresh(world, "999")
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message" and body["value"]
    assert (await refresh(world, "x"))[0] == 400


async def test_verbs_that_are_not_ours_or_from_older_cards_answer_with_a_message(world):
    for verb in ("someoneElses", "kasuhara.record_follow_up"):  # record now opens a dialog
        activity = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)
        activity["value"]["action"]["verb"] = verb
        status, body = await world.bot.send(activity)
        assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message" and body["value"]
    assert await incidents(world) == []


async def test_an_acknowledge_without_an_incident_id_is_a_bad_request(world):
    activity = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)
    activity["value"]["action"]["data"] = {"incidentId": "DROP TABLE"}
    status, _ = await world.bot.send(activity)
    assert status == 400
