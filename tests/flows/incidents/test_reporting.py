"""Report → assess → alert → acknowledge → re-escalate, with a fake clock and real SQLite."""
from datetime import timedelta

from pathlib import Path

from bot.policy_file import load_policy
from flows.model import Actor, IncidentStatus, Platform, RiskLevel
from flows.ports import DeliveryError
from tests.flows.conftest import alert_channel

REPORTER = Actor(Platform.SLACK, "U0REPORTER", "山田")
MANAGER = Actor(Platform.SLACK, "U0MANAGER", "佐藤")


def form(world, **overrides):
    raw = {"occurred_at": str(int(world.clock.now().timestamp()) - 600), "unit": "chuo", "channel": "phone",
           "description": "窓口で大声で一方的に主張", "behaviours": ["abuse"], "danger": "none",
           "feelings_support": "眠れない。面談を希望します。"}
    raw.update(overrides)
    return raw


async def report(world, key="k1", **overrides):
    outcome = await world.flows.incidents.submit_report(REPORTER, form(world, **overrides), locale="ja", request_key=key)
    assert not outcome.errors, outcome.errors
    await world.settle()
    return outcome.incident


async def test_l2_report_alerts_the_units_field_manager_with_an_acknowledge_button(world):
    incident = await report(world)
    assert incident.level is RiskLevel.L2 and incident.reasons == ("abuse",)
    [alert] = world.notifier.to("C1MANAGER")
    assert incident.case_no in alert.card.title and "L2" in alert.card.title
    assert [a.id.value for a in alert.card.actions] == ["acknowledge", "change_level"]
    assert world.notifier.to("C0DIVISION") == []  # not yet


async def test_alerts_never_carry_the_reporters_feelings_or_support_needs(world):
    await report(world)
    [alert] = world.notifier.to("C1MANAGER")
    text = repr(alert.card)
    assert "眠れない" not in text and "面談" not in text


async def test_reporter_gets_a_private_confirmation_with_case_level_and_why(world):
    incident = await report(world)
    [confirmation] = world.notifier.to("U0REPORTER", op="private")
    assert incident.case_no in confirmation.card.title
    assert ("危険度", "L2 要管理") in confirmation.card.fields
    assert ("判定理由", "罵倒・暴言") in confirmation.card.fields


async def test_l4_confirmation_says_call_110_first(world):
    outcome = await world.flows.incidents.submit_report(REPORTER, form(world, danger="danger_now"), locale="ja", request_key="k")
    assert outcome.incident.level is RiskLevel.L4
    assert outcome.card.lines[0].startswith("🚨 今すぐ110番")
    english = await world.flows.incidents.submit_report(REPORTER, form(world, danger="danger_now"), locale="en", request_key="k2")
    assert english.card.lines[0].startswith("🚨 Call 110 now")


async def test_missing_required_fields_give_inline_errors_and_store_nothing(world):
    outcome = await world.flows.incidents.submit_report(REPORTER, {"unit": "chuo", "behaviours": []}, locale="ja", request_key="x")
    assert set(outcome.errors) == {"occurred_at", "channel", "description", "behaviours", "danger"}
    assert outcome.errors["description"] == "入力してください。"
    async with world.store.transaction() as tx:
        assert await tx.incidents.list_all() == []
    await world.settle()
    assert world.notifier.sent == []


async def test_bad_values_are_reported_per_field(world):
    outcome = await world.flows.incidents.submit_report(
        REPORTER, form(world, unit="nowhere", duration_minutes="abc",
                       occurred_at=str(int((world.clock.now() + timedelta(hours=2)).timestamp()))),
        locale="en", request_key="x")
    assert outcome.errors == {"unit": "Please choose from the list.", "duration_minutes": "Please enter a number.",
                              "occurred_at": "The time cannot be in the future."}


