"""Fire due timers once each: a deadline that fell due while the bot was down fires after start.

Claiming a timer and applying its effect happen in one transaction, so a timer never fires
twice, even if two sweeps (or two replicas) overlap.
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

    def __init__(self, store: Store, clock: Clock, *, on_fired: Callable[[Timer, float], None] | None = None):
        self._store = store
        self._clock = clock
        self._handlers: dict[TimerKind, TimerHandler] = {}
        self._on_fired = on_fired or (lambda *_: None)  # (timer, seconds late): metrics

    def on(self, kind: TimerKind, handler: TimerHandler) -> None:
        self._handlers[kind] = handler

    async def run_once(self, limit: int = 100) -> int:
        """Fire every due timer (up to `limit`); return how many fired.

        One short transaction per timer: take it (replicas never take the same one), apply
        its effect, commit. A handler that fails rolls back and leaves the timer for the next
        sweep; the others go on.
        """
        fired, failed = 0, set()
        while fired + len(failed) < limit:
            now = self._clock.now()
            timer = None
            try:
                async with self._store.transaction() as tx:
                    timer = await tx.timers.claim_next(now, failed)
                    if timer is None:
                        break
                    handler = self._handlers.get(timer.kind)
                    if handler is None:
                        log.error("no handler for timer kind %s (timer %s)", timer.kind.value, timer.id)
                    else:
                        await handler(tx, timer, now)
            except Exception:  # one broken timer must not block the others; it stays unfired
                if timer is None:
                    raise
                log.exception("timer %s (%s) failed; it will be retried", timer.id, timer.kind.value)
                failed.add(timer.id)
                continue
            fired += 1
            self._on_fired(timer, (now - timer.due_at).total_seconds())
        return fired
