"""The `kasuhara` command, run as a newcomer would run it.

Commands run in this process (bot.cli.main with the environment, working directory and
standard streams of a fresh process); one smoke test starts the real `kasuhara` script.
"""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import cli
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
OURS = ("SLACK_", "TEAMS_", "KASUHARA_", "DATABASE_URL", "LOG_LEVEL")
IN_PROCESS_TIMEOUT_S = 60  # a command that should end but does not (say, a `serve` that starts) fails


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(args, cwd, **env) -> Result:
    """`kasuhara <args>` in `cwd`, with only `env` of our variables set, in this process.

    It gets what a new process would: its own environment, working directory, standard
    streams and logging set-up (main's logging.basicConfig writes to its stderr); all of
    it is put back afterwards. In the main thread a command still running after
    IN_PROCESS_TIMEOUT_S is interrupted (TimeoutError), as the timeout of a child process would.
    """
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_vendor = {name: logging.getLogger(name).level for name in cli.VENDOR_LOGGERS}
    # Our own logger as a new process has it: bolt sets the level of the logger named after the
    # app ("kasuhara") on every request, so earlier tests that served Slack here leave it at WARNING.
    ours = logging.getLogger("kasuhara")
    saved_ours = ours.level, ours.handlers[:], ours.filters[:]
    try:
        ours.handlers, ours.filters = [], []
        ours.setLevel(logging.NOTSET)
        for name in [k for k in os.environ if k.startswith(OURS)]:
            del os.environ[name]
        os.environ.update(env)
        os.chdir(cwd)
        root.handlers = []
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _deadline(IN_PROCESS_TIMEOUT_S):
            try:
                code = cli.main(list(args))
            except SystemExit as exit:  # argparse errors
                code = exit.code
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, root.level = saved_handlers, saved_level
        for name, level in saved_vendor.items():
            logging.getLogger(name).setLevel(level)
        ours.handlers, ours.filters = saved_ours[1], saved_ours[2]
        ours.setLevel(saved_ours[0])
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise TimeoutError in the main thread after `seconds` (SIGALRM); elsewhere nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"the command was still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    return tmp_path


def env_ok(**extra):
    return {"KASUHARA_SECRET_KEY": TEST_KEY, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
            "SLACK_APP_TOKEN": "xapp-test", "KASUHARA_LANG": "en", **extra}


def edit_example(path: Path) -> None:
    """Replace the example's placeholder ids as an operator would."""
    text = path.read_text(encoding="utf-8")
    for placeholder, real in (("U0ADMIN", "U07QX3K2M9A"), ("C0", "C07QX3K2"), ("C1", "C08RZ4L3")):
        text = text.replace(placeholder, real)
    path.write_text(text, encoding="utf-8")


def test_check_config_accepts_an_edited_example(workdir):
    edit_example(workdir / "kasuhara.yaml")
    result = run(["check-config"], workdir, **env_ok())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 units" in result.stdout and "no problems found" in result.stdout


def test_check_config_names_file_key_and_fix_for_a_bad_policy(workdir):
    path = workdir / "kasuhara.yaml"
    path.write_text(path.read_text().replace("then: [division_head]}", "then: [boss]}"))
    result = run(["check-config"], workdir, **env_ok())
    assert result.returncode == 1
    assert "kasuhara.yaml: escalation.L2.then[0]: unknown role 'boss'. Fix:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_config_reports_teams_targets_the_bot_cannot_reach(workdir):
    path = workdir / "kasuhara.yaml"
    path.write_text(path.read_text().replace("hr:            {slack: [C0HR]}",
                                             'hr:            {slack: [C0HR], teams: ["19:abc@thread.tacv2"]}'))
    result = run(["check-config"], workdir, **env_ok(TEAMS_APP_ID="id", TEAMS_APP_PASSWORD="pw",
                                                    TEAMS_APP_TENANT_ID="72f988bf-86f1-41af-91ab-2d7cd011db47"))
    assert result.returncode == 1
    assert "19:abc@thread.tacv2" in result.stdout and "bind hr" in result.stdout


def test_serve_refuses_to_start_with_a_bad_policy_and_says_why(workdir):
    (workdir / "kasuhara.yaml").write_text("units: []\n")
    result = run(["serve"], workdir, **env_ok())
    assert result.returncode == 2 and "units: at least one unit is required" in result.stderr


def test_serve_refuses_teams_without_credentials(workdir):
    result = run(["serve"], workdir, **env_ok(TEAMS_APP_ID="only-the-id"))
    assert result.returncode == 2 and "TEAMS_APP_PASSWORD" in result.stderr