async def test_the_same_request_twice_makes_one_incident(world):
    first = await report(world, key="slack:view:V1")
    again = await world.flows.incidents.submit_report(REPORTER, form(world), locale="ja", request_key="slack:view:V1")
    assert again.duplicate and again.incident.id == first.id
    async with world.store.transaction() as tx:
        assert len(await tx.incidents.list_all()) == 1


async def test_unacknowledged_alert_goes_to_the_next_tier_and_reminds_the_first(world):
    await report(world)
    await world.later(minutes=14, seconds=59)
    assert world.notifier.to("C0DIVISION") == []
    await world.later(seconds=1)
    [escalated] = world.notifier.to("C0DIVISION")
    assert "エスカレーション" in escalated.card.title
    assert len(world.notifier.to("C1MANAGER")) == 2  # the alert and a reminder


async def test_without_repeat_every_the_reminders_repeat_every_ack_within(world):
    await report(world)
    await world.later(minutes=15)
    await world.later(minutes=15)
    assert len(world.notifier.to("C0DIVISION")) == 2
    assert len(world.notifier.to("C1MANAGER")) == 3


async def test_acknowledging_stops_every_further_ping_and_updates_posted_alerts(world):
    incident = await report(world)
    await world.later(minutes=15)  # escalated once: two alerts to the manager, one to the division
    outcome = await world.flows.incidents.acknowledge(incident.id, MANAGER, where=alert_channel(incident))
    assert outcome.first and outcome.incident.status is IncidentStatus.ACKNOWLEDGED
    assert any("佐藤" in line for line in outcome.card.lines) and [a.id.value for a in outcome.card.actions] == ["change_level"]
    await world.settle()
    updates = [s for s in world.notifier.sent if s.op == "update"]
    assert sorted(u.address for u in updates) == ["C0DIVISION", "C1MANAGER", "C1MANAGER"]
    posts_before = len([s for s in world.notifier.sent if s.op == "post"])
    await world.later(hours=3)
    assert len([s for s in world.notifier.sent if s.op == "post"]) == posts_before


async def test_a_double_click_records_one_acknowledgement(world):
    incident = await report(world)
    first = await world.flows.incidents.acknowledge(incident.id, MANAGER, where=alert_channel(incident))
    second = await world.flows.incidents.acknowledge(incident.id, Actor(Platform.SLACK, "U9", "田中"),
                                                     where=alert_channel(incident))
    assert first.first and not second.first
    assert second.incident.acknowledged_by == "佐藤"
    async with world.store.transaction() as tx:
        events = [e.action for e in await tx.audit.for_incident(incident.id)]
    assert events.count("acknowledged") == 1


async def test_acknowledging_an_unknown_incident_returns_none(world):
    assert await world.flows.incidents.acknowledge(999, MANAGER) is None


async def test_l4_uses_its_own_chain_and_repeats_every_five_minutes(world):
    await report(world, danger="danger_now")
    assert {s.address for s in world.notifier.sent if s.op == "post"} == {"C1MANAGER", "C0EXEC", "C0CRISIS"}
    await world.later(minutes=5)
    await world.later(minutes=5)
    assert len(world.notifier.to("C0EXEC")) == 1 + 2 + 2  # alert, then escalation + reminder twice


async def test_every_step_is_recorded_with_time_and_actor(world):
    incident = await report(world)
    await world.later(minutes=15)
    await world.flows.incidents.acknowledge(incident.id, MANAGER, where=alert_channel(incident))
    async with world.store.transaction() as tx:
        events = await tx.audit.for_incident(incident.id)
        assert await tx.audit.verify_chain() is None
    assert [e.action for e in events] == ["reported", "alerted", "escalated", "acknowledged"]
    # Who acted: the platform user id (names are not unique), and the display name for showing.
    assert events[0].actor == "slack:U0REPORTER" and events[-1].actor == "slack:U0MANAGER"
    assert events[-1].actor_name == "佐藤"
    assert events[2].at - events[0].at == timedelta(minutes=15)
    assert "C0DIVISION" in events[2].detail


