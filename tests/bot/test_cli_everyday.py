"""The CLI as an operator meets it daily: their language, no library chatter, local times,
empty results that say so, a .env file, and backups that restore."""
from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot import cli
from bot.console import cli_locale

from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
SECRET = TEST_KEY
CLEARED = ("LANG", "LC_ALL", "LC_MESSAGES", "KASUHARA_LANG", "LOG_LEVEL", "DATABASE_URL", "KASUHARA_CONFIG",
           "KASUHARA_SECRET_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
           "TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "KASUHARA_TEAMS_LOCAL_DEV")


@pytest.fixture
def shell(tmp_path, monkeypatch, capsys):
    """Run `kasuhara …` in-process in a fresh directory; return (exit code, stdout, stderr)."""
    for name in CLEARED:  # setenv first so that monkeypatch also removes what .env adds
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KASUHARA_SECRET_KEY", SECRET)  # the key the test databases are sealed with
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    vendor = {name: logging.getLogger(name).level for name in cli.VENDOR_LOGGERS}  # main quiets them

    def run(*argv: str, **env: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    root.setLevel(level)
    root.handlers[:] = handlers
    for name, saved in vendor.items():
        logging.getLogger(name).setLevel(saved)


def test_locale_choice():
    assert cli_locale({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert cli_locale({"LANG": "en_US.UTF-8"}) == "en"
    assert cli_locale({"LANG": "de_DE.UTF-8"}) == "en"  # no German catalog: English
    assert cli_locale({"LANG": "C.UTF-8"}) == "ja" and cli_locale({}) == "ja"  # Japanese first
    assert cli_locale({"LC_ALL": "en_GB.UTF-8", "LANG": "ja_JP.UTF-8"}) == "en"
    assert cli_locale({"KASUHARA_LANG": "ja", "LC_ALL": "en_US.UTF-8"}) == "ja"


def test_help_follows_the_locale_and_kasuhara_lang(shell):
    code, out, _ = shell("--help", LANG="ja_JP.UTF-8")
    assert code == 0 and "使い方: kasuhara" in out and "起動せずに環境変数" in out and "コマンド:" in out
    code, out, _ = shell("--help", LANG="ja_JP.UTF-8", KASUHARA_LANG="en")
    assert code == 0 and "usage: kasuhara" in out and "check the environment" in out
    code, out, _ = shell("incidents", "--help", KASUHARA_LANG="ja")
    assert code == 0 and out.startswith("使い方: kasuhara incidents")  # a parser another module adds
    code, out, _ = shell("db", "--help", KASUHARA_LANG="ja")
    assert code == 0 and "backup" in out and "稼働中のまま" in out
    code, out, _ = shell("check-config", "--help", KASUHARA_LANG="en")
    assert "--strict" in out and "treat warnings as errors" in out and "--online" in out


def test_a_usage_mistake_is_explained_in_japanese(shell):
    code, _, err = shell("incidents", "lst", KASUHARA_LANG="ja")
    assert code == 2 and "使い方:" in err and "kasuhara incidents: エラー:" in err


def test_commands_are_quiet_and_the_url_is_shown_without_library_lines(shell, tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    code, out, err = shell("db", "upgrade", KASUHARA_LANG="en", DATABASE_URL=url)
    from storage.migrate import head_revision

    assert code == 0 and out.strip() == f"✓ {url}: schema at {head_revision(url)}"
    assert err == ""  # no alembic "Context impl" / "Running upgrade" lines


def test_an_empty_list_says_so(shell, tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    code, out, err = shell("incidents", "list", DATABASE_URL=url)  # the example policy's locale: ja
    assert code == 0 and "条件に合う事案はありません。" in out


def seed(url: str, at: datetime, description: str = "x") -> None:
    """One L2 incident reported at `at` (UTC), through the real flows and database."""
    from bot.policy_file import load_policy
    from flows.model import Actor, Platform
    from flows.app import Flows
    from flows.deps import Dependencies
    from storage.keys import open_keys
    from storage.db import Database
    from tests.fakes import FakeClock

    async def report():
        database = Database(url, open_keys(url, SECRET))
        flows = Flows(Dependencies(load_policy(ROOT / "kasuhara.example.yaml"), database, FakeClock(at)))
        raw = {"occurred_at": str(int(at.timestamp()) - 60), "unit": "chuo", "channel": "phone",
               "description": description, "behaviours": ["abuse"], "danger": "none"}
        out = await flows.incidents.submit_report(Actor(Platform.SLACK, "U1"), raw, locale="ja", request_key=description)
        assert not out.errors, out.errors
        await database.close()

    asyncio.run(report())


def test_times_are_shown_in_the_policy_timezone(shell, tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert shell("db", "upgrade", DATABASE_URL=url)[0] == 0
    seed(url, datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc))
    code, out, _ = shell("incidents", "list", KASUHARA_LANG="en", DATABASE_URL=url)
    assert code == 0 and "\t2026-01-01 09:05\t" in out
    policy = tmp_path / "kasuhara.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("timezone: Asia/Tokyo", "timezone: Europe/London"))
    code, out, _ = shell("incidents", "list", DATABASE_URL=url)
    assert "\t2026-01-01 00:05\t" in out


def test_a_dotenv_file_in_the_working_directory_is_read(shell, tmp_path):
    (tmp_path / ".env").write_text(
        f"KASUHARA_SECRET_KEY={SECRET}\nSLACK_BOT_TOKEN=xoxb-1-2-abc\nSLACK_SIGNING_SECRET=0123abcd\n"
        "SLACK_APP_TOKEN=xapp-1-A1-2-abc\nKASUHARA_LANG=en\n", encoding="utf-8")
    code, out, _ = shell("check-config")
    assert "✓ read: 2 units" in out  # English: KASUHARA_LANG came from .env
    assert "KASUHARA_SECRET_KEY" not in out and "neither Slack nor Teams" not in out
    code, out, _ = shell("check-config", KASUHARA_SECRET_KEY="short")  # the real environment wins
    assert "KASUHARA_SECRET_KEY is too weak" in out


def test_backup_while_running_and_restore_round_trip(shell, tmp_path):
    url = f"sqlite:///{tmp_path / 'kasuhara.db'}"
    assert shell("db", "upgrade", DATABASE_URL=url)[0] == 0
    seed(url, datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc), "first")
    assert shell("audit", "anchor", DATABASE_URL=url)[0] == 0  # as the running bot does hourly
    reader = sqlite3.connect(tmp_path / "kasuhara.db")  # the bot is reading: the backup is online
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM incidents").fetchone()
    code, out, err = shell("db", "backup", "--out", str(tmp_path / "backup.db"), KASUHARA_LANG="en", DATABASE_URL=url)
    reader.rollback()
    reader.close()
    assert code == 0, err
    assert f"backup written: {tmp_path / 'backup.db'}" in out
    seed(url, datetime(2026, 1, 2, 0, 5, tzinfo=timezone.utc), "second")
    assert shell("audit", "anchor", DATABASE_URL=url)[0] == 0  # an anchor the backup predates
    assert len(json.loads(shell("incidents", "list", "--json", DATABASE_URL=url)[1])) == 2

    code, out, err = shell("db", "restore", str(tmp_path / "backup.db"), KASUHARA_LANG="en", DATABASE_URL=url)
    assert code == 0, err and "restored from" in out
    [only] = json.loads(shell("incidents", "list", "--json", DATABASE_URL=url)[1])
    assert only["created"].startswith("2026-01-01")
    [kept] = list(tmp_path.glob("kasuhara-before-restore-*.db"))
    assert str(kept) in out
    with sqlite3.connect(kept) as before:
        assert before.execute("SELECT count(*) FROM incidents").fetchone() == (2,)
    verified = shell("audit", "verify", DATABASE_URL=url)
    assert verified[0] == 0, verified  # the restored chain is whole
    export = json.loads(shell("incidents", "export", DATABASE_URL=url, KASUHARA_SECRET_KEY=SECRET)[1])
    assert export[0]["description"] == "first"


def test_restore_refuses_a_file_that_is_not_a_backup(shell, tmp_path):
    url = f"sqlite:///{tmp_path / 'kasuhara.db'}"
    (tmp_path / "notes.db").write_text("not a database")
    code, _, err = shell("db", "restore", str(tmp_path / "notes.db"), KASUHARA_LANG="en", DATABASE_URL=url)
    assert code == 2 and "is not a kasuhara database backup" in err
    assert not (tmp_path / "kasuhara.db").exists()


def test_backup_of_postgresql_points_to_pg_dump(shell):
    code, _, err = shell("db", "backup", KASUHARA_LANG="en", DATABASE_URL="postgresql://kas:pw@127.0.0.1:1/k")
    assert code == 2 and "pg_dump" in err and "pw@" not in err


def test_socket_mode_alone_listens_on_this_machine_only():
    from bot.config import Settings

    socket_only = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    assert Settings.from_env(socket_only).host == "127.0.0.1"
    assert Settings.from_env({**socket_only, "TEAMS_APP_ID": "a", "TEAMS_APP_PASSWORD": "p"}).host == "0.0.0.0"
    assert Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}).host == "0.0.0.0"
    assert Settings.from_env({**socket_only, "KASUHARA_HOST": "0.0.0.0"}).host == "0.0.0.0"
