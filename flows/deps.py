"""What every capability's flows need from outside, passed once from bot/ (the composition root)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.policy import Policy
from flows.ports import Clock, Store


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Dependencies:
    """The policy, the store, the clock, and `wake`.

    `wake` is called after a transaction that queued messages, so the dispatcher sends them
    at once instead of at its next tick.
    """

    policy: Policy
    store: Store
    clock: Clock
    wake: Callable[[], None] = _nothing
