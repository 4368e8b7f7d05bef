"""Payloads become typed values once; anything unlike Slack's shapes is MalformedPayload."""
from __future__ import annotations

import pytest

from adapters.slack import ids, parse
from adapters.slack.redelivery import SeenEvents
from slack_fixtures import payload
from flows.cards import ActionId
from flows.commands import CommandKind
from flows.model import Platform


def test_slash_command_fields_become_a_command():
    body = payload("slack_slash_command_report")
    body["text"] = "sos　2F 窓口"  # full-width space, as Japanese IMEs type it
    command = parse.slash_command(body)
    assert command.actor.platform is Platform.SLACK
    assert (command.actor.user_id, command.actor.name) == ("U0REPORTER", "sato")
    assert command.command.kind is CommandKind.SOS and command.command.argument == "2F 窓口"
    assert command.trigger_id == body["trigger_id"]


def test_view_submission_state_becomes_raw_values_by_block_id():
    submission = parse.view_submission(payload("slack_view_submission_report"))
    raw = submission.raw
    assert submission.view_id == "V0REPORT01" and submission.context == ""
    assert raw["occurred_at"] == "1767225600"
    assert raw["unit"] == "store-1"
    assert raw["behaviours"] == ["abuse", "long_restraint"]
    assert raw["duration_minutes"] == "45"
    assert raw["requested_level"] is None
    assert raw["evidence"] == []
    assert raw["counterpart"] is None


def test_missing_selections_are_none_not_errors():
    raw = parse.view_submission(payload("slack_view_submission_report_missing_required")).raw
    assert raw["description"] is None and raw["danger"] is None and raw["behaviours"] == []


def test_button_click_maps_action_ids_back_to_neutral_actions():
    click = parse.button_click(payload("slack_block_actions_acknowledge"))
    assert click.action is ActionId.ACKNOWLEDGE
    assert (click.value, click.channel_id, click.actor.user_id) == ("1", "C0STOREMGR", "U0MANAGER1")
    assert parse.incident_id(click.value) == 1


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "9" * 30])
def test_incident_ids_must_be_digits(value):
    with pytest.raises(parse.MalformedPayload):
        parse.incident_id(value)


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("view"),
    lambda b: b["view"].update(state={"values": []}),
    lambda b: b["view"]["state"]["values"]["unit"].update({"x": "not an element"}),
    lambda b: b["view"]["state"]["values"]["occurred_at"]["kasuhara.field.occurred_at"].update(selected_date_time="soon"),
    lambda b: b["view"]["state"]["values"]["place"]["kasuhara.field.place"].update(type="file_input"),
    lambda b: b.update(user="W111"),
])
def test_malformed_view_submissions_are_rejected(mutate):
    body = payload("slack_view_submission_report")
    mutate(body)
    with pytest.raises(parse.MalformedPayload):
        parse.check_envelope(body)


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(actions=[]),
    lambda b: b.update(actions="click"),
    lambda b: b["actions"][0].pop("action_id"),
    lambda b: b.pop("user"),
])
def test_malformed_button_clicks_are_rejected(mutate):
    body = payload("slack_block_actions_acknowledge")
    mutate(body)
    with pytest.raises(parse.MalformedPayload):
        parse.check_envelope(body)


def test_events_need_an_event_object():
    body = payload("slack_event_app_mention")
    assert parse.event(body).event_id == "Ev111"
    body["event"] = "app_mention"
    with pytest.raises(parse.MalformedPayload):
        parse.check_envelope(body)


def test_foreign_action_ids_are_not_ours():
    assert ids.parse_action_id("a") is None
    assert ids.parse_action_id("kasuhara.unknown_thing") is None
    assert ids.parse_action_id("kasuhara.field.unit") is None
    assert ids.action_pattern(ActionId.ACKNOWLEDGE).match("kasuhara.acknowledge.3")
    assert not ids.action_pattern(ActionId.ACKNOWLEDGE).match("kasuhara.acknowledged")


def test_seen_events_forget_the_oldest_first():
    seen = SeenEvents(capacity=2)
    assert seen.first_time("Ev1") and seen.first_time("Ev2")
    assert not seen.first_time("Ev1")
    assert seen.first_time("Ev3")  # forgets Ev1
    assert seen.first_time("Ev1")
    assert seen.first_time("") and seen.first_time("")


def test_a_button_inside_a_modal_knows_its_view_and_has_no_channel():
    click = parse.button_click(payload("slack_block_actions_in_modal"))
    assert click.action is ActionId.OPEN_REPORT
    assert (click.view_id, click.channel_id, click.value) == ("V0REPORT01", "", "edit:1")
    assert parse.button_click(payload("slack_block_actions_acknowledge")).view_id == ""
