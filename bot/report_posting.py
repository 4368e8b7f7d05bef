"""`kasuhara report monthly --post`: queue the month's posts to HR and send them now."""
from __future__ import annotations

from datetime import datetime

from bot.app import build_runtime
from bot.config import Settings
from bot.operator import operator
from flows.policy import Policy
from flows.reports.period import Month

SEND_ROUNDS = 20


async def post_monthly(settings: Settings, policy: Policy, month: Month, unit_id: str | None, *,
                       now: datetime | None = None) -> int:
    """Queue the posts (audited) and send what the outbox holds; return how many posts were queued.

    The runtime is built but not served: no web server, no scheduler; a bot that is running
    would send the same outbox rows, and each is claimed by one sender only.
    """
    runtime = await build_runtime(settings, policy)
    try:
        for adapter in runtime.adapters:
            await adapter.start()
        queued = await runtime.flows.reports.monthly.post_now(month, unit_id, actor=operator())
        for _ in range(SEND_ROUNDS):
            if not await runtime.dispatcher.run_once():
                break
    finally:
        await runtime.stop()
    return queued
