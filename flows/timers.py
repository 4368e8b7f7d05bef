"""Fire due timers once each: a deadline that fell due while the bot was down fires after start.

Claiming a timer and applying its effect happen in one transaction, so a timer never fires
twice, even if two sweeps overlap.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from flows.model import Timer, TimerKind
from flows.ports import Clock, Store, Transaction

log = logging.getLogger(__name__)

TimerHandler = Callable[[Transaction, Timer, datetime], Awaitable[None]]


class TimerSweep:
    """Run the handler of every due timer."""

    def __init__(self, store: Store, clock: Clock):
        self._store = store
        self._clock = clock
        self._handlers: dict[TimerKind, TimerHandler] = {}

    def on(self, kind: TimerKind, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def run_once(self, limit: int = 100) -> int:
        """Fire every due timer; return how many fired."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            due = await tx.timers.due(now, limit)
        fired = 0
        for timer in due:
            handler = self._handlers.get(timer.kind)
            try:
                async with self._store.transaction() as tx:
                    if not await tx.timers.claim(timer.id, now):
                        continue
                    if handler is None:
                        log.error("no handler for timer kind %s (timer %s)", timer.kind.value, timer.id)
                    else:
                        await handler(tx, timer, now)
                fired += 1
            except Exception:  # one broken timer must not block the others; it stays unfired
                log.exception("timer %s (%s) failed; it will be retried", timer.id, timer.kind.value)
        return fired
