"""Slack answering 429, 500 for minutes, or too slowly; Slack unreachable; a broken outbox row; health.

The real runtime behind real HTTP, the Slack stand-in on 127.0.0.1 and a fake clock for the
back-off. Each asserts no alert lost and none sent twice (by the delivery key every post
carries in its message metadata).
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime, timezone

from tests.delivery.reports import alert_key, confirm_key, submit
from slack_fixtures import STORE_MANAGERS, incidents, open_world, slash_command
from tests.fakes import FakeClock

REPORTER = "U0REPORTER"
SHORT_TIMEOUT_S = 0.5  # the Slack client's timeout in the slow-Slack test


def now_clock() -> FakeClock:
    return FakeClock(datetime.now(timezone.utc).replace(microsecond=0))


async def test_a_rate_limited_channel_waits_its_retry_after_while_the_others_go_on(tmp_path, standin):
    clock = now_clock()
    world, close = await open_world(tmp_path, standin, clock=clock)
    try:
        standin.rate_limit_once("chat.postMessage", retry_after=30)  # the alert goes first, and gets the 429
        incident = await submit(world.send, "VRATE0001")
        await world.runtime.drain()
        assert standin.posts_with_key(alert_key(incident)) == []
        assert len(standin.posts_with_key(confirm_key(incident))) == 1  # another target: not held back
        clock.advance(seconds=29)
        await world.runtime.drain()
        assert standin.posts_with_key(alert_key(incident)) == []
        clock.advance(seconds=1)
        await world.runtime.drain()
        assert len(standin.posts_with_key(alert_key(incident))) == 1
    finally:
        await close()


async def test_minutes_of_slack_500s_never_give_up_and_send_each_message_once(tmp_path, standin, caplog):
    clock = now_clock()
    world, close = await open_world(tmp_path, standin, clock=clock)
    try:
        standin.fail_for("chat.postMessage", 3600, status=500)
        incident = await submit(world.send, "VOUTAGE01")
        for _ in range(12):  # 12 minutes of outage, well past the old six attempts
            await world.runtime.drain()
            clock.advance(seconds=60)
        async with world.runtime.store.read() as tx:
            pending = await tx.outbox.all_for_incident(incident)
            events = [e.action for e in await tx.audit.for_incident(incident)]
        assert all(d.status.value == "pending" for d in pending) and "delivery_failed" not in events
        standin.failing.clear()
        clock.advance(seconds=60)
        await world.runtime.drain()
        assert len(standin.posts_with_key(alert_key(incident))) == 1
        assert len(standin.posts_with_key(confirm_key(incident))) == 1
        # Each 500 left the attempt in doubt: Slack was asked before the message went again.
        assert standin.calls_to("conversations.history")
    finally:
        await close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors and not any(REPORTER in line for line in errors)


async def test_a_post_slack_accepted_after_our_timeout_is_found_not_posted_again(tmp_path, standin):
    clock = now_clock()
    # The client's timeout (5 s in production) made short; Slack answers after it, as a slow Slack would.
    world, close = await open_world(tmp_path, standin, clock=clock, slack_timeout=SHORT_TIMEOUT_S)
    try:
        standin.delay_s["chat.postMessage"] = SHORT_TIMEOUT_S + 0.7  # Slack posts it after we gave up: never heard
        incident = await submit(world.send, "VSLOW0001")
        await world.runtime.drain()
        await standin.wait_for("chat.postMessage", count=2, timeout=20)  # both reached "Slack" late
        standin.delay_s.clear()
        assert not standin.calls_to("conversations.history")  # nothing looked up before the retry is due
        clock.advance(seconds=10)
        await world.runtime.drain()
        assert standin.calls_to("conversations.history")  # the timed-out posts were looked for, not sent blind
        assert len(standin.posts_with_key(alert_key(incident))) == 1
        assert len(standin.posts_with_key(confirm_key(incident))) == 1
        with sqlite3.connect(tmp_path / "kasuhara.db") as db:
            rows = dict(db.execute("SELECT dedupe_key, message_ref FROM outbox WHERE status = 'sent'").fetchall())
        # Found on Slack and recorded with the ref a later update needs.
        assert rows[alert_key(incident)].startswith(STORE_MANAGERS) and rows[confirm_key(incident)]
    finally:
        await close()


async def test_with_slack_unreachable_sos_and_reports_are_stored_answered_and_sent_later(tmp_path, standin):
    port = standin.port
    await standin.stop()  # before the first request: bolt must not need auth.test
    world, close = await open_world(tmp_path, standin, start=True)
    try:
        reply = await world.send.command(slash_command(world, "sos 1F 窓口", trigger_id="sos.trigger"))
        assert reply.status == 200 and "110" in reply.text  # the SOS card, in the answer itself
        incident = await submit(world.send, "VDOWN0001")
        assert incident is not None  # the employee saw the confirmation
        stored = await incidents(world.runtime)
        assert {i.is_sos for i in stored} == {True, False}
        await standin.start(port)  # Slack is back
        for _ in range(100):
            if all(standin.posts_with_key(alert_key(i.id)) or i.is_sos for i in stored) and \
                    len([c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == STORE_MANAGERS]) >= 2:
                break
            await asyncio.sleep(0.1)
        assert len(standin.posts_with_key(alert_key(incident))) == 1
        sos = next(i for i in stored if i.is_sos)
        assert len(standin.posts_with_key(f"alert:{sos.id}:0:field_manager:slack:{STORE_MANAGERS}")) == 1
    finally:
        await close()


async def test_a_malformed_outbox_row_is_failed_and_escalated_and_the_outbox_goes_on(tmp_path, standin):
    clock = now_clock()
    world, close = await open_world(tmp_path, standin, clock=clock)
    try:
        standin.fail_for("chat.postMessage", 3600, status=500)
        incident = await submit(world.send, "VBROKEN01")
        await world.runtime.drain()  # its first attempt fails (500), whether it left at once or now
        with sqlite3.connect(tmp_path / "kasuhara.db") as db:  # a bug or a manual edit
            db.execute("UPDATE outbox SET payload = 'not json' WHERE dedupe_key = ?", (alert_key(incident),))
        standin.failing.clear()
        clock.advance(seconds=5)
        await world.runtime.drain()
        async with world.runtime.store.read() as tx:
            events = [e.action for e in await tx.audit.for_incident(incident)]
        with sqlite3.connect(tmp_path / "kasuhara.db") as db:
            rows = dict(db.execute("SELECT dedupe_key, status FROM outbox").fetchall())
        assert rows[alert_key(incident)] == "failed"
        assert "delivery_failed" in events and "escalated" in events
        assert len(standin.posts_with_key(confirm_key(incident))) == 1  # the rest went on
        assert any(k.startswith("escalation:") and status == "sent" for k, status in rows.items())
    finally:
        await close()


async def test_healthz_tells_the_truth_and_metrics_count_deliveries(tmp_path, standin):
    import aiohttp

    world, close = await open_world(tmp_path, standin, start=True)
    base = world.events_url.removesuffix("/slack/events")
    try:
        incident = await submit(world.send, "VHEALTH01")
        for _ in range(100):
            if standin.posts_with_key(alert_key(incident)):
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                healthy = await response.json()
                assert response.status == 200
            await standin.stop()
            standin.fail_for("chat.postMessage", 3600)
            await submit(world.send, "VHEALTH02")  # stored; its alert waits
            for _ in range(100):  # until that alert has waited a second
                async with session.get(f"{base}/healthz") as response:
                    degraded = await response.json()
                    assert response.status == 200
                if degraded["status"] == "degraded" and degraded["oldest_pending_delivery_s"] >= 1:
                    break
                await asyncio.sleep(0.1)
            async with session.get(f"{base}/metrics") as response:
                metrics = await response.text()
    finally:
        await standin.start()
        await close()
    assert healthy["database"] == "ok" and healthy["platforms"]["slack"]["reachable"] is True
    assert degraded["status"] == "degraded" and degraded["platforms"]["slack"]["reachable"] is False
    assert degraded["oldest_pending_delivery_s"] >= 1
    assert 'kasuhara_deliveries_total{kind="alert",outcome="sent",platform="slack"} 1.0' in metrics
    assert "kasuhara_delivery_seconds_bucket" in metrics and "kasuhara_incidents 2.0" in metrics