async def test_a_target_that_rejects_the_alert_is_recorded_and_escalates_at_once(world):
    world.notifier.fail["C1MANAGER"] = DeliveryError("channel_not_found", permanent=True)
    incident = await report(world)
    [escalated] = world.notifier.to("C0DIVISION")
    assert "エスカレーション" in escalated.card.title
    async with world.store.transaction() as tx:
        actions = [e.action for e in await tx.audit.for_incident(incident.id)]
    assert "delivery_failed" in actions


async def test_a_temporary_failure_is_retried_with_backoff(world):
    world.notifier.fail["C1MANAGER"] = DeliveryError("ratelimited", permanent=False, retry_after=3)
    await report(world)
    assert world.notifier.to("C1MANAGER") == []
    del world.notifier.fail["C1MANAGER"]
    await world.later(seconds=2)
    assert world.notifier.to("C1MANAGER") == []
    await world.later(seconds=1)
    assert len(world.notifier.to("C1MANAGER")) == 1
    assert world.notifier.to("C0DIVISION") == []


async def test_editing_the_policy_never_changes_an_escalation_in_flight(world, tmp_path):
    await report(world)
    example = (Path(__file__).resolve().parents[3] / "kasuhara.example.yaml").read_text()
    changed = tmp_path / "changed.yaml"
    changed.write_text(example.replace("division_head: {slack: [C0DIVISION]}", "division_head: {slack: [C0NEWDIV]}")
                       .replace("L2: {notify: [field_manager], ack_within: 15m",
                                "L2: {notify: [field_manager], ack_within: 90m"))
    world.flows.incidents.policy = world.dispatcher._policy = load_policy(changed)
    await world.later(minutes=15)
    assert len(world.notifier.to("C0DIVISION")) == 1 and world.notifier.to("C0NEWDIV") == []


async def test_sos_alerts_field_manager_and_leader_at_once_and_links_the_later_report(world):
    card = await world.flows.incidents.raise_sos(REPORTER, "2F 窓口", locale="ja", request_key="sos-1")
    assert card.lines[0].startswith("🚨") and any(v == "110" for _, v in card.fields)
    await world.settle()
    assert len(world.notifier.to("C1MANAGER")) == 0  # reporter has no unit yet: default unit
    assert {s.address for s in world.notifier.sent if s.op == "post"} == {"C0MANAGER", "C0FIELD"}
    [action] = card.actions
    assert action.value.startswith("sos:")
    out = await world.flows.incidents.submit_report(REPORTER, form(world), locale="ja", request_key="k", context=action.value)
    assert out.incident.sos_of == int(action.value[4:])
    await world.later(minutes=5)  # SOS has the L4 deadline: escalates to executives
    assert world.notifier.to("C0EXEC")


async def test_sos_goes_to_the_unit_of_the_reporters_last_report(world):
    await report(world)
    world.notifier.sent.clear()
    await world.flows.incidents.raise_sos(REPORTER, "", locale="ja", request_key="sos-2")
    await world.settle()
    assert {s.address for s in world.notifier.sent if s.op == "post"} == {"C1MANAGER", "C1FIELD"}


async def test_help_shows_five_steps_phrases_and_contacts(world):
    card = world.flows.incidents.help_card("ja")
    assert sum(line[:2] in ("1.", "2.", "3.", "4.", "5.") for line in card.lines) == 5
    assert any("威圧的な言動はお控えください" in line for line in card.lines)
    assert ("警察相談専用電話", "#9110") in card.fields
    assert world.flows.incidents.help_card("en").title == "Customer harassment: what to do"


async def test_only_admins_bind_channels_to_roles(world):
    denied = await world.flows.incidents.bind_target(Actor(Platform.TEAMS, "someone"), "hr", "19:x@thread.tacv2", locale="en")
    assert "administrators" in denied.title
    admin = Actor(Platform.SLACK, "U0ADMIN")
    done = await world.flows.incidents.bind_target(admin, "legal", "C0NEWLEGAL", locale="ja")
    assert "法務" in done.title
    unknown = await world.flows.incidents.bind_target(admin, "janitor", "C0X", locale="ja")
    assert "janitor" in unknown.title
    await report(world, behaviours=["threat"])
    assert world.notifier.to("C0NEWLEGAL") and world.notifier.to("C0LEGAL")


