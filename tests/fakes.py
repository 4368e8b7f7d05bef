"""Small real fakes at our own boundaries: a settable clock and a recording notifier."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flows.cards import Card
from flows.model import Platform
from flows.ports import DeliveryError


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


@dataclass
class Sent:
    op: str
    address: str
    card: Card
    ref: str = ""
    key: str = ""  # the delivery key the post carried (Slack message metadata)


@dataclass
class RecordingNotifier:
    """Implements flows.ports.Notifier by recording; can be told to fail per address."""

    platform: Platform = Platform.SLACK
    sent: list[Sent] = field(default_factory=list)
    fail: dict[str, DeliveryError] = field(default_factory=dict)
    _n: int = 0

    async def post(self, address: str, card: Card, *, key: str = "") -> str:
        return self._record("post", address, card, key=key)

    async def update(self, address: str, ref: str, card: Card) -> None:
        self._record("update", address, card, ref)

    async def send_private(self, user_id: str, card: Card, *, key: str = "") -> str:
        return self._record("private", user_id, card, key=key)

    async def find_sent(self, address: str, key: str, *, since=None) -> str | None:
        return next((s.ref for s in self.sent if s.address == address and key and s.key == key), None)

    def _record(self, op: str, address: str, card: Card, ref: str = "", key: str = "") -> str:
        if address in self.fail:
            raise self.fail[address]
        self._n += 1
        ref = ref or f"{address}|{self._n}"
        self.sent.append(Sent(op, address, card, ref, key))
        return ref

    def to(self, address: str, op: str = "post") -> list[Sent]:
        return [s for s in self.sent if s.address == address and s.op == op]
