"""Report → alert → acknowledge, through bot.app.build_runtime, signed HTTP and the stand-in."""
from __future__ import annotations

import logging
import sqlite3
import time

from slack_sdk.models.views import View

from adapters.slack import ids
from flows.i18n import Translator
from flows.model import IncidentStatus
from tests.adapters.slack.slack_fixtures import (
    buttons,
    STORE_CHANNEL,
    STORE_MANAGERS,
    eventually,
    incidents,
    payload,
    slash_command,
    submit_valid_report,
)


def alert_posts(world) -> list:
    return [c for c in world.standin.calls_to("chat.postMessage") if c.args["channel"] == STORE_MANAGERS]


async def test_report_command_opens_the_modal_with_the_trigger_id(world):
    fields = slash_command(world, "report")
    started = time.perf_counter()

    reply = await world.send.command(fields)
    (call,) = await world.standin.wait_for("views.open", timeout=3.0)  # a trigger_id lives 3 s

    assert reply.status == 200 and reply.text == ""
    assert call.at - started < 3.0
    assert call.token.startswith("xoxb-")
    assert call.args["trigger_id"] == fields["trigger_id"]
    view = call.args["view"]
    assert View(**view).to_dict() == view
    assert view["callback_id"] == ids.REPORT_CALLBACK
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"][:2] == ["occurred_at", "unit"]


async def test_japanese_command_word_opens_the_modal_too(world):
    reply = await world.send.command(slash_command(world, "報告"))
    assert reply.status == 200
    await world.standin.wait_for("views.open")


async def test_missing_required_fields_are_shown_in_the_modal_and_nothing_is_stored(world):
    reply = await world.send.interaction(payload("slack_view_submission_report_missing_required"))

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"description", "behaviours", "danger"}
    assert answer["errors"]["description"] == Translator("ja")("form.error.required")
    await world.runtime.drain()
    assert await incidents(world.runtime) == []
    assert world.standin.calls_to("chat.postMessage") == []


async def test_valid_report_confirms_in_the_modal_and_alerts_the_units_channel(world):
    reply = await submit_valid_report(world)

    answer = reply.json()
    assert answer["response_action"] == "update"
    assert View(**answer["view"]).to_dict() == answer["view"]
    assert answer["view"]["title"]["text"] == Translator("ja")("slack.confirm.title")
    (incident,) = await incidents(world.runtime)
    assert incident.level.name == "L2" and incident.unit_id == "store-1"
    assert incident.reporter.user_id == "U0REPORTER"

    (alert,) = await eventually(lambda: alert_posts(world), runtime=world.runtime)
    (button, change) = buttons(alert.args["blocks"])
    assert change["action_id"] == "kasuhara.change_level" and change["value"] == str(incident.id)
    assert button["action_id"] == "kasuhara.acknowledge" and button["value"] == str(incident.id)
    assert incident.case_no in alert.args["text"]
    posted = str(alert.args["blocks"])
    assert "&lt;!channel&gt;" in posted and "<!channel>" not in posted  # a report cannot ping a channel
    assert "面談を希望" not in posted  # feelings/support needs are HR-only, never in channel alerts


async def test_the_reporter_gets_the_confirmation_by_dm(world):
    await submit_valid_report(world)
    dms = await eventually(lambda: [c for c in world.standin.calls_to("chat.postMessage")
                                    if c.args["channel"] == "U0REPORTER"], runtime=world.runtime)
    (incident,) = await incidents(world.runtime)
    assert incident.case_no in str(dms[0].args["blocks"])


