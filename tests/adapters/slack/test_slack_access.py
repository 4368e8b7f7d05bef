"""Slack: only the people an incident reaches can act on it; refusals are private and audited."""
from __future__ import annotations

import asyncio

import pytest

from flows.model import IncidentStatus
from tests.adapters.slack.slack_fixtures import (
    POLICY_YAML,
    STORE_MANAGERS,
    as_user,
    eventually,
    incidents,
    open_world,
    payload,
    posts_to,
    submit_valid_report,
)

BOSS = "U0BOSS0001"  # named in the policy (by user id) as a field manager of store-1


async def audit(world, incident_id: int) -> list:
    async with world.runtime.store.transaction() as tx:
        return await tx.audit.for_incident(incident_id)


async def reported(world):
    assert (await submit_valid_report(world)).status == 200
    [incident] = await incidents(world.runtime)
    await world.runtime.drain()
    return incident


def ack_click(incident_id: int, *, channel: str = STORE_MANAGERS, user: str = "U0MANAGER1", name: str = "suzuki"):
    body = as_user(payload("slack_block_actions_acknowledge"), user, name)
    body["actions"][0]["value"] = str(incident_id)
    body["container"]["channel_id"] = body["channel"]["id"] = channel
    return body


async def refusal_to(world, user: str) -> str:
    """The ephemeral message the refused person got (and nobody else)."""
    [notice] = await eventually(lambda: [c for c in world.standin.calls_to("chat.postEphemeral")
                                         if c.args["user"] == user], runtime=world.runtime)
    return str(notice.args)


async def test_a_manager_in_the_alerted_channel_acknowledges(world):
    incident = await reported(world)
    reply = await world.send.interaction(ack_click(incident.id))
    assert reply.status == 200
    await eventually(lambda: world.standin.calls_to("chat.update"), runtime=world.runtime)
    [stored] = await incidents(world.runtime)
    assert stored.status is IncidentStatus.ACKNOWLEDGED
    assert stored.acknowledged_by == "suzuki" and stored.acknowledged_by_id == "slack:U0MANAGER1"


async def test_a_click_from_a_channel_the_alert_never_reached_is_refused_privately(world):
    incident = await reported(world)
    reply = await world.send.interaction(ack_click(incident.id, channel="C0RANDOM", user="U0STRANGER"))
    assert reply.status == 200
    assert "通知を受けた担当者だけ" in await refusal_to(world, "U0STRANGER")
    [stored] = await incidents(world.runtime)
    assert stored.status is IncidentStatus.OPEN and stored.acknowledged_at is None
    [refused] = [e for e in await audit(world, incident.id) if e.action == "refused"]
    assert refused.actor == "slack:U0STRANGER" and "acknowledge" in refused.detail and incident.case_no in refused.detail
    assert world.standin.calls_to("chat.update") == []


async def test_the_reporter_cannot_acknowledge_their_own_alert_even_from_the_alert_channel(world):
    incident = await reported(world)
    assert incident.reporter.user_id == "U0REPORTER"
    reply = await world.send.interaction(ack_click(incident.id, user="U0REPORTER", name="yamada"))
    assert reply.status == 200
    assert "ご自身が報告した案件" in await refusal_to(world, "U0REPORTER")
    [stored] = await incidents(world.runtime)
    assert stored.status is IncidentStatus.OPEN
    assert [e.detail for e in await audit(world, incident.id) if e.action == "refused"] == [
        f"acknowledge {incident.case_no}: own_report"]


@pytest.fixture
async def named_world(tmp_path, standin):
    policy = POLICY_YAML.replace(f"field_manager: {{slack: [{STORE_MANAGERS}]}}\nescalation",
                                 f"field_manager: {{slack: [{STORE_MANAGERS}, {BOSS}]}}\nescalation")
    assert BOSS in policy
    opened, close = await open_world(tmp_path, standin, policy=policy)
    yield opened
    await close()


async def test_a_person_the_policy_names_for_a_role_may_acknowledge_from_their_dm(named_world):
    world = named_world
    incident = await reported(world)
    reply = await world.send.interaction(ack_click(incident.id, channel="D0BOSSDM", user=BOSS, name="boss"))
    assert reply.status == 200
    await eventually(lambda: world.standin.calls_to("chat.update"), runtime=world.runtime)
    [stored] = await incidents(world.runtime)
    assert stored.status is IncidentStatus.ACKNOWLEDGED and stored.acknowledged_by_id == f"slack:{BOSS}"