def test_db_upgrade_then_incidents_list_json(workdir):
    url = f"sqlite:///{workdir / 'k.db'}"
    assert run(["db", "upgrade"], workdir, **env_ok(DATABASE_URL=url)).returncode == 0
    asyncio.run(seed(url))
    result = run(["incidents", "list", "--json"], workdir, **env_ok(DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["unit"] == "chuo" and row["level"] == "L2" and row["status"] == "acknowledged"
    assert row["created"].startswith("20") and row["acknowledged"] and row["id"] == 1

    export = run(["incidents", "export"], workdir, **env_ok(DATABASE_URL=url))
    [record] = json.loads(export.stdout)
    assert [h["action"] for h in record["history"]][:3] == ["reported", "alerted", "acknowledged"]
    assert record["description"] == "x" and "feelings_support" not in record
    sensitive = run(["incidents", "export", "--include-sensitive"], workdir, **env_ok(DATABASE_URL=url))
    assert json.loads(sensitive.stdout)[0]["feelings_support"] == "眠れない"
    assert run(["audit", "anchor"], workdir, **env_ok(DATABASE_URL=url)).returncode == 0
    verified = run(["audit", "verify"], workdir, **env_ok(DATABASE_URL=url))
    assert verified.returncode == 0, verified.stderr
    import sqlite3
    with sqlite3.connect(workdir / "k.db") as connection:
        connection.execute("UPDATE audit_events SET actor = 'someone else' WHERE action = 'acknowledged'")
    tampered = run(["audit", "verify"], workdir, **env_ok(DATABASE_URL=url))
    assert tampered.returncode == 1 and "altered" in tampered.stderr


async def seed(url: str) -> None:
    """One acknowledged L2 incident with sensitive text, stored through the flows."""
    from bot.clock import SystemClock
    from bot.policy_file import load_policy
    from flows.model import Actor, Platform
    from flows.app import Flows
    from flows.deps import Dependencies
    from storage.db import Database
    from storage.keys import open_keys

    db = Database(url, open_keys(url, TEST_KEY))
    flows = Flows(Dependencies(load_policy(ROOT / "kasuhara.example.yaml"), db, SystemClock()))
    raw = {"occurred_at": str(int(time.time()) - 60), "unit": "chuo", "channel": "phone",
           "description": "x", "behaviours": ["abuse"], "danger": "none", "feelings_support": "眠れない"}
    out = await flows.incidents.submit_report(Actor(Platform.SLACK, "U1"), raw, locale="ja", request_key="k")
    assert not out.errors, out.errors
    await flows.incidents.acknowledge(out.incident.id, Actor(Platform.SLACK, "U2", "m"),
                                      where=out.incident.snapshot.first[0].target.address)  # the alert channel
    await db.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kasuhara_script() -> str:
    """The installed `kasuhara` console script (pip install -e . puts it beside python)."""
    script = shutil.which("kasuhara", path=str(Path(sys.executable).parent)) or shutil.which("kasuhara")
    assert script, "the kasuhara console script is not installed: run pip install -e '.[test]'"
    return script


def test_serve_creates_the_database_and_answers_healthz(workdir):
    """The smoke test: the real console script in a new process creates the schema and serves."""
    port = _free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    full.update(env_ok(PORT=str(port), KASUHARA_HOST="127.0.0.1", SLACK_API_URL="http://127.0.0.1:9/api/",
                       PYTHONPATH=str(ROOT)))
    process = subprocess.Popen([kasuhara_script(), "serve"], cwd=workdir, env=full,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(300):  # the machine is shared: start-up can take a while
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.1)
        if body is None:  # reading stdout of a running server would block: stop it first
            process.terminate()
            raise AssertionError(process.communicate(timeout=15)[0])
        # Slack is unreachable here (port 9): reported, not fatal (200; reports are still recorded).
        assert body["status"] in ("ok", "degraded") and body["database"] == "ok", body
        assert (body["slack"], body["teams"]) == (True, False) and "slack" in body["platforms"], body
        assert (workdir / "kasuhara.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_logs_stay_free_of_sql_at_the_default_level(workdir):
    result = run(["check-config"], workdir, **env_ok(LOG_LEVEL="INFO"))
    assert "sqlalchemy.engine" not in result.stderr and "PRAGMA" not in result.stderr


def test_check_config_reports_environment_problems_alone(workdir):
    result = run(["check-config"], workdir, KASUHARA_LANG="en")
    assert result.returncode == 1 and "KASUHARA_SECRET_KEY" in result.stdout
    assert "not configured" not in result.stdout  # no pile of delivery warnings that repeat the problem