async def test_add_details_from_the_confirmation_replaces_the_modal_and_updates_the_case(world):
    confirmation = (await submit_valid_report(world)).json()["view"]
    (add_details,) = buttons(confirmation["blocks"])
    (incident,) = await incidents(world.runtime)

    click = payload("slack_block_actions_in_modal")
    click["actions"][0]["value"] = add_details["value"]
    assert (await world.send.interaction(click)).status == 200
    (update,) = await world.standin.wait_for("views.update")
    assert update.args["view_id"] == click["container"]["view_id"]  # no second modal stacked on top
    assert update.args["view"]["private_metadata"] == add_details["value"]
    assert world.standin.calls_to("views.open") == []

    details = payload("slack_view_submission_report")
    details["view"]["private_metadata"] = update.args["view"]["private_metadata"]
    details["view"]["state"]["values"]["prevention"]["kasuhara.field.prevention"]["value"] = "受付に呼出しボタンを設置"
    answer = (await world.send.interaction(details)).json()
    assert answer["response_action"] == "update"
    (completed,) = await incidents(world.runtime)
    assert completed.id == incident.id and completed.prevention == "受付に呼出しボタンを設置"


async def test_the_same_modal_submitted_twice_is_one_incident(world):
    first = await submit_valid_report(world)
    second = await submit_valid_report(world)

    assert first.json()["response_action"] == second.json()["response_action"] == "update"
    assert len(await incidents(world.runtime)) == 1
    await world.runtime.drain()
    assert len(alert_posts(world)) == 1


async def test_a_database_failure_keeps_the_modal_open_with_a_retry_message(world, tmp_path):
    with sqlite3.connect(tmp_path / "kasuhara.db") as db:  # the database breaks under the running bot
        db.execute("ALTER TABLE request_keys RENAME TO request_keys_gone")

    reply = await submit_valid_report(world)

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {"occurred_at": Translator("ja")("slack.error.save")}


async def acknowledge(world, incident_id: int, user_id: str, name: str):
    body = payload("slack_block_actions_acknowledge")
    body["actions"][0]["value"] = str(incident_id)
    body["user"].update(id=user_id, username=name, name=name)
    return await world.send.interaction(body)


async def test_acknowledge_updates_the_alert_and_a_second_click_changes_nothing(world):
    await submit_valid_report(world)
    (alert,) = await eventually(lambda: alert_posts(world), runtime=world.runtime)
    (incident,) = await incidents(world.runtime)

    reply = await acknowledge(world, incident.id, "U0MANAGER1", "suzuki")
    assert reply.status == 200
    (update,) = await eventually(lambda: world.standin.calls_to("chat.update"), runtime=world.runtime)

    (acked,) = await incidents(world.runtime)
    assert acked.status is IncidentStatus.ACKNOWLEDGED and acked.acknowledged_by == "suzuki"
    assert update.args["channel"] == STORE_MANAGERS
    assert update.args["ts"] == alert.response["ts"]
    assert "suzuki" in str(update.args["blocks"])
    # nothing left to click but a re-classification by a manager
    assert [b["action_id"] for b in buttons(update.args["blocks"])] == ["kasuhara.change_level"]

    again = await acknowledge(world, incident.id, "U0MANAGER2", "tanaka")
    assert again.status == 200
    (note,) = await world.standin.wait_for("chat.postEphemeral")
    assert note.args["user"] == "U0MANAGER2" and note.args["channel"] == STORE_MANAGERS
    assert "suzuki" in note.args["text"]
    await world.runtime.drain()
    assert len(world.standin.calls_to("chat.update")) == 1
    (still,) = await incidents(world.runtime)
    assert still.acknowledged_by == "suzuki" and still.acknowledged_at == acked.acknowledged_at


async def test_an_acknowledgement_that_cannot_be_stored_is_not_silent(world, tmp_path):
    await submit_valid_report(world)
    (incident,) = await incidents(world.runtime)
    with sqlite3.connect(tmp_path / "kasuhara.db") as db:
        db.execute("ALTER TABLE incidents RENAME TO incidents_gone")

    assert (await acknowledge(world, incident.id, "U0MANAGER1", "suzuki")).status == 200

    (note,) = await world.standin.wait_for("chat.postEphemeral")
    assert note.args["text"] == Translator("ja")("error.generic")


