"""A web consultation leaves no trace of the person: no IP address, passphrase or actor id stored or logged."""
from __future__ import annotations

import logging
import re
import sqlite3

from tests.adapters.slack.slack_fixtures import CONSULT, eventually, payload, posts_to
from tests.adapters.web.web_world import hidden_fields

CLIENT_IP = "198.51.100.77"  # the consulter's address as the reverse proxy reports it


def dump(url: str) -> str:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


async def test_a_whole_web_consultation_stores_and_logs_no_address_and_no_key(world, caplog):
    caplog.set_level(logging.DEBUG)
    headers = {"X-Forwarded-For": CLIENT_IP}
    start = await world.form("/consult", headers=headers)
    status, html, response_headers = await world.post("/consult/start", start, headers=headers)
    assert status == 200 and "Set-Cookie" not in response_headers
    code = re.search(r"C-[2-9A-Z]{4}", html).group(0)
    passphrase = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", html).group(0)
    fields = hidden_fields(html)
    assert fields["passphrase"] == passphrase  # carried in the page's forms, never in a URL or a cookie
    status, html, _ = await world.post("/consult/send", {**fields, "text": "店長に言えず困っています"}, headers=headers)
    assert status == 200 and "相談窓口に届けました" in html or code in html
    (relay,) = await eventually(lambda: [c for c in posts_to(world.slack, CONSULT) if "thread_ts" not in c.args],
                                runtime=world.runtime)
    assert "店長に言えず困っています" in str(relay.args["blocks"])
    answer = payload("slack_event_message_channel_thread_reply")
    answer["event"].update(channel=CONSULT, thread_ts=relay.response["ts"], text="お話を伺います")
    assert (await world.slack.send.event(answer)).status == 200
    await world.runtime.drain()
    status, html, _ = await world.post("/consult/open", {**hidden_fields(html), "code": code,
                                                          "passphrase": passphrase}, headers=headers)
    assert "お話を伺います" in html

    stored = dump(world.runtime.settings.database_url)
    # Our server runs without an access log (as `kasuhara serve` does); the only access log here is
    # the stand-in Slack's, which records our own requests to it.
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert code in stored  # the case is there (so the test can fail) …
    for text in (stored, logs):  # … but nothing that leads to the person or opens the case
        assert CLIENT_IP not in text and "127.0.0.1" not in text
        assert passphrase not in text and passphrase.replace("-", "") not in text
        assert "店長に言えず困っています" not in text
