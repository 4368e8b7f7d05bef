"""SIGKILL the server at random moments and right after Slack accepted a post.

Each asserts: no report the employee saw confirmed is missing, no alert lost, none sent twice,
and what was claimed before the kill goes out within 5 s of the restart.
"""
from __future__ import annotations

import asyncio
import random
import sqlite3
import time

from tests.delivery.reports import alert_key, confirm_key, submit
from tests.databases import migrated_sqlite
from tests.delivery.servers import Server, settled, wait_for
from tests.keys import TEST_KEY
from slack_fixtures import STORE_MANAGERS
from slack_signing import SlackSender

RESTART_BUDGET_S = 5.0


def incident_ids(db_path) -> set[int]:
    with sqlite3.connect(db_path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM incidents")}


async def test_a_kill_right_after_slack_accepted_the_alert_neither_loses_nor_repeats_it(tmp_path, standin):
    server = Server(tmp_path, migrated_sqlite(tmp_path / "kasuhara.db", TEST_KEY), standin.api_url)
    await server.start()
    seen, killed = [], []
    answered = asyncio.Event()

    async def kill_after_the_alert(call):
        if call.args.get("channel") == STORE_MANAGERS and not seen:
            seen.append(call)
            # Slack has the post; the answer is held until the reporter saw the confirmation
            # (the alert may leave before it), then the server dies: our record never happens.
            await asyncio.wait_for(answered.wait(), 10)
            server.kill()
            killed.append(call)

    standin.after_post = kill_after_the_alert
    try:
        async with SlackSender(server.events_url) as sender:
            incident = await submit(sender, "VKILL0001")
            answered.set()
        assert incident is not None
        await wait_for(lambda: killed, 10)
        assert server.process.poll() is not None and len(standin.posts_with_key(alert_key(incident))) == 1
        standin.after_post = None
        await server.start()
        restarted = time.monotonic()
        await wait_for(lambda: standin.posts_with_key(confirm_key(incident)), RESTART_BUDGET_S)
        assert time.monotonic() - restarted <= RESTART_BUDGET_S
        # The alert was looked up (message metadata), found, and recorded, not posted again.
        await wait_for(lambda: standin.calls_to("conversations.history"), RESTART_BUDGET_S)
        await settled(standin, server.env["DATABASE_URL"])  # a repeat would show up now
        assert len(standin.posts_with_key(alert_key(incident))) == 1
        assert len(standin.posts_with_key(confirm_key(incident))) == 1
    finally:
        server.stop()


async def test_kills_at_random_moments_lose_no_confirmed_report_and_repeat_no_alert(tmp_path, standin):
    db = tmp_path / "kasuhara.db"
    server = Server(tmp_path, migrated_sqlite(db, TEST_KEY), standin.api_url)
    confirmed: set[int] = set()
    rng = random.Random(8)
    try:
        for cycle in range(3):
            await server.start()
            stop_at = time.monotonic() + rng.uniform(0.3, 1.5)

            async def employee(n: int) -> None:
                async with SlackSender(server.events_url) as sender:
                    run = 0
                    while time.monotonic() < stop_at + 1:
                        run += 1
                        try:
                            incident = await submit(sender, f"VK{cycle}{n:02d}{run:05d}", user_id=f"U0KILL{n:03d}")
                        except Exception:  # the server died under us: that report was never confirmed
                            return
                        if incident is not None:
                            confirmed.add(incident)

            async def killer() -> None:
                await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
                server.kill()

            await asyncio.gather(killer(), *(employee(n) for n in range(4)))
        await server.start()
        stored = incident_ids(db)
        assert confirmed and confirmed <= stored, "a report the employee saw confirmed is missing"
        await wait_for(lambda: all(standin.posts_with_key(alert_key(i)) for i in stored), 20)
        await settled(standin, server.env["DATABASE_URL"])  # a repeat would show up now
        for incident in stored:
            assert len(standin.posts_with_key(alert_key(incident))) == 1, f"alert of incident {incident}"
            assert len(standin.posts_with_key(confirm_key(incident))) <= 1
        for incident in confirmed:
            await wait_for(lambda i=incident: standin.posts_with_key(confirm_key(i)), 10)
    finally:
        server.stop()
