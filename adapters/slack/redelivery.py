"""Remember recent Events API event ids so a redelivered event is handled once.

Slack retries an event (X-Slack-Retry-Num) when our 200 was late or lost; the retry carries
the same event_id. Memory is enough: after a restart a retry is new to us and must be handled.
"""
from __future__ import annotations

from collections import OrderedDict

REMEMBERED_EVENTS = 10_000  # Slack retries within minutes; this covers hours of traffic


class SeenEvents:
    """A bounded set of event ids, oldest forgotten first."""

    def __init__(self, capacity: int = REMEMBERED_EVENTS):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def first_time(self, event_id: str) -> bool:
        """Record the id; True if it was not seen before (empty ids are never deduplicated)."""
        if not event_id:
            return True
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True
