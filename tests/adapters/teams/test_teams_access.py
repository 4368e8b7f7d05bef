"""Teams: only the people an incident reaches can act on it; refusals are private and audited."""
from __future__ import annotations

from flows.model import IncidentStatus
from tests.adapters.teams.test_alerts import alerted
from tests.adapters.teams.teams_harness import (
    ALERT_CHANNEL,
    HR_CHANNEL,
    MANAGER_AAD,
    clicked_in,
    incidents,
    payload,
    posts_to,
)

REPORTER_AAD = "c5e99701-2a32-49c1-a660-4629ceeb8c61"  # the person of the captured report submission
STRANGER_AAD = "5ea5ea5e-0000-4000-8000-000000000666"


def click(world, incident_id: int, verb: str = "kasuhara.acknowledge") -> dict:
    activity = payload("teams_invoke_adaptive_card_acknowledge", world.microsoft.service_url)
    activity["value"]["action"].update(verb=verb, data={"incidentId": str(incident_id)})
    return activity


def personal_chat_of(activity: dict, aad: str, name: str = "Someone") -> dict:
    """The click from that person's own personal chat with the bot (a card forwarded or replayed there)."""
    activity["from"] = {"id": f"29:{aad}", "name": name, "aadObjectId": aad}
    return activity


async def audit(world, incident_id: int) -> list:
    async with world.runtime.store.transaction() as tx:
        return await tx.audit.for_incident(incident_id)


async def test_a_manager_in_the_alerted_channel_acknowledges_and_is_stored_by_id(world):
    incident, _ = await alerted(world)
    status, body = await world.bot.send(clicked_in(click(world, incident.id)))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    [stored] = await incidents(world)
    assert stored.status is IncidentStatus.ACKNOWLEDGED
    assert stored.acknowledged_by == "Rido" and stored.acknowledged_by_id == f"teams:{MANAGER_AAD}"
    [event] = [e for e in await audit(world, incident.id) if e.action == "acknowledged"]
    assert event.actor == f"teams:{MANAGER_AAD}" and event.actor_name == "Rido"


async def test_an_unrelated_user_acting_from_their_personal_chat_is_refused(world):
    incident, _ = await alerted(world)
    status, body = await world.bot.send(personal_chat_of(click(world, incident.id), STRANGER_AAD))
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert "通知を受けた担当者だけ" in body["value"]
    [stored] = await incidents(world)
    assert stored.status is IncidentStatus.OPEN
    [refused] = [e for e in await audit(world, incident.id) if e.action == "refused"]
    assert refused.actor == f"teams:{STRANGER_AAD}" and refused.detail == f"acknowledge {incident.case_no}: outside_chain"


async def test_a_click_from_another_channel_is_refused(world):
    incident, _ = await alerted(world)
    status, body = await world.bot.send(clicked_in(click(world, incident.id), HR_CHANNEL))  # L2: hr was not alerted
    assert status == 200 and "通知を受けた担当者だけ" in body["value"]
    assert (await incidents(world))[0].status is IncidentStatus.OPEN


async def test_the_reporter_cannot_acknowledge_their_own_alert(world):
    incident, _ = await alerted(world)
    own = clicked_in(click(world, incident.id), aad=REPORTER_AAD)
    status, body = await world.bot.send(own)
    assert status == 200 and "ご自身が報告した案件" in body["value"]
    assert (await incidents(world))[0].status is IncidentStatus.OPEN


async def test_refreshing_the_card_shows_it_only_to_the_people_it_reaches(world):
    incident, alert = await alerted(world)
    status, body = await world.bot.send(clicked_in(click(world, incident.id, "kasuhara.refresh")))
    assert status == 200 and body["value"] == alert.card
    status, body = await world.bot.send(personal_chat_of(click(world, incident.id, "kasuhara.refresh"), STRANGER_AAD))
    assert status == 200
    shown = str(body["value"])
    assert incident.description[:10] not in shown and "通知を受けた担当者だけ" in shown
    assert [e.action for e in await audit(world, incident.id)].count("refused") == 1


async def test_the_reporter_is_told_privately_who_acknowledged_and_when(world):
    incident, _ = await alerted(world)
    await world.bot.send(clicked_in(click(world, incident.id)))
    await world.drain()
    told = [r for r in world.microsoft.sent("POST") if "対応しています" in str(r.body) and incident.case_no in str(r.body)]
    assert told and all(r.conversation_id != ALERT_CHANNEL for r in told)
    assert posts_to(world, ALERT_CHANNEL)  # the channel still has only its alert