async def test_the_reporter_completes_the_optional_part_later(world):
    incident = await report(world, feelings_support="")
    [confirmation] = world.notifier.to("U0REPORTER", op="private")
    [add] = confirmation.card.actions
    spec = world.flows.incidents.report_form("ja", context=add.value)
    assert "description" not in [f.id for f in spec.fields] and all(not f.required for f in spec.fields)
    stranger = await world.flows.incidents.submit_report(Actor(Platform.SLACK, "U0OTHER"), {"prevention": "x"}, locale="ja",
                                               request_key="e0", context=add.value)
    assert "本人と管理者" in stranger.card.title
    done = await world.flows.incidents.submit_report(REPORTER, {"prevention": "受付に呼出ボタン", "evidence": ["recording"],
                                                      "feelings_support": "少し怖い"}, locale="ja", request_key="e1",
                                           context=add.value)
    assert incident.case_no in done.card.title
    assert done.incident.prevention == "受付に呼出ボタン" and done.incident.evidence == ("recording",)
    assert done.incident.feelings_support == "少し怖い" and done.incident.description == incident.description
    async with world.store.transaction() as tx:
        assert [e.action for e in await tx.audit.for_incident(incident.id)][-1] == "completed"


async def test_a_manager_raises_the_level_with_a_reason_and_the_new_roles_are_alerted(world):
    incident = await report(world)  # L2: the field manager's channel
    where = alert_channel(incident)
    form = await world.flows.incidents.level_form(incident.id, MANAGER, where=where, locale="ja")
    assert [f.id for f in form.fields] == ["level", "reason"] and form.field("reason").required
    missing = await world.flows.incidents.change_level(incident.id, MANAGER, {"level": "L3"}, where=where, locale="ja")
    assert "reason" in missing.errors  # a change without a reason: inline error, nothing stored
    async with world.store.transaction() as tx:
        assert (await tx.incidents.get(incident.id)).level is RiskLevel.L2
    outcome = await world.flows.incidents.change_level(incident.id, MANAGER, {"level": "L3", "reason": "凶器を確認"},
                                                       where=where, locale="ja")
    assert outcome.incident.level is RiskLevel.L3 and outcome.incident.level_reason == "凶器を確認"
    await world.settle()
    assert world.notifier.to("C0HR") and world.notifier.to("C0DIVISION")  # L3 adds hr, legal and the division head
    updated = [s for s in world.notifier.sent if s.op == "update" and s.address == "C1MANAGER"]
    assert updated and "凶器を確認" in " ".join(updated[-1].card.lines)  # shows on the posted alert
    async with world.store.transaction() as tx:
        [changed] = [e for e in await tx.audit.for_incident(incident.id) if e.action == "level_changed"]
    assert changed.detail == "L2 -> L3: 凶器を確認" and changed.actor == MANAGER.key  # and in the timeline


async def test_lowering_stops_nothing_already_sent_and_the_reporter_cannot_change_the_level(world):
    incident = await report(world)
    where = alert_channel(incident)
    refused = await world.flows.incidents.change_level(incident.id, incident.reporter, {"level": "L1", "reason": "x"},
                                                       where=where, locale="ja")
    assert not refused.errors and refused.incident is None and "ご自身が報告した案件" in refused.card.title
    sent = len(world.notifier.sent)
    lowered = await world.flows.incidents.change_level(incident.id, MANAGER, {"level": "L1", "reason": "誤報"},
                                                       where=where, locale="ja")
    assert lowered.incident.level is RiskLevel.L1
    await world.settle()
    assert all(s.op == "update" for s in world.notifier.sent[sent:])  # nothing new was posted, nothing withdrawn
