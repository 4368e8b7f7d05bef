"""Every start-up mistake of issue 12 gets one or two lines, exit code 2 and no traceback.

The commands run in this process (tests/bot/test_cli.run: the environment, working directory,
standard streams and logging of a fresh process); a new Python process would only add its
start-up time. The last test starts and stops the real `python -m bot.cli serve` process.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bot.test_cli import run as run_in_process
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
SECRET = TEST_KEY
STATE_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (INFO|WARNING) ")


def run(args, cwd, **env):
    """`kasuhara <args>` in English with only `env` of our variables set (in this process)."""
    return run_in_process(args, cwd, **{"KASUHARA_LANG": "en", **env})


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    return tmp_path


def slack_env(**extra):
    return {"KASUHARA_SECRET_KEY": SECRET, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
            "KASUHARA_HOST": "127.0.0.1", "SLACK_API_URL": "http://127.0.0.1:9/api/", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_short(result, *expected: str) -> str:
    """Exit code 2, each expected text, at most two lines, no traceback."""
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    for part in expected:
        assert part in text, text
    assert "Traceback" not in text
    # serve's running-state log lines (INFO/WARNING) may come first; the problem is the rest
    problem = [line for line in result.stderr.strip().splitlines() if not STATE_LINE.match(line)]
    assert len(problem) <= 2 and problem[0].startswith("kasuhara: "), result.stderr
    return text


def test_postgresql_that_is_down_is_one_line_without_the_password(workdir):
    url = f"postgresql://kas:S3cretPW@127.0.0.1:{free_port()}/kasuhara"
    for command in (["serve"], ["db", "upgrade"], ["incidents", "list"]):
        result = run(command, workdir, **slack_env(DATABASE_URL=url))
        text = assert_short(result, "cannot connect to PostgreSQL at 127.0.0.1:", "Fix: start the database server")
        assert "S3cretPW" not in text and "postgresql://kas:***@127.0.0.1" in text


def test_mysql_url_is_refused_with_what_to_use(workdir):
    result = run(["serve"], workdir, **slack_env(DATABASE_URL="mysql+pymysql://kas:S3cretPW@db/kasuhara"))
    text = assert_short(result, "MySQL/MariaDB is not supported", "postgresql://", "sqlite:///")
    assert "S3cretPW" not in text


def test_bad_sqlite_path_names_the_missing_directory(workdir):
    result = run(["serve"], workdir, **slack_env(DATABASE_URL="sqlite:////no/such/dir/kasuhara.db"))
    assert_short(result, "the directory /no/such/dir does not exist")


def test_not_a_database_url(workdir):
    result = run(["db", "upgrade"], workdir, **slack_env(DATABASE_URL="kasuhara.db"))
    assert_short(result, "DATABASE_URL=kasuhara.db is not a database URL")


def test_a_file_that_is_not_a_database(workdir):
    (workdir / "notes.db").write_text("hello, this is not SQLite\n" * 100)
    result = run(["serve"], workdir, **slack_env(DATABASE_URL=f"sqlite:///{workdir / 'notes.db'}"))
    assert_short(result, "notes.db is not an SQLite database")


def test_debug_log_level_shows_the_traceback(workdir):
    url = f"postgresql://kas:S3cretPW@127.0.0.1:{free_port()}/kasuhara"
    result = run(["db", "upgrade"], workdir, **slack_env(DATABASE_URL=url, LOG_LEVEL="DEBUG"))
    assert result.returncode == 2 and "Traceback" in result.stderr
    assert "S3cretPW" not in result.stderr  # redacted in the traceback text too


def test_port_in_use_says_which_and_how_to_fix(workdir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve"], workdir, **slack_env(PORT=str(port)))
    assert_short(result, f"port {port} on 127.0.0.1 is already in use", "set PORT to a free port")


def test_missing_secret_key(workdir):
    result = run(["serve"], workdir, **slack_env(KASUHARA_SECRET_KEY=""))
    assert result.returncode == 2 and "KASUHARA_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_weak_secret_key(workdir):
    result = run(["serve"], workdir, **slack_env(KASUHARA_SECRET_KEY="short"))
    assert result.returncode == 2 and "KASUHARA_SECRET_KEY is too weak (about" in result.stderr
    assert "kasuhara keys generate" in result.stderr


def test_serve_starts_says_what_runs_and_stops_gracefully(workdir):
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "KASUHARA_", "DATABASE_URL",
                                                                     "LOG_LEVEL"))}
    full.update({"PYTHONPATH": str(ROOT), "KASUHARA_LANG": "en", **slack_env(PORT=str(port)),
                 "DATABASE_URL": f"sqlite:///{workdir / 'k.db'}"})
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=workdir, env=full,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "listening on" in line:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    text = "".join(lines) + rest
    assert process.returncode == 0, text
    assert "kasuhara 0.1.0 (Python 3." in text
    assert f"database: sqlite:///{workdir / 'k.db'}" in text
    assert "platforms: Slack (HTTP mode, POST /slack/events)" in text
    assert f"policy: {workdir / 'kasuhara.yaml'} (2 units, Asia/Tokyo)" in text
    assert f"listening on http://127.0.0.1:{port}" in text
    # the manifest enables Socket Mode but no app token is set; the example's ids are still there
    assert "enables Socket Mode but SLACK_APP_TOKEN is not set" in text
    assert "still names the example's placeholder ids" in text
    assert "could not reach http://127.0.0.1:9/api/ to check the credentials" in text
    assert "stopping: no new requests" in text and text.rstrip().endswith("stopped")
    assert "Traceback" not in text