async def test_bind_is_for_admins_by_user_id_and_a_refusal_is_audited(world):
    from sqlalchemy import text

    from tests.adapters.teams.teams_harness import ADMIN_AAD, install_in_team

    await install_in_team(world)
    activity = payload("teams_message_channel_mention_bind", world.microsoft.service_url)
    activity["from"]["aadObjectId"] = STRANGER_AAD  # the admin's display name, another person
    await world.bot.send(activity)
    async with world.runtime.store.transaction() as tx:
        assert await tx.bindings.all() == []
        rows = (await tx.session.execute(text("SELECT actor, detail FROM audit_events WHERE action = 'refused'"))).all()
    assert rows == [(f"teams:{STRANGER_AAD}", "bind hr: not_admin")]
    activity["from"]["aadObjectId"] = ADMIN_AAD
    await world.bot.send(activity)
    async with world.runtime.store.transaction() as tx:
        assert len(await tx.bindings.all()) == 1


# -- after-care: the unit's hr targets (and the follow-up's roles) only ------------------------
async def test_the_record_form_opens_in_the_hr_channel_and_is_refused_elsewhere(world):
    from tests.adapters.teams.test_aftercare import open_record, reminder_in_hr, reported_and_72_hours_later
    from tests.adapters.teams.teams_harness import dialog_card

    await reported_and_72_hours_later(world)
    reminder = reminder_in_hr(world)
    status, body = await open_record(world, reminder)
    assert status == 200 and dialog_card(body)["body"]  # the form, from the HR channel
    outside = await open_record(world, reminder, channelData={"tenant": {"id": "56653e9d-2158-46ee-90d7-675c39642038"},
                                                             "channel": {"id": ALERT_CHANNEL}})
    outside_body = str(outside[1])
    assert outside[0] == 200 and "通知を受けた担当者だけ" in outside_body and "面談" not in outside_body


# -- consultation: answers only from the case's desk; unknown and foreign codes look the same ----
async def test_a_case_code_answered_from_outside_the_desk_looks_unknown(world):
    from sqlalchemy import text

    from tests.adapters.teams.teams_harness import DESK_CHANNEL, install_in_team
    from tests.adapters.teams.teams_consult import fresh_id, start_case, write

    await install_in_team(world, DESK_CHANNEL)
    code = await start_case(world)
    await write(world, "相談です")

    def submit(case: str, channel: str) -> dict:
        activity = clicked_in(payload("teams_invoke_task_submit_consult_reply", world.microsoft.service_url,
                                      id=fresh_id()), channel, aad=STRANGER_AAD, name="Outsider")
        activity["value"]["data"].update(kasuharaContext=case, text="外からの返信")
        return activity

    foreign = await world.bot.send(submit(code, ALERT_CHANNEL))
    unknown = await world.bot.send(submit("C-2222", ALERT_CHANNEL))
    assert foreign[0] == unknown[0] == 200
    assert str(foreign[1]).replace(code, "C-????") == str(unknown[1]).replace("C-2222", "C-????")
    async with world.runtime.store.transaction() as tx:
        rows = (await tx.session.execute(text("SELECT actor, detail FROM audit_events WHERE action = 'refused'"))).all()
    assert rows == [(f"teams:{STRANGER_AAD}", f"answer {code}: not_desk")]
    allowed = await world.bot.send(submit(code, DESK_CHANNEL))
    assert code in str(allowed[1]) and "C-????" not in str(allowed[1])


# -- a manager re-classifies, with a reason ----------------------------------------------------
def level_fetch(world, incident_id: int) -> dict:
    fetch = payload("teams_invoke_task_fetch_report", world.microsoft.service_url)
    fetch["value"]["data"] = {"kasuharaAction": "change_level", "kasuharaValue": str(incident_id),
                              "msteams": {"type": "task/fetch"}}
    return fetch


async def test_a_manager_raises_the_level_with_a_reason_and_hr_is_alerted(world):
    from tests.adapters.teams.teams_harness import DESK_CHANNEL, dialog_card, install_in_team

    incident, _ = await alerted(world)
    await install_in_team(world, HR_CHANNEL)
    status, opened = await world.bot.send(clicked_in(level_fetch(world, incident.id)))
    form = dialog_card(opened)
    submit = clicked_in(payload("teams_invoke_task_submit_report", world.microsoft.service_url))
    submit["value"]["data"] = {**form["actions"][0]["data"], "level": "L3"}
    status, again = await world.bot.send(submit)  # no reason: the form again, with its error
    assert status == 200 and "reason" in str(dialog_card(again)) and (await incidents(world))[0].level.name == "L2"
    submit["value"]["data"]["reason"] = "刃物を確認"
    status, done = await world.bot.send(submit)
    assert status == 200 and (await incidents(world))[0].level.name == "L3"
    await world.drain()
    assert posts_to(world, HR_CHANNEL)  # L3 adds hr
    updates = [r for r in world.microsoft.sent("PUT") if "刃物を確認" in str(r.body)]
    assert updates  # the posted alert shows the change and why
    assert DESK_CHANNEL not in [r.conversation_id for r in updates]


async def test_an_outsider_gets_no_level_form(world):
    incident, _ = await alerted(world)
    status, body = await world.bot.send(personal_chat_of(level_fetch(world, incident.id), STRANGER_AAD))
    assert status == 200 and "通知を受けた担当者だけ" in str(body) and "reason" not in str(body)