async def test_the_reporter_is_told_privately_who_acknowledged_and_when(world):
    incident = await reported(world)
    await world.send.interaction(ack_click(incident.id))
    await eventually(lambda: len(posts_to(world, "U0REPORTER")) >= 2, runtime=world.runtime)
    told = str(posts_to(world, "U0REPORTER")[-1].args)
    assert "suzuki" in told and "確認し、対応しています" in told and incident.case_no in told
    assert posts_to(world, STORE_MANAGERS)  # the channel got the alert, not this private note
    assert "確認し、対応しています" not in str([c.args for c in posts_to(world, STORE_MANAGERS)])


# -- after-care: the unit's hr targets (and the follow-up's roles) only ------------------------
async def follow_up_click(world, reminder, action: str, *, channel: str, user: tuple[str, str]):
    from tests.adapters.slack.slack_fixtures import buttons

    button = next(b for b in buttons(reminder.args["blocks"]) if b["action_id"] == f"kasuhara.{action}")
    body = as_user(payload("slack_block_actions_record_follow_up"), *user)
    body["actions"][0].update(action_id=button["action_id"], value=button["value"])
    body["container"].update(message_ts=reminder.response["ts"], channel_id=channel)
    body["channel"]["id"] = channel
    return await world.send.interaction(body)


async def test_snooze_from_the_hr_channel_is_allowed_and_from_elsewhere_refused(timed_world, clock):
    from tests.adapters.slack.slack_fixtures import HR
    from tests.adapters.slack.test_aftercare import due_reminder

    world = timed_world
    reminder = await due_reminder(world, clock)
    assert (await follow_up_click(world, reminder, "snooze_follow_up", channel=STORE_MANAGERS,
                                  user=("U0MANAGER1", "suzuki"))).status == 200
    assert "通知を受けた担当者だけ" in await refusal_to(world, "U0MANAGER1")
    [incident] = await incidents(world.runtime)
    async with world.runtime.store.transaction() as tx:
        [hearing, *_] = await tx.follow_ups.for_incident(incident.id)
    assert hearing.snoozed_until is None
    assert (await follow_up_click(world, reminder, "snooze_follow_up", channel=HR,
                                  user=("U0HRSATO", "hr-sato"))).status == 200
    await eventually(lambda: [c for c in world.standin.calls_to("chat.postEphemeral")
                              if c.args["user"] == "U0HRSATO"], runtime=world.runtime)
    async with world.runtime.store.transaction() as tx:
        [hearing, *_] = await tx.follow_ups.for_incident(incident.id)
    assert hearing.snoozed_until is not None


async def test_the_reporter_cannot_open_the_hr_record_of_their_own_case(timed_world, clock):
    from tests.adapters.slack.slack_fixtures import HR
    from tests.adapters.slack.test_aftercare import due_reminder

    world = timed_world
    reminder = await due_reminder(world, clock)
    assert (await follow_up_click(world, reminder, "record_follow_up", channel=HR,
                                  user=("U0REPORTER", "yamada"))).status == 200
    assert "ご自身が報告した案件" in await refusal_to(world, "U0REPORTER")
    assert world.standin.calls_to("views.open") == []  # no form with HR-only fields


# -- consultation: answers only from the case's desk; unknown and foreign codes look the same ----
async def reply_by_code(world, code: str, *, channel: str, view_id: str) -> str:
    click = as_user(payload("slack_block_actions_record_follow_up"), "U0OUTSIDER", "outsider")
    click["actions"][0].update(action_id="kasuhara.consult_reply", value=code)
    click["container"].update(channel_id=channel, message_ts="1767225600.000099")
    click["trigger_id"] = f"trigger-{view_id}"
    before = len(world.standin.calls_to("views.open"))
    assert (await world.send.interaction(click)).status == 200
    # The modal opens after the ack: wait for this click's own views.open.
    calls = await world.standin.wait_for("views.open", count=before + 1)
    opened = [c for c in calls if c.args["trigger_id"] == f"trigger-{view_id}"]
    submission = as_user(payload("slack_view_submission_consult_reply"), "U0OUTSIDER", "outsider")
    submission["view"].update(id=view_id, private_metadata=opened[0].args["view"]["private_metadata"])
    return str((await world.send.interaction(submission)).json()["view"]["blocks"])


async def test_a_case_code_answered_from_outside_the_desk_looks_unknown_and_reaches_nobody(world):
    from tests.adapters.slack.test_consultation import EMPLOYEE, dm, relayed, start_case

    code, _ = await start_case(world)
    await dm(world, "相談です", "EvA")
    await relayed(world)
    foreign = await reply_by_code(world, code, channel=STORE_MANAGERS, view_id="V0FOREIGN")
    unknown = await reply_by_code(world, "C-2222", channel=STORE_MANAGERS, view_id="V0UNKNOWN")
    assert foreign.replace(code, "C-????") == unknown.replace("C-2222", "C-????")  # nothing to probe
    await world.runtime.drain()
    assert posts_to(world, EMPLOYEE) == []  # no answer reached the employee
    async with world.runtime.store.transaction() as tx:
        from sqlalchemy import text
        rows = (await tx.session.execute(text("SELECT actor, detail FROM audit_events WHERE action = 'refused'"))).all()
    assert rows == [("slack:U0OUTSIDER", f"answer {code}: not_desk")]


