"""The try-out console over HTTP: a desk answer in a thread, a follow-up recorded, time moved on."""
from __future__ import annotations

import re

import pytest

from bot.config import Settings
from bot.tryout import open_tryout
from tests.adapters.web.web_world import hidden_fields, serve_like_production

import aiohttp

REQUIRED = {"occurred_at": "", "channel": "phone", "description": "電話で長時間怒鳴られた", "behaviours": "abuse",
            "danger": "none"}


@pytest.fixture
async def console(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runtime, _, _ = await open_tryout(Settings.from_env({}), tmp_path)
    runner, base = await serve_like_production(runtime.web_app)
    session = aiohttp.ClientSession(base_url=base)
    yield runtime, session
    await session.close()
    await runner.cleanup()
    await runtime.stop()


async def page(session, method, path, data=None) -> str:
    async with session.request(method, path, data=data) as response:
        assert response.status in (200, 422), (path, response.status, await response.text())
        return await response.text()


async def test_the_desk_answers_a_web_consultation_in_the_thread_of_its_inbox_card(console):
    runtime, session = console
    html = await page(session, "GET", "/consult")
    html = await page(session, "POST", "/consult/start", hidden_fields(html))
    case = hidden_fields(html)
    await page(session, "POST", "/consult/send", {**case, "text": "相談です"})
    await runtime.drain()
    inbox = await page(session, "GET", "/tryout/inbox/honsha/consultation")
    assert "相談です" in inbox and case["code"] in inbox
    ref = re.search(r'name="ref" value="(\d+)"', inbox).group(1)
    done = await page(session, "POST", "/tryout/inbox/honsha/consultation/reply",
                      {**hidden_fields(inbox), "ref": ref, "text": "お話を伺います"})
    assert case["code"] in done
    await runtime.drain()
    mine = await page(session, "POST", "/consult/open", case)
    assert "お話を伺います" in mine


async def test_moving_time_on_brings_the_72_hour_follow_up_and_record_closes_it(console):
    runtime, session = console
    html = await page(session, "GET", "/tryout")
    report_url = re.search(r'href="(/r/[^"]+)"', html).group(1)
    form = await page(session, "GET", report_url)
    occurred = re.search(r'name="occurred_at" type="datetime-local" value="([^"]+)"', form).group(1)
    await page(session, "POST", report_url, {**hidden_fields(form), **REQUIRED, "occurred_at": occurred})
    console_page = await page(session, "GET", "/tryout")
    async with session.post("/tryout/clock", data={**hidden_fields(console_page), "seconds": str(72 * 3600)},
                            allow_redirects=False) as response:
        assert response.status == 303
    await runtime.tick()
    await runtime.drain()
    inbox = await page(session, "GET", "/tryout/inbox/honsha/hr")
    assert "記録する" in inbox
    value = re.search(r'name="action" value="record_follow_up"><input type="hidden" name="value" value="(\d+)"',
                      inbox).group(1)
    form = await page(session, "POST", "/tryout/inbox/honsha/hr/act",
                      {**hidden_fields(inbox), "action": "record_follow_up", "value": value})
    assert "72時間フォローの記録" in form
    fields = hidden_fields(form)
    missing = await page(session, "POST", "/tryout/inbox/honsha/hr/act", fields)
    assert 'id="e-with_whom"' in missing  # inline error, nothing stored
    done = await page(session, "POST", "/tryout/inbox/honsha/hr/act",
                      {**hidden_fields(missing), "with_whom": "人事 鈴木"})
    assert "人事 鈴木" in done or "記録" in done
    async with runtime.store.transaction() as tx:
        follow_up = await tx.follow_ups.get(int(value))
    assert follow_up.recorded_at is not None


async def test_an_alert_nobody_acknowledges_escalates_to_the_next_inbox_and_snooze_works(console):
    runtime, session = console
    html = await page(session, "GET", "/tryout")
    report_url = re.search(r'href="(/r/[^"]+)"', html).group(1)
    form = await page(session, "GET", report_url)
    occurred = re.search(r'name="occurred_at" type="datetime-local" value="([^"]+)"', form).group(1)
    await page(session, "POST", report_url, {**hidden_fields(form), **REQUIRED, "occurred_at": occurred})
    await runtime.drain()
    assert "まだ何も届いていません" in await page(session, "GET", "/tryout/inbox/honsha/division_head")
    for seconds in (15 * 60, 72 * 3600):  # L2: 15 minutes to acknowledge, then the division head
        console_page = await page(session, "GET", "/tryout")
        async with session.post("/tryout/clock", data={**hidden_fields(console_page), "seconds": str(seconds)},
                                allow_redirects=False) as response:
            assert response.status == 303
        await runtime.tick()
        await runtime.drain()
        if seconds == 15 * 60:
            escalated = await page(session, "GET", "/tryout/inbox/honsha/division_head")
            assert "K-" in escalated and "確認して対応する" in escalated
    inbox = await page(session, "GET", "/tryout/inbox/honsha/hr")
    value = re.search(r'name="action" value="snooze_follow_up"><input type="hidden" name="value" value="(\d+)"',
                      inbox).group(1)
    snoozed = await page(session, "POST", "/tryout/inbox/honsha/hr/act",
                         {**hidden_fields(inbox), "action": "snooze_follow_up", "value": value})
    async with runtime.store.transaction() as tx:
        follow_up = await tx.follow_ups.get(int(value))
    assert follow_up.snoozed_until is not None and "受信箱" in snoozed
