"""The local try-out: `kasuhara serve` with no credentials, seen in a browser, and its limits."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config import Settings
from bot.tryout import open_tryout, to_web_inboxes, tryout_allowed
from flows.model import Platform
from tests.adapters.slack.slack_fixtures import eventually, incidents, serve

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_try_out_never_starts_when_credentials_are_set():
    assert tryout_allowed(Settings.from_env({}))
    assert not tryout_allowed(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}))
    assert not tryout_allowed(Settings.from_env({"TEAMS_APP_ID": "id"}))
    assert not tryout_allowed(Settings.from_env({"KASUHARA_TEAMS_LOCAL_DEV": "1"}))


def test_every_target_of_the_try_out_is_a_role_inbox():
    from bot.policy_file import load_policy

    policy = to_web_inboxes(load_policy(ROOT / "kasuhara.example.yaml"))
    targets = {t for u in policy.units for ts in u.targets.values() for t in ts}
    assert targets and all(t.platform is Platform.WEB for t in targets)
    assert any(t.address == "honsha/field_manager" for t in targets)


async def test_the_try_out_inbox_shows_an_alert_and_acknowledges_it(tmp_path, browser, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no policy file here: the example policy is used
    runtime, _, source = await open_tryout(Settings.from_env({"PORT": "3978"}), tmp_path)
    assert source.name == "kasuhara.example.yaml"
    runner, base = await serve(runtime.web_app)
    await runtime.start()
    try:
        await browser.get(base + "/")
        text = await browser.text()
        assert "お試しモード" in text and "役割ごとの受信箱" in text
        await browser.click_text("報告する", tag="a")  # the first unit: 本社
        await browser.check("input[name=channel][value=phone]")
        await browser.fill("#f-description", "電話で1時間近く怒鳴り続けた")
        await browser.check("input[name=behaviours][value=abuse]")
        await browser.check("input[name=danger][value=none]")
        await browser.click("#main form button[type=submit]")
        assert "報告を受け付けました" in await browser.text()
        (incident,) = await incidents(runtime)

        await browser.get(base + "/tryout/inbox/honsha/field_manager")
        for _ in range(50):  # the outbox delivers within a second
            await runtime.drain()
            await browser.get(base + "/tryout/inbox/honsha/field_manager")
            if incident.case_no in await browser.text():
                break
        text = await browser.text()
        assert incident.case_no in text and "確認して対応する" in text
        await browser.screenshot("tryout-inbox")
        await browser.screenshot("web-tryout-inbox", full=False)
        await browser.click_text("確認して対応する")
        await runtime.drain()
        await browser.get(base + "/tryout/inbox/honsha/field_manager")
        text = await browser.text()
        assert "確認して対応する" not in text and "確認" in text
        (incident,) = await incidents(runtime)
        assert incident.acknowledged_at is not None
    finally:
        await runner.cleanup()
        await runtime.stop()


def test_kasuhara_serve_without_credentials_starts_the_labelled_try_out_on_localhost(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "KASUHARA_", "DATABASE_URL"))}
    env.update(PORT=str(port), KASUHARA_HOST="0.0.0.0", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "http://127.0.0.1" in line:
                break
        output = "".join(lines)
        assert "お試しモード" in output and "LOCAL TRY-OUT" in output, output
        url = re.search(r"http://127\.0\.0\.1:\d+/", output).group(0)
        assert url == f"http://127.0.0.1:{port}/"  # 127.0.0.1 whatever KASUHARA_HOST says
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert response.url.endswith("/tryout") and "お試しコンソール" in page
        assert not list(tmp_path.glob("*.db"))  # nothing left in the working directory
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
