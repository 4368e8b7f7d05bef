"""`kasuhara check-config --online` against the Slack stand-in, run as a newcomer runs it."""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.bot.test_cli import run
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[3]
GOOD_SECRET = TEST_KEY
GOOD_TOKEN = "xoxb-1111-2222-abcdefghijklmnopqrstuvwx"
GOOD_APP_TOKEN = "xapp-1-A111-3333-abcdef"

POLICY = """
timezone: Asia/Tokyo
admins: {slack: [UADMIN01, UGONE001, UNOBODY1]}
units:
  - id: honsha
    name: 本社
    targets:
      field_leader:  {slack: [CFIELD01]}
      field_manager: {slack: [COUTSIDE]}
      division_head: {slack: [CPUBLIC1]}
      hr:            {slack: [CHR00001]}
      legal:         {slack: [COLD0001]}
      executives:    {slack: [CMISSING]}
      crisis:        {slack: [CFIELD01]}
      consultation:  {slack: [CHR00001]}
escalation:
  L1: {notify: [field_leader], ack_within: 60m, then: [field_manager]}
  L2: {notify: [field_manager], ack_within: 15m, then: [division_head]}
  L3: {notify: [division_head, hr, legal], ack_within: 15m, then: [executives]}
  L4: {notify: [field_manager, executives, crisis], ack_within: 5m, then: [executives]}
"""


async def check_config(workdir: Path, *args: str, **env: str) -> tuple[int, str]:
    """`kasuhara check-config <args>` with only `env` of our variables set: its exit code, stdout and stderr.

    In this process (tests/bot/test_cli.run), on a worker thread: the stand-in answers on this loop.
    """
    result = await asyncio.to_thread(run, ["check-config", *args], workdir, **{"KASUHARA_LANG": "en", **env})
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def example(tmp_path) -> Path:
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    return tmp_path


@pytest.fixture
def workspace(standin):
    """A Slack workspace with the channels and people of POLICY, in every state worth reporting."""
    standin.valid_tokens = {GOOD_TOKEN}
    standin.add_channel("CFIELD01", "genba")
    standin.add_channel("COUTSIDE", "kanri", member=False)
    standin.add_channel("CPUBLIC1", "bucho", private=False)
    standin.add_channel("CHR00001", "jinji")
    standin.add_channel("COLD0001", "houmu-old", archived=True)
    standin.add_user("UADMIN01", "admin")
    standin.add_user("UGONE001", "left", deleted=True)
    return standin


async def test_the_unedited_example_shows_every_problem_in_one_run(example, standin):
    standin.valid_tokens = {GOOD_TOKEN}
    code, out = await check_config(example, "--online", KASUHARA_SECRET_KEY="short", SLACK_BOT_TOKEN="xoxb-fake",
                                   SLACK_SIGNING_SECRET="0123", SLACK_API_URL=standin.api_url)
    assert code == 1, out
    assert "KASUHARA_SECRET_KEY is too weak (about" in out and "at least 128 needed" in out
    assert "U0ADMIN" in out and "C0FIELD" in out and "C1MANAGER" in out and "placeholder" in out
    assert "Slack rejected SLACK_BOT_TOKEN (auth.test: invalid_auth)" in out
    assert "enables Socket Mode but SLACK_APP_TOKEN is not set" in out
    assert "Traceback" not in out
    assert [c.method for c in standin.calls] == ["auth.test"]  # a rejected token: nothing else asked


async def test_online_reports_each_channel_and_person_by_name(tmp_path, workspace):
    (tmp_path / "kasuhara.yaml").write_text(POLICY, encoding="utf-8")
    code, out = await check_config(tmp_path, "--online", KASUHARA_SECRET_KEY=GOOD_SECRET,
                                   SLACK_BOT_TOKEN=GOOD_TOKEN, SLACK_APP_TOKEN="xapp-1-wrong",
                                   SLACK_API_URL=workspace.api_url)
    assert code == 1, out
    assert "token accepted (auth.test): workspace Example, bot @kasuhara" in out
    assert "Slack rejected SLACK_APP_TOKEN (apps.connections.open: invalid_auth)" in out
    assert "field_manager: the bot is not a member of #kanri (COUTSIDE)" in out and "/invite @kasuhara" in out
    assert "! division_head: #bucho (CPUBLIC1) is public" in out
    assert "legal: channel #houmu-old (COLD0001) is archived" in out
    assert "executives: channel CMISSING does not exist" in out
    assert "admin: user UGONE001 (@left) is deactivated" in out
    assert "admin: user UNOBODY1 does not exist" in out
    assert "CFIELD01" not in out and "UADMIN01" not in out and "CHR00001" not in out  # fine ones stay quiet
    assert out.index("[kasuhara.yaml: admins]") < out.index("UGONE001")  # grouped by file and section
    assert len(workspace.calls_to("conversations.info")) == 6  # each channel asked once


async def test_warnings_alone_pass_unless_strict(tmp_path, workspace):
    policy = POLICY.replace("COUTSIDE", "CFIELD01").replace("COLD0001", "CHR00001").replace("CMISSING", "CHR00001")
    policy = policy.replace("UGONE001, UNOBODY1", "UADMIN01")
    (tmp_path / "kasuhara.yaml").write_text(policy, encoding="utf-8")
    env = {"KASUHARA_SECRET_KEY": GOOD_SECRET, "SLACK_BOT_TOKEN": GOOD_TOKEN, "SLACK_APP_TOKEN": GOOD_APP_TOKEN,
           "SLACK_API_URL": workspace.api_url}
    workspace.valid_tokens |= {GOOD_APP_TOKEN}
    code, out = await check_config(tmp_path, "--online", **env)
    assert code == 0, out
    assert "0 error(s), 1 warning(s)" in out and "CPUBLIC1" in out
    assert "SLACK_APP_TOKEN accepted" in out
    strict, _ = await check_config(tmp_path, "--online", "--strict", **env)
    assert strict == 1


async def test_the_report_speaks_japanese(example, standin):
    code, out = await check_config(example, "--online", KASUHARA_LANG="ja", KASUHARA_SECRET_KEY="short",
                                   SLACK_BOT_TOKEN="xoxb-fake", SLACK_SIGNING_SECRET="0123",
                                   SLACK_API_URL=standin.api_url)
    assert code == 1
    assert "[環境変数]" in out and "KASUHARA_SECRET_KEY が弱すぎます" in out
    assert "例のままのID" in out and "[Slack（オンライン確認）]" in out
    assert "エラー" in out and "件" in out


async def test_an_unreachable_slack_is_one_line(example):
    code, out = await check_config(example, "--online", KASUHARA_SECRET_KEY=GOOD_SECRET, SLACK_BOT_TOKEN=GOOD_TOKEN,
                                   SLACK_SIGNING_SECRET="0123", SLACK_API_URL="http://127.0.0.1:9/api/")
    assert code == 1
    assert "cannot reach the Slack API at http://127.0.0.1:9/api/" in out and "Traceback" not in out
