"""`kasuhara check-config --online` and start-up against Microsoft's stand-in services."""
from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from tests.adapters.teams.teams_harness import ALERT_CHANNEL, APP_ID, HR_CHANNEL, PASSWORD, POLICY, install_in_team

from tests.bot.test_cli import run
from tests.keys import TEST_KEY



async def kasuhara(*args: str, cwd: Path, **env: str) -> tuple[int, str]:
    """`kasuhara <args>` with only `env` of our variables set: its exit code, stdout and stderr.

    In this process (tests/bot/test_cli.run), on a worker thread: the stand-ins answer on this loop.
    """
    result = await asyncio.to_thread(run, list(args), cwd, **{"KASUHARA_LANG": "en", **env})
    return result.returncode, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def teams_env(tmp_path: Path, microsoft, **extra: str) -> dict[str, str]:
    return {"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": PASSWORD, "KASUHARA_SECRET_KEY": TEST_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'kasuhara.db'}", "KASUHARA_CONFIG": str(POLICY),
            **microsoft.env(), **extra}


async def test_online_gets_a_token_and_asks_about_each_stored_conversation(world, tmp_path):
    await install_in_team(world)  # the field manager's channel: the bot is there
    await install_in_team(world, HR_CHANNEL)
    world.microsoft.removed_from.add(HR_CHANNEL)  # … and was removed from HR's team since
    code, out = await kasuhara("check-config", "--online", cwd=tmp_path, **teams_env(tmp_path, world.microsoft))
    assert code == 1, out
    assert "a Bot Connector token was obtained" in out
    assert f"hr: Teams conversation {HR_CHANNEL} no longer accepts the bot (HTTP 403)" in out
    assert "`bind hr`" in out
    assert f"field_manager: Teams conversation {ALERT_CHANNEL}" not in out
    assert "19:exec000000000000000000000000000a@thread.tacv2 has no stored conversation" in out  # offline check
    assert world.microsoft.counts.get("token", 0) >= 1
    assert "Traceback" not in out


async def test_online_says_when_microsoft_refuses_the_secret(microsoft, tmp_path):
    code, out = await kasuhara("check-config", "--online", cwd=tmp_path,
                               **teams_env(tmp_path, microsoft, TEAMS_APP_PASSWORD="expired-secret"))
    assert code == 1
    assert "Microsoft refused a token for the bot" in out and "invalid_client" in out
    assert "expired-secret" not in out and "Traceback" not in out


async def test_serve_refuses_a_rejected_teams_secret_in_one_line(microsoft, tmp_path):
    code, out = await kasuhara("serve", cwd=tmp_path,
                               **teams_env(tmp_path, microsoft, TEAMS_APP_PASSWORD="expired-secret",
                                           KASUHARA_HOST="127.0.0.1", PORT=str(free_port())))
    assert code == 2, out
    assert "kasuhara: TEAMS_APP_PASSWORD was rejected by the platform" in out and "invalid_client" in out
    assert "Traceback" not in out and "expired-secret" not in out