async def test_acknowledging_an_unknown_case_tells_the_clicker(world):
    reply = await acknowledge(world, 999, "U0MANAGER1", "suzuki")
    assert reply.status == 200
    (note,) = await world.standin.wait_for("chat.postEphemeral")
    assert note.args["text"] == Translator("ja")("ack.unknown")


async def test_report_posted_from_a_channel_never_leaks_into_that_channel(world):
    await world.send.command(slash_command(world, "report"))
    await submit_valid_report(world)
    await world.runtime.drain()
    assert [c for c in world.standin.calls_to("chat.postMessage") if c.args["channel"] == STORE_CHANNEL] == []


async def test_handling_a_request_leaves_our_own_log_levels_alone(world, caplog):
    # Bolt sets the level of the logger named after the app on every request; named "kasuhara",
    # it quieted our running-state lines and every kasuhara.* logger to WARNING.
    caplog.set_level(logging.INFO)
    ours = logging.getLogger("kasuhara")
    before = ours.level

    await world.send.command(slash_command(world, "report"))
    await world.standin.wait_for("views.open")
    logging.getLogger("kasuhara.serve").info("still heard")

    assert ours.level == before and ours.getEffectiveLevel() == logging.INFO
    assert "still heard" in caplog.text


def _slack_adapter(world):
    (slack,) = [a for a in world.runtime.adapters if hasattr(a, "routes")]
    return slack


async def test_a_report_whose_saving_outlasts_slacks_deadline_is_answered_then_confirmed_by_dm(world, tmp_path):
    """Another process (a CLI command, a backup) holds SQLite's write lock: the submission is
    answered before Slack gives up, the saving goes on, the confirmation comes by DM."""
    _slack_adapter(world).routes.incidents.ack_budget_s = 0.2  # Slack's 3 s, shortened for the test
    assert await incidents(world.runtime) == []  # the server has the database open (in WAL mode)
    holder = sqlite3.connect(tmp_path / "kasuhara.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        reply = await submit_valid_report(world)
        answered = time.perf_counter() - started
        assert reply.status == 200 and answered < 2.0  # the event loop was never blocked by the lock
        view = reply.json()["view"]
        assert reply.json()["response_action"] == "update" and view["callback_id"] == ids.PENDING_CALLBACK
        assert View(**view).to_dict() == view
        assert Translator("ja")("slack.pending.text") in str(view["blocks"])
        assert holder.execute("SELECT count(*) FROM incidents").fetchone() == (0,)  # still waiting for the lock
    finally:
        holder.execute("COMMIT")
        holder.close()
    dms = await eventually(lambda: [c for c in world.standin.calls_to("chat.postMessage")
                                    if c.args["channel"] == "U0REPORTER"], runtime=world.runtime)
    (incident,) = await incidents(world.runtime)
    assert incident.case_no in str(dms[0].args["blocks"])
    await eventually(lambda: alert_posts(world), runtime=world.runtime)


async def test_a_report_that_fails_after_the_answer_tells_the_reporter_by_dm(world, tmp_path, caplog):
    _slack_adapter(world).routes.incidents.ack_budget_s = 0.2
    assert await incidents(world.runtime) == []
    holder = sqlite3.connect(tmp_path / "kasuhara.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        reply = await submit_valid_report(world)
        assert reply.json()["view"]["callback_id"] == ids.PENDING_CALLBACK
        holder.execute("ALTER TABLE incidents RENAME TO incidents_lost")  # the database breaks meanwhile
    finally:
        holder.execute("COMMIT")
        holder.close()
    (dm,) = await eventually(lambda: [c for c in world.standin.calls_to("chat.postMessage")
                                      if c.args["channel"] == "U0REPORTER"])
    assert dm.args["text"] == Translator("ja")("slack.error.save_late")
    assert "U0REPORTER" not in caplog.text
