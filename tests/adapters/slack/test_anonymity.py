"""After a consultation through Slack, nothing at rest and no log line names the employee.

Everything runs for real (signed requests, bolt, the outbox, SQLite) with every logger at
DEBUG, where bolt and slack_sdk would print whole payloads and Web API arguments.
"""
from __future__ import annotations

import json
import logging
import sqlite3

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.notifier import SlackNotifier, web_client
from flows.cards import Card
from tests.adapters.slack.slack_fixtures import CONSULT, buttons, eventually, open_world, payload, posts_to
from tests.adapters.slack.slack_signing import BOT_TOKEN
from tests.fakes import FakeClock

EMPLOYEE, NAME, DM = "U0EMPLOYEE1", "takahashi", "D0EMPLOYEE1"
GIVEN_NAME = "高橋"  # given to the desk with consent: sealed at rest, never logged
WORDS = "毎晩電話があり眠れません"  # the consultation's content: sealed at rest, never logged


def dump(path) -> str:
    """Every row of every table, as SQL."""
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


class Employee:
    """The employee's side: signed DMs and button clicks, each payload kept for the final check."""

    def __init__(self, world):
        self.world = world
        self.sent: list[dict] = []

    async def write(self, text: str, event_id: str, name: str = "slack_event_message_im", **event) -> None:
        body = payload(name)
        body["event"].update(user=EMPLOYEE, channel=DM, text=text, **event)
        body["event_id"] = event_id
        self.sent.append(body)
        assert (await self.world.send.event(body)).status == 200

    async def press(self, action: str, value: str, trigger: str) -> None:
        body = payload("slack_block_actions_in_dm")
        body["actions"][0].update(action_id=f"kasuhara.{action}", value=value)
        body["trigger_id"] = trigger
        self.sent.append(body)
        assert (await self.world.send.interaction(body)).status == 200

    async def give_name(self, code: str) -> None:
        body = payload("slack_view_submission_consult_reveal")
        body["view"]["private_metadata"] = code
        body["view"]["state"]["values"]["name"]["kasuhara.field.name"]["value"] = GIVEN_NAME
        self.sent.append(body)
        assert (await self.world.send.interaction(body)).json()["response_action"] == "update"


async def a_whole_consultation(world, standin, clock) -> None:
    employee = Employee(world)
    await employee.write("相談", "EvA1")
    (offer,) = await eventually(lambda: posts_to(world, DM))
    await employee.press("consult_start", buttons(offer.args["blocks"])[0]["value"], "1.2.start")
    started = await eventually(lambda: posts_to(world, DM)[1:])
    code = next(b["value"] for b in buttons(started[0].args["blocks"]) if b["action_id"] == "kasuhara.consult_close")
    await employee.write(f"<@{EMPLOYEE}> です。{WORDS}", "EvA2")
    await employee.write("録音です", "EvA3", name="slack_event_message_im_file_share")
    await employee.write("スレッドでも書きます", "EvA4", thread_ts=started[0].response["ts"])
    relay, _ = await eventually(lambda: posts_to(world, CONSULT)[:2] if len(posts_to(world, CONSULT)) >= 2 else None,
                                runtime=world.runtime)

    answer = payload("slack_event_message_channel_thread_reply")
    answer["event"].update(channel=CONSULT, thread_ts=relay.response["ts"])
    await world.send.event(answer)
    await eventually(lambda: [c for c in posts_to(world, CONSULT) if c.args.get("thread_ts")])
    standin.fail_once("chat.postMessage", "internal_error")  # the answer's first delivery fails: retried
    await world.runtime.drain()
    clock.advance(seconds=30)
    await eventually(lambda: posts_to(world, EMPLOYEE), runtime=world.runtime)

    await employee.press("consult_reveal", code, "1.2.reveal")
    await standin.wait_for("views.open")
    await employee.give_name(code)
    await employee.press("consult_close", code, "1.2.close")
    await eventually(lambda: len(posts_to(world, CONSULT)) >= 4, runtime=world.runtime)  # 2 relays, name, closed
    return employee.sent


async def test_no_table_and_no_log_line_names_the_employee(tmp_path, standin, caplog):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every SQL statement, too
    caplog.set_level(logging.DEBUG)  # before the app exists: bolt copies the root level into its loggers
    clock = FakeClock()
    world, close = await open_world(tmp_path, standin, clock=clock)
    try:
        inbound = await a_whole_consultation(world, standin, clock)
    finally:
        await close()
    at_rest = dump(tmp_path / "kasuhara.db")
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)

    # The test can fail: the id came in, the DM was answered, logging was at DEBUG, the desk got the words.
    assert EMPLOYEE in json.dumps(inbound) and NAME in json.dumps(inbound) and DM in json.dumps(inbound)
    assert caplog.handler.level == logging.DEBUG == logging.getLogger().level and "INSERT INTO outbox" in logs
    assert "consultation_link_erased" not in at_rest and "consultation_closed" in at_rest
    assert WORDS in str([c.args for c in posts_to(world, CONSULT)])
    for secret in (EMPLOYEE, NAME, DM, GIVEN_NAME, WORDS, "F0FILE0001"):
        assert secret not in at_rest, secret
        assert secret not in logs, secret


async def test_the_slack_sdk_logs_web_api_arguments_at_debug_unless_given_our_logger(standin, caplog):
    caplog.set_level(logging.DEBUG)
    vendor = logging.getLogger("slack_sdk")
    configured = vendor.level
    vendor.setLevel(logging.NOTSET)  # as before any Slack app was built in this process
    try:
        card = Card(title="相談窓口からの返信")
        await SlackNotifier(AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url)).send_private(EMPLOYEE, card)
        assert EMPLOYEE in caplog.text  # what the quiet logger prevents
        caplog.clear()
        await SlackNotifier(web_client(BOT_TOKEN, standin.api_url)).send_private(EMPLOYEE, card)
        assert EMPLOYEE not in caplog.text
    finally:
        vendor.setLevel(configured)
    assert len(standin.calls_to("chat.postMessage")) == 2


async def test_bolt_and_the_web_client_never_log_below_warning(tmp_path, standin, caplog):
    caplog.set_level(logging.DEBUG)
    world, close = await open_world(tmp_path, standin)
    try:
        (slack,) = [a for a in world.runtime.adapters if hasattr(a, "app")]  # the web pages are an adapter too
        assert slack.app.logger.level == logging.WARNING
        assert slack.client.logger.level == logging.WARNING
        assert logging.getLogger("slack_sdk.webhook.async_client").getEffectiveLevel() == logging.WARNING
    finally:
        await close()
