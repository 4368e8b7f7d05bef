"""Payloads become typed values once; anything unlike Slack's shapes is MalformedPayload."""
from __future__ import annotations

import pytest

from adapters.slack import ids, parse
from adapters.slack.render import views
from adapters.slack.redelivery import SeenEvents
from tests.adapters.slack.slack_fixtures import payload
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
    body["text"] = "sos 1F &lt;正面&gt; &amp; 受付"  # Slack escapes &, <, > in command text
    assert parse.slash_command(body).command.argument == "1F <正面> & 受付"


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


# -- message events ------------------------------------------------------------------------------
def test_a_dm_becomes_a_direct_message_with_plain_text():
    body = payload("slack_event_message_im")
    body["event"]["text"] = "A&amp;B &lt;本当&gt; <https://example.com|資料> <@U0OTHER> さん"
    message = parse.message(body)
    assert message.kind is parse.MessageKind.DIRECT
    assert (message.channel_id, message.event_id, message.actor.user_id) == ("D024BE91L", "Ev0PV52K21", "U2147483697")
    assert message.actor.name == ""  # events carry no name, and none is looked up
    assert message.text == "A&B <本当> 資料 (https://example.com) <@U0OTHER> さん"  # mentions: flows strip them
    assert not message.has_files


def test_a_dm_with_files_says_so_and_keeps_nothing_of_them():
    message = parse.message(payload("slack_event_message_im_file_share"))
    assert message.kind is parse.MessageKind.DIRECT and message.has_files
    assert "録音_高橋" not in repr(message) and "F0FILE0001" not in repr(message)


def test_a_reply_in_a_thread_of_a_dm_is_still_a_direct_message():
    message = parse.message(payload("slack_event_message_im_in_thread"))
    assert message.kind is parse.MessageKind.DIRECT and message.thread_ts == "1767225600.000001"


def test_a_reply_in_a_channel_thread_is_a_thread_reply():
    message = parse.message(payload("slack_event_message_channel_thread_reply"))
    assert message.kind is parse.MessageKind.THREAD_REPLY
    assert (message.channel_id, message.thread_ts) == ("C0CONSULT", "1767225600.000001")


@pytest.mark.parametrize(("name", "mutate"), [
    ("slack_event_message_replied", lambda e: None),  # an echo of the thread parent
    ("slack_event_message_channel_thread_reply", lambda e: e.update(bot_id="BBOT0001")),  # our own answers
    ("slack_event_message_channel_thread_reply", lambda e: e.update(subtype="message_changed")),
    ("slack_event_message_channel_thread_reply", lambda e: e.pop("thread_ts")),  # channel chatter
    ("slack_event_message_channel_thread_reply", lambda e: e.update(thread_ts=e["ts"])),  # a thread parent
    ("slack_event_message_channel_thread_reply", lambda e: e.update(channel_type="mpim")),  # a group DM
    ("slack_event_message_im", lambda e: e.update(subtype="bot_message", bot_id="B1")),
    ("slack_event_message_im", lambda e: e.update(subtype="message_deleted")),
    ("slack_event_message_im", lambda e: e.pop("user")),
])
def test_echoes_bots_and_channel_chatter_are_ignored(name, mutate):
    body = payload(name)
    mutate(body["event"])
    assert parse.message(body).kind is parse.MessageKind.IGNORED


def test_a_message_event_with_odd_files_is_malformed():
    body = payload("slack_event_message_im_file_share")
    body["event"]["files"] = "F0FILE0001"
    with pytest.raises(parse.MalformedPayload):
        parse.check_envelope(body)


# -- buttons and modals of after-care and consultation -------------------------------------------
def test_a_button_in_a_message_knows_where_that_message_is():
    click = parse.button_click(payload("slack_block_actions_record_follow_up"))
    assert click.action is ActionId.RECORD_FOLLOW_UP and parse.follow_up_id(click.value) == 1
    assert click.message == parse.MessageAt("C0HRDESK", "1767225600.000010")
    assert click.action_ts == "1767485000.000001"
    ephemeral = payload("slack_block_actions_open_report")  # an ephemeral message cannot be updated
    assert parse.button_click(ephemeral).message is None
    assert parse.button_click(payload("slack_block_actions_in_modal")).message is None


@pytest.mark.parametrize("value", ["", "x", "1:ok", "-3"])
def test_follow_up_ids_must_be_digits(value):
    with pytest.raises(parse.MalformedPayload):
        parse.follow_up_id(value)


def test_private_metadata_carries_the_context_and_the_message_that_opened_the_modal():
    submission = parse.view_submission(payload("slack_view_submission_follow_up_record"))
    assert submission.context == "1" and submission.origin == parse.MessageAt("C0HRDESK", "1767225600.000010")
    assert submission.raw["support"] == ["counselling"]
    assert parse.modal_metadata("sos:7") == ("sos:7", None)
    assert parse.modal_metadata('{"context":"2","channel":"x y","ts":"1"}') == ("2", None)  # no odd targets
    assert parse.modal_metadata("{not json") == ("{not json", None)


@pytest.mark.parametrize(("context", "origin"), [("12", parse.MessageAt("C0HRDESK", "1.2")), ("sos:7", None),
                                                 ('{"context":"x"}', None), ("C-2345", None), ("", None)])
def test_modal_metadata_round_trips(context, origin):
    assert parse.modal_metadata(views.modal_metadata(context, origin)) == (context, origin)
