"""What the reports capability needs from storage and adapters, as small Protocols."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flows.cards import Card
from flows.reports.customers import CustomerMatch
from flows.reports.model import MonthlyReport


class Customers(Protocol):
    """Customers of incidents, found through a keyed digest of their normalised identifier."""

    async def match(self, normalized: str, since: datetime) -> CustomerMatch:
        """Earlier incidents of this customer since `since`, and the measures recorded against them."""
        ...

    async def link(self, incident_id: int, normalized: str, identifier: str, match: CustomerMatch,
                   at: datetime) -> None:
        """Remember an incident's customer (the identifier sealed for HR) and what its alert showed."""
        ...

    async def of_incident(self, incident_id: int) -> CustomerMatch | None: ...

    async def add_measure(self, incident_id: int, kind: str, note: str, actor: str, at: datetime) -> bool:
        """Record a measure against the customer of a case; False when the case names no customer."""
        ...


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    filename: str
    alt: str  # what the chart shows, for screen readers and notifications


class ReportImages(Protocol):
    """Draw the monthly summary chart (implemented with matplotlib in adapters/documents)."""

    async def summary_chart(self, report: MonthlyReport, *, max_bytes: int | None = None) -> bytes: ...


class ImageNotifier(Protocol):
    """A platform that can post a card with an image (Slack: file upload; Teams: an image in the card)."""

    max_image_bytes: int | None  # the platform's budget for one image (None: no tight limit)

    async def post_image(self, address: str, card: Card, image: ChartImage) -> str: ...
