"""The monthly summary and chart reach HR once on Slack (file upload) and Teams (image in the card).

By the durable timer (fake clock: the first working day at 09:00 Asia/Tokyo), also across a
restart and with two replicas, and on demand with `kasuhara report monthly --post`.
"""
from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from flows.model import Actor, Platform
from tests.adapters.slack.slack_standin import SlackStandIn
from tests.adapters.teams.teams_harness import APP_ID, PASSWORD
from tests.adapters.teams.teams_pki import make_pki
from tests.adapters.teams.teams_standin import StandIn
from tests.bot.test_cli import run
from tests.fakes import FakeClock
from tests.reports.posting import SLACK_HR, TEAMS_HR, environment, open_both

REPORTER = Actor(Platform.SLACK, "U0REPORTER", "山田")
NOV_20 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
DUE = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # Tue 1 Dec 2026, 09:00 JST


@pytest.fixture(scope="module")
def microsoft(tmp_path_factory):
    service = StandIn(make_pki(tmp_path_factory.mktemp("pki")), APP_ID, PASSWORD).start()
    yield service
    service.stop()


@pytest.fixture
async def slack():
    fake = SlackStandIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def teams(microsoft, monkeypatch):
    microsoft.reset()
    monkeypatch.setenv("SSL_CERT_FILE", str(microsoft.pki.ca_file))
    return microsoft


async def report_in_november(both, key="k1"):
    raw = {"occurred_at": str(int(NOV_20.timestamp()) - 600), "unit": "store-1", "channel": "phone",
           "description": "窓口で大声で一方的に主張", "behaviours": ["abuse"], "danger": "none"}
    outcome = await both.runtime.flows.incidents.submit_report(REPORTER, raw, locale="ja", request_key=key)
    assert not outcome.errors
    return outcome.incident


def monthly_posts(both) -> list:
    return [r for r in both.teams_posts() if "月次レポート" in json.dumps(r.body, ensure_ascii=False)]


def teams_image(record) -> bytes:
    image = next(e for e in record.card["body"] if e["type"] == "Image")
    prefix = "data:image/png;base64,"
    assert image["url"].startswith(prefix) and image["altText"]
    return base64.b64decode(image["url"][len(prefix):])


async def test_the_timer_posts_last_months_summary_once_to_hr_on_both_platforms(tmp_path, slack, teams):
    clock = FakeClock(NOV_20)
    both = await open_both(tmp_path, slack, teams, clock)
    await report_in_november(both)
    clock._now = DUE - timedelta(minutes=1)
    await both.runtime.drain()
    assert both.uploads() == [] and monthly_posts(both) == []
    clock._now = DUE
    await both.runtime.drain()
    [upload] = both.uploads()
    assert "カスハラ対応 月次レポート 2026年11月（本社）" in upload.args["initial_comment"]
    assert "報告 1件" in upload.args["initial_comment"]
    [file_id] = [f["id"] for f in json.loads(upload.args["files"])]
    assert slack.uploads[file_id].startswith(b"\x89PNG")
    [asked] = slack.calls_to("files.getUploadURLExternal")
    assert asked.args["filename"] == "kasuhara-monthly-2026-11-honsha.png" and asked.args["alt_txt"]
    reports = monthly_posts(both)
    assert len(reports) == 1
    assert teams_image(reports[0]).startswith(b"\x89PNG")
    assert len(json.dumps(reports[0].body).encode()) < 28_000  # Teams' message size limit
    await both.runtime.drain()
    clock.advance(hours=1)
    await both.runtime.drain()
    assert len(both.uploads()) == 1  # once
    await both.close()


async def test_a_month_is_posted_once_across_restarts_and_replicas(tmp_path, slack, teams):
    clock = FakeClock(NOV_20)
    first = await open_both(tmp_path, slack, teams, clock)  # plans November's post
    await report_in_november(first)
    await first.close()
    clock._now = DUE - timedelta(hours=2)
    second = await open_both(tmp_path, slack, teams, clock)  # a restart before the post is due
    replica = await open_both(tmp_path, slack, teams, clock)  # and a second replica on the same database
    clock._now = DUE
    await asyncio.gather(second.runtime.drain(), replica.runtime.drain())
    assert len(second.uploads()) == 1
    assert len(monthly_posts(second)) == 1
    await second.close()
    await replica.close()
    clock.advance(minutes=5)
    third = await open_both(tmp_path, slack, teams, clock)  # restarted after the post: nothing again
    await third.runtime.drain()
    assert len(third.uploads()) == 1
    clock._now = datetime(2027, 1, 4, 0, 0, tzinfo=timezone.utc)  # Mon 4 Jan 09:00 JST: 1–3 Jan are holidays
    await third.runtime.drain()
    december = [c for c in third.uploads() if "2026年12月" in c.args["initial_comment"]]
    assert len(december) == 1 and "この月の報告はありませんでした。" in december[0].args["initial_comment"]
    await third.close()


async def test_report_monthly_post_sends_the_summary_now_to_both_platforms(tmp_path, slack, teams):
    clock = FakeClock(NOV_20)
    both = await open_both(tmp_path, slack, teams, clock, start=False)
    await report_in_november(both)
    await both.close()
    env = environment(tmp_path, slack, teams)
    result = await asyncio.to_thread(run, ["report", "monthly", "--month", "2026-11", "--post", "--out",
                                           str(tmp_path / "r.xlsx")], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "posted to 2 hr target(s)" in result.stdout
    uploads = [c for c in slack.calls_to("files.completeUploadExternal") if c.args.get("channel_id") == SLACK_HR]
    assert len(uploads) == 1 and "2026年11月" in uploads[0].args["initial_comment"]
    posts = [r for r in teams.sent("POST") if r.conversation_id == TEAMS_HR
             and "月次レポート" in json.dumps(r.body, ensure_ascii=False)]
    assert len(posts) == 1 and teams_image(posts[0]).startswith(b"\x89PNG")