# -- a manager re-classifies, with a reason ----------------------------------------------------
def level_submission(private_metadata: str, *, level: str, reason: str | None, user=("U0MANAGER1", "suzuki"),
                     view_id: str = "V0LEVEL01") -> dict:
    body = as_user(payload("slack_view_submission_follow_up_record"), *user)
    values = {"level": {"kasuhara.field.level": {"type": "static_select",
                                                 "selected_option": {"value": level,
                                                                     "text": {"type": "plain_text", "text": level}}}},
              "reason": {"kasuhara.field.reason": {"type": "plain_text_input", "value": reason}}}
    body["view"].update(id=view_id, callback_id="kasuhara.incident_level", private_metadata=private_metadata,
                        state={"values": values})
    return body


async def open_level_form(world, incident_id: int, *, channel: str = STORE_MANAGERS,
                          user=("U0MANAGER1", "suzuki")) -> dict:
    click = ack_click(incident_id, channel=channel, user=user[0], name=user[1])
    click["actions"][0].update(action_id="kasuhara.change_level")
    click["trigger_id"] = "111.222.level"
    assert (await world.send.interaction(click)).status == 200
    (opened,) = await world.standin.wait_for("views.open")
    return opened.args["view"]


async def test_a_manager_raises_the_level_with_a_reason_from_the_alert(world):
    from tests.adapters.slack.slack_fixtures import DIVISION, HR

    incident = await reported(world)  # L2: the store managers' channel
    view = await open_level_form(world, incident.id)
    assert view["callback_id"] == "kasuhara.incident_level"
    missing = await world.send.interaction(level_submission(view["private_metadata"], level="L3", reason=None))
    assert missing.json()["response_action"] == "errors" and "reason" in missing.json()["errors"]
    assert (await incidents(world.runtime))[0].level.name == "L2"  # nothing stored without a reason
    done = await world.send.interaction(level_submission(view["private_metadata"], level="L3", reason="刃物を確認"))
    assert done.json()["response_action"] == "update"
    await eventually(lambda: posts_to(world, HR) and posts_to(world, DIVISION), runtime=world.runtime)
    update = await eventually(lambda: [c for c in world.standin.calls_to("chat.update")
                                       if "刃物を確認" in str(c.args)], runtime=world.runtime)
    assert update  # the posted alert shows the new level and why
    [changed] = [e for e in await audit(world, incident.id) if e.action == "level_changed"]
    assert changed.detail == "L2 -> L3: 刃物を確認" and changed.actor == "slack:U0MANAGER1"


async def test_the_reporter_cannot_change_the_level_of_their_own_incident(world):
    incident = await reported(world)
    click = ack_click(incident.id, user="U0REPORTER", name="yamada")
    click["actions"][0].update(action_id="kasuhara.change_level")
    assert (await world.send.interaction(click)).status == 200
    assert "ご自身が報告した案件" in await refusal_to(world, "U0REPORTER")
    assert world.standin.calls_to("views.open") == []


# -- bind: the policy's admins only, by user id ---------------------------------------------
async def test_bind_is_for_admins_by_user_id_and_a_refusal_is_audited(world):
    from sqlalchemy import text

    def mention(user: str, event_id: str) -> dict:
        body = payload("slack_event_app_mention")
        body["event"].update(text="<@UBOT0001> bind hr", user=user, channel="C0NEWHR")
        body["event_id"] = event_id
        return body

    assert (await world.send.event(mention("U0STRANGER", "EvBind1"))).status == 200
    await eventually(lambda: world.standin.calls_to("chat.postEphemeral"), runtime=world.runtime)
    async with world.runtime.store.transaction() as tx:
        assert await tx.bindings.all() == []
        rows = (await tx.session.execute(text("SELECT actor, detail FROM audit_events WHERE action = 'refused'"))).all()
    assert rows == [("slack:U0STRANGER", "bind hr: not_admin")]
    assert (await world.send.event(mention("U0ADMIN", "EvBind2"))).status == 200

    async def bound():
        async with world.runtime.store.transaction() as tx:
            return await tx.bindings.all()
    for _ in range(50):
        if await bound():
            break
        await asyncio.sleep(0.05)  # the event is handled after its ack
    assert [b[3] for b in await bound()] == ["C0NEWHR"]
