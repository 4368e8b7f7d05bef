"""Socket Mode says what state it is in, one line per change, and retries with backoff."""
from __future__ import annotations

import asyncio
import logging
import shutil
import socket as socket_module
import time
from pathlib import Path

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from adapters.slack.notifier import web_client
from adapters.slack.socket import SocketModeSupervisor, sdk_logger

from tests.bot.test_cli import run
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[3]
BOT_TOKEN = "xoxb-1111-2222-abcdef"
APP_TOKEN = "xapp-1-A111-3333-abcdef"


def supervisor(api_url: str, sleep=asyncio.sleep, **timing) -> SocketModeSupervisor:
    client = web_client(BOT_TOKEN, api_url, sleep=sleep)
    app = AsyncApp(client=client, signing_secret=None, request_verification_enabled=False)
    handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=client, logger=sdk_logger())
    return SocketModeSupervisor(handler, **timing)


def state_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("kasuhara.slack.socket")]


async def eventually(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_connects_and_reconnects_after_the_connection_drops(standin, caplog):
    caplog.set_level(logging.INFO, logger="kasuhara.slack.socket")
    socket = supervisor(standin.api_url, first_delay=0.05, watch_every=0.05)
    socket.start()  # never waits for Slack
    try:
        await eventually(lambda: socket.connected)
        assert state_lines(caplog) == ["Slack Socket Mode: connecting", "Slack Socket Mode: connected"]
        await standin.wait_connected()
        await standin.sockets[-1].close()  # Slack drops the connection (it does, every few hours)
        await eventually(lambda: state_lines(caplog).count("Slack Socket Mode: connected") == 2)
        assert "Slack Socket Mode: connection lost; reconnecting" in state_lines(caplog)
        assert len(standin.calls_to("apps.connections.open")) == 2
    finally:
        await socket.stop()
    assert state_lines(caplog)[-1] == "Slack Socket Mode: disconnected"
    assert not any(r.exc_info for r in caplog.records)


async def test_unreachable_slack_is_retried_with_backoff_in_single_lines(caplog):
    caplog.set_level(logging.INFO, logger="kasuhara.slack.socket")
    client_waits = []

    async def recorded(seconds: float) -> None:  # the client's own retry after a refused connection (~1 s)
        client_waits.append(seconds)

    socket = supervisor("http://127.0.0.1:9/api/", sleep=recorded, first_delay=0.05, max_delay=0.2)
    socket.start()  # not fatal: the network may come back
    try:
        await eventually(lambda: len([m for m in state_lines(caplog) if "not connected" in m]) >= 4)
    finally:
        await socket.stop()
    failures = [m for m in state_lines(caplog) if "not connected" in m]
    assert all(m.startswith("Slack Socket Mode: not connected (") and "\n" not in m for m in failures)
    assert socket.delays[:4] == [0.05, 0.1, 0.2, 0.2]  # doubling up to the maximum
    assert len(client_waits) >= 4 and all(w > 0 for w in client_waits)  # each attempt: one retry of the client
    assert [m.rsplit("retrying in ", 1)[1] for m in failures[:4]] == ["0.05 s", "0.1 s", "0.2 s", "0.2 s"]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


async def test_a_token_revoked_while_running_is_one_line_per_retry(standin, caplog):
    standin.valid_tokens = {BOT_TOKEN}  # serve refused such a token at start; this one was revoked since
    socket = supervisor(standin.api_url, first_delay=0.05, max_delay=0.1)
    socket.start()
    try:
        await eventually(lambda: len(socket.delays) >= 2)
    finally:
        await socket.stop()
    rejected = [m for m in state_lines(caplog) if "rejected" in m]
    assert rejected[0] == "Slack Socket Mode: Slack rejected SLACK_APP_TOKEN (invalid_auth); retrying in 0.05 s"
    assert not any(r.exc_info for r in caplog.records)


def free_port() -> int:
    with socket_module.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workdir: Path, **env: str):
    """`kasuhara serve` in this process (tests/bot/test_cli.run); call it on a worker thread."""
    return run(["serve"], workdir, **{"KASUHARA_LANG": "en", "KASUHARA_SECRET_KEY": TEST_KEY, "PORT": str(free_port()),
                                      **env})


async def test_serve_refuses_a_rejected_bot_token_in_one_line(standin, tmp_path):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    standin.valid_tokens = {BOT_TOKEN, APP_TOKEN}
    result = await asyncio.to_thread(serve, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked", SLACK_APP_TOKEN=APP_TOKEN,
                                     SLACK_API_URL=standin.api_url)
    assert result.returncode == 2, result.stderr
    assert "kasuhara: SLACK_BOT_TOKEN was rejected by the platform (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr and "xoxb-revoked" not in result.stderr


async def test_serve_refuses_a_rejected_app_token_in_one_line(standin, tmp_path):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    standin.valid_tokens = {BOT_TOKEN}
    result = await asyncio.to_thread(serve, tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-old",
                                     SLACK_API_URL=standin.api_url)
    assert result.returncode == 2, result.stderr
    assert "kasuhara: SLACK_APP_TOKEN was rejected by the platform (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert "platforms: Slack (Socket Mode)" in result.stderr
