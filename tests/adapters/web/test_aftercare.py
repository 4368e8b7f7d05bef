"""After-care reaches a reporter without an account: the 72-hour check-in on their status page."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.adapters.slack.slack_fixtures import HR, eventually, posts_to
from tests.adapters.web.web_world import hidden_fields, open_web_world
from tests.fakes import FakeClock

REQUIRED = {"occurred_at": "2026-01-01T09:00", "channel": "phone", "description": "大声で怒鳴られた",
            "behaviours": "abuse", "danger": "none"}


@pytest.fixture
async def timed(tmp_path, standin):
    clock = FakeClock(datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc))
    opened, close = await open_web_world(tmp_path, standin, clock=clock)
    yield opened, clock
    await close()


async def test_the_check_in_arrives_on_the_status_page_and_the_answer_goes_to_hr_only(timed):
    world, clock = timed
    fields = await world.form(f"/r/{world.token}")
    _, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED, "reporter": "佐藤"})
    receipt = re.search(r"R-[2-9A-Z-]{19}", html).group(0)
    clock.advance(hours=72)
    await world.runtime.drain()

    form = await world.form("/receipt")
    status, html, _ = await world.post("/receipt", {**form, "code": receipt})
    assert status == 200 and "その後、いかがですか" in html and "人事と話したい" in html
    buttons = re.findall(r'name="action" value="checkin_answer"><input type="hidden" name="value" value="([^"]+)">',
                         html)
    talk = next(v for v in buttons if v.endswith(":talk"))
    status, html, _ = await world.post("/receipt/act", {**hidden_fields(html), "action": "checkin_answer",
                                                        "value": talk})
    assert status == 200 and "人事労務の担当者だけに伝えました" in html
    hr = await eventually(lambda: [c for c in posts_to(world.slack, HR) if "本人からの回答" in c.args["text"]],
                          runtime=world.runtime)
    assert hr


async def test_someone_elses_check_in_button_does_nothing(timed):
    world, clock = timed
    receipts = []
    for _ in range(2):
        fields = await world.form(f"/r/{world.token}")
        _, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED})
        receipts.append(re.search(r"R-[2-9A-Z-]{19}", html).group(0))
    clock.advance(hours=72)
    await world.runtime.drain()
    form = await world.form("/receipt")
    _, html, _ = await world.post("/receipt", {**form, "code": receipts[0]})
    status, html, _ = await world.post("/receipt/act", {**hidden_fields(html), "action": "checkin_answer",
                                                        "value": "2:support"})  # the other report's
    assert status == 200 and "この確認は見つかりませんでした" in html


async def test_the_status_page_says_who_acknowledged_and_when(timed):
    from tests.adapters.slack.slack_fixtures import as_user, incidents, payload

    world, clock = timed
    fields = await world.form(f"/r/{world.token}")
    _, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED, "reporter": "佐藤"})
    receipt = re.search(r"R-[2-9A-Z-]{19}", html).group(0)
    await world.runtime.drain()
    [incident] = await incidents(world.runtime)
    click = as_user(payload("slack_block_actions_acknowledge"), "U0MANAGER1", "suzuki")
    click["actions"][0]["value"] = str(incident.id)
    channel = incident.snapshot.first[0].target.address  # the click comes from the alerted channel
    click["container"]["channel_id"] = click["channel"]["id"] = channel
    assert (await world.slack.send.interaction(click)).status == 200
    form = await world.form("/receipt")
    status, html, _ = await world.post("/receipt", {**form, "code": receipt})
    assert status == 200 and "suzuki さんが" in html and "確認し、対応しています" in html
