"""Parsing real Teams activities into typed values (pure)."""
from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from adapters.teams import parse, references
from tests.adapters.teams.teams_harness import payload
from flows.cards import ActionId
from flows.commands import CommandKind
from flows.model import Platform

CHANNEL = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"


def activity(name: str, **changes) -> Activity:
    return Activity().deserialize(payload(name, **changes))


def test_personal_message_gives_the_command_actor_and_locale():
    incoming = activity("teams_message_personal_report")
    turn = parse.turn(incoming, "en")
    assert parse.command(incoming).kind is CommandKind.REPORT
    assert turn.actor.platform is Platform.TEAMS
    assert turn.actor.user_id == "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"  # the Entra object id, not 29:…
    assert turn.actor.name == "Megan Bowen"
    assert turn.locale == "ja"
    assert turn.conversation.kind == parse.PERSONAL and turn.conversation.key == turn.actor.user_id


def test_channel_mention_is_stripped_and_the_thread_maps_to_its_channel():
    incoming = activity("teams_message_channel_mention_bind")
    command = parse.command(incoming)
    assert (command.kind, command.argument) == (CommandKind.BIND, "hr")
    where = parse.turn(incoming, "ja").conversation
    assert where.kind == parse.CHANNEL
    assert where.key == CHANNEL  # not the ;messageid= thread id
    assert where.tenant_id == "50612dbb-0237-4969-b378-8d42590f9c00"


def test_mention_only_message_is_empty():
    incoming = activity("teams_message_channel_mention_bind", text="<at>ridotest</at>&nbsp;")
    assert parse.command(incoming).kind is CommandKind.EMPTY


@pytest.mark.parametrize("text, kind, argument", [
    ("<at>ridotest</at> sos 2階　窓口", CommandKind.SOS, "2階 窓口"),
    ("<at>ridotest</at> ヘルプ", CommandKind.HELP, ""),
    ("<at>ridotest</at> what?", CommandKind.UNKNOWN, ""),
])
def test_commands_after_a_mention(text, kind, argument):
    command = parse.command(activity("teams_message_channel_mention_bind", text=text))
    assert (command.kind, command.argument) == (kind, argument)


def test_group_chat_key_is_the_conversation_id():
    incoming = activity("teams_message_personal_report",
                        conversation={"id": "19:abc@thread.v2", "conversationType": "groupChat", "isGroup": True})
    assert parse.turn(incoming, "ja").conversation.key == "19:abc@thread.v2"


def test_user_without_entra_id_is_known_by_the_teams_id():
    incoming = activity("teams_message_personal_report", **{"from": {"id": "29:only", "name": "X"}})
    assert parse.turn(incoming, "ja").actor.user_id == "29:only"


@pytest.mark.parametrize("locale, client, expected", [("en-US", None, "en"), (None, "en-US", "en"),
                                                      ("fr-FR", None, "ja"), (None, None, "ja")])
def test_locale_from_the_activity_or_client_info_else_the_policy(locale, client, expected):
    entities = [{"type": "clientInfo", "locale": client}] if client else []
    incoming = activity("teams_message_personal_report", locale=locale, entities=entities)
    assert parse.turn(incoming, "ja").locale == expected


def test_request_key_is_stable_for_a_retried_activity_and_differs_otherwise():
    first = parse.turn(activity("teams_message_personal_report"), "ja").request_key
    again = parse.turn(activity("teams_message_personal_report"), "ja").request_key
    other = parse.turn(activity("teams_message_personal_report", id="1485983408512"), "ja").request_key
    assert first == again != other and first.startswith("teams:")


def test_dialog_fetch_names_the_dialog_and_its_context():
    opened = parse.dialog_open(activity("teams_invoke_task_fetch_report"))
    assert (opened.action, opened.context) == (ActionId.OPEN_REPORT, "")
    record = payload("teams_invoke_task_fetch_report")
    record["value"]["data"] = {"msteams": {"type": "task/fetch"}, "kasuharaAction": "record_follow_up",
                               "kasuharaContext": "12"}
    opened = parse.dialog_open(Activity().deserialize(record))
    assert (opened.action, opened.context) == (ActionId.RECORD_FOLLOW_UP, "12")


@pytest.mark.parametrize("named", ["acknowledge", "consult_close", "nonsense", {"x": 1}])
def test_a_dialog_fetch_for_a_button_without_a_dialog_is_malformed(named):
    fetch = payload("teams_invoke_task_fetch_report")
    fetch["value"]["data"]["kasuharaAction"] = named
    with pytest.raises(parse.MalformedActivity):
        parse.dialog_open(Activity().deserialize(fetch))


def test_dialog_submit_values():
    submitted = parse.dialog_submit(activity("teams_invoke_task_submit_report"))
    assert (submitted.form_id, submitted.context) == ("incident_report", "")
    assert submitted.nonce == "5b1f0c9e2a7d4e3f8c6b1a0d9e8f7a6b"
    assert submitted.request_key == "teams:dialog:5b1f0c9e2a7d4e3f8c6b1a0d9e8f7a6b"
    assert "msteams" not in submitted.data and "kasuharaForm" not in submitted.data
    assert "kasuharaKinds" not in submitted.data and "kasuharaKinds" not in submitted.values


def test_form_values_join_date_and_time_and_split_multiselects_by_the_kinds_the_card_carried():
    raw = parse.dialog_submit(activity("teams_invoke_task_submit_report")).values
    assert raw["occurred_at"] == "2026-11-20T09:30"
    assert raw["behaviours"] == ["abuse", "repeated_contact"]
    assert raw["types"] == ["repeat", "verbal_abuse"]
    assert raw["duration_minutes"] == "40" and raw["place"] is None
    assert "occurred_at.date" not in raw and "evidence" not in raw  # not sent: flows read it as empty


def test_without_kinds_every_input_is_text():
    raw = parse.form_values({"support": "physician,leave", "with_whom": "本人, 課長"}, {})
    assert raw == {"support": "physician,leave", "with_whom": "本人, 課長"}
    raw = parse.form_values({"support": "physician,leave", "with_whom": "本人, 課長"}, {"support": "multiselect"})
    assert raw == {"support": ["physician", "leave"], "with_whom": "本人, 課長"}


def test_half_a_datetime_stays_invalid_for_flows_to_reject():
    kinds = {"occurred_at": "datetime"}
    assert parse.form_values({"occurred_at.date": "2026-11-20"}, kinds)["occurred_at"] == "2026-11-20T"
    assert parse.form_values({"occurred_at.date": "", "occurred_at.time": ""}, kinds)["occurred_at"] is None
    assert parse.form_values({}, kinds) == {}


def test_message_text_keeps_line_breaks_and_drops_the_mention():
    incoming = activity("teams_message_channel_mention_bind", text="<at>ridotest</at> 一行目\n二行目&nbsp;")
    assert parse.message_text(incoming) == "一行目\n二行目"


@pytest.mark.parametrize("content_type, expected", [
    ("text/html", False), ("text/plain", False), ("application/vnd.microsoft.card.adaptive", False),
    ("application/vnd.microsoft.teams.file.download.info", True), ("image/*", True), ("image/png", True),
    ("application/vnd.microsoft.card.hero", True)])
def test_what_counts_as_an_attachment(content_type, expected):
    incoming = activity("teams_message_personal_report",
                        attachments=[{"contentType": "text/html", "content": "<p>x</p>"},
                                     {"contentType": content_type, "content": {}}])
    assert parse.has_attachment(incoming) is expected
    assert parse.has_attachment(activity("teams_message_personal_report")) is False


def test_consultation_paths_key_requests_by_the_activity_id_only():
    turn = parse.turn(activity("teams_message_personal_report"), "ja")
    assert turn.activity_key == "teams:1485983408511"
    assert turn.actor.user_id not in turn.request_key and turn.actor.user_id not in turn.activity_key


def test_submit_without_our_form_id_is_malformed():
    with pytest.raises(parse.MalformedActivity):
        parse.dialog_submit(activity("teams_invoke_task_submit_report", value={"data": {"x": 1}}))


def test_acknowledge_click():
    click = parse.card_click(activity("teams_invoke_adaptive_card_acknowledge"))
    assert (click.action, click.value, click.refresh) == (ActionId.ACKNOWLEDGE, "1", False)


def test_refresh_and_foreign_verbs():
    refresh = {"action": {"type": "Action.Execute", "verb": "kasuhara.refresh", "data": {"incidentId": "4"}}}
    click = parse.card_click(activity("teams_invoke_adaptive_card_acknowledge", value=refresh))
    assert (click.action, click.refresh, click.value) == (None, True, "4")
    original = payload("teams_invoke_adaptive_card_acknowledge")["value"]
    original["action"]["verb"] = "someoneElses"
    assert parse.card_click(activity("teams_invoke_adaptive_card_acknowledge", value=original)).action is None


def test_references_post_new_messages_to_the_channel_root():
    incoming = activity("teams_message_channel_mention_bind")
    stored = references.reference_of(incoming, parse.turn(incoming, "ja").conversation)
    assert stored["conversation"]["id"] == CHANNEL and "activityId" not in stored
    assert stored["serviceUrl"] == incoming.service_url and stored["bot"]["id"] == incoming.recipient.id
    assert references.is_personal(references.load(stored)) is False


@pytest.mark.parametrize("name, changes, expected", [
    ("teams_conversation_update_bot_added_to_team", {}, True),
    ("teams_installation_update_add_to_team", {}, True),
    ("teams_installation_update_add_to_team", {"action": "remove"}, False),
    ("teams_conversation_update_member_removed", {}, True),  # someone left; the bot is still there
    ("teams_conversation_update_member_removed",
     {"membersRemoved": [{"id": "28:f5d48856-5b42-41a0-8c3a-c5f944b679b0"}]}, False),  # the bot was removed
    ("teams_invoke_task_fetch_report", {}, True),
    ("teams_message_personal_report", {"type": "typing"}, False),
])
def test_which_activities_refresh_a_reference(name, changes, expected):
    assert references.capturable(activity(name, **changes)) is expected
