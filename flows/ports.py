"""What the flows need from the outside world, as small Protocols.

Adapters implement `Notifier` (one per platform); storage implements `Store` and the
repositories it hands out inside a transaction. Flows never see a session, a client or a
payload.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from flows.cards import Card

if TYPE_CHECKING:  # the reports capability's ports (imported lazily: they build on this module's neighbours)
    from flows.reports.ports import Customers
    from flows.reports.reading import ReportReader
from flows.model import (
    Actor,
    AuditEvent,
    Consultation,
    Delivery,
    EscalationSnapshot,
    FollowUp,
    Incident,
    IncidentDraft,
    Platform,
    ReportLink,
    RiskLevel,
    Timer,
    TimerKind,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware, UTC."""
        ...


class DeliveryError(Exception):
    """A platform refused or failed a delivery.

    `permanent` (403, channel not found, bot removed, no stored conversation reference)
    means retrying cannot help: the outbox records the failure and escalates instead.
    `in_doubt` (a timeout, a 5xx, a dropped connection) means the platform may have acted
    on the request all the same: the outbox looks for the message before sending again.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None, in_doubt: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class Notifier(Protocol):
    """Deliver neutral cards to one platform."""

    platform: Platform

    async def post(self, address: str, card: Card, *, key: str = "") -> str:
        """Post a card to a channel or user; return the message reference for updates.

        `key` (the delivery's dedupe key) is attached to the message where the platform can
        carry it, so `find_sent` can tell later whether an in-doubt attempt arrived.
        """
        ...

    async def update(self, address: str, ref: str, card: Card) -> None:
        """Replace a posted card (e.g. to show who acknowledged)."""
        ...

    async def send_private(self, user_id: str, card: Card, *, key: str = "") -> str:
        """Send a card to one person only (DM / personal chat); return its reference."""
        ...

    async def find_sent(self, address: str, key: str, *, since: datetime | None = None) -> str | None:
        """Return the reference of a message posted with `key` since `since`, or None.

        None also where the platform offers no way to check (then the outbox sends again).
        """
        ...


class IncidentRepository(Protocol):
    async def add(self, draft: IncidentDraft, snapshot: EscalationSnapshot, now: datetime) -> Incident: ...

    async def get(self, incident_id: int) -> Incident | None: ...

    async def acknowledge(self, incident_id: int, actor: str, at: datetime, actor_id: str = "") -> bool:
        """Mark acknowledged (display name, "platform:user id") if still open; False when someone already did."""
        ...

    async def set_level(self, incident_id: int, level: RiskLevel, snapshot: EscalationSnapshot, *, reason: str,
                        by: str, at: datetime) -> None:
        """Store a re-classified level (why, by whom, when) and the snapshot grown with the roles it adds."""
        ...

    async def complete(self, incident_id: int, changes: dict) -> None:
        """Fill in optional report fields given later (field id -> typed value)."""
        ...

    async def list_all(self) -> list[Incident]: ...

    async def close(self, incident_id: int) -> bool:
        """Mark the incident closed; False when it was closed already."""
        ...

    async def last_unit_of(self, reporter_key: str) -> str | None: ...


class Outbox(Protocol):
    async def add(self, delivery: Delivery) -> Delivery | None:
        """Enqueue; None when a delivery with the same dedupe_key exists."""
        ...

    async def claim_due(self, now: datetime, limit: int, *, claimer: str = "", lease: timedelta = ...,
                        skip: Collection[tuple[str, str]] = (), lane: Callable[[Delivery], Hashable] | None = None,
                        busy: Collection[Hashable] = (), others: int | None = None) -> list[Delivery]:
        """Lease due deliveries to `claimer`, alerts first, one per lane (default: per target),
        none in a `busy` lane or to a target in `skip`, at most `others` that are not alerts,
        reminders or escalations."""
        ...

    async def due_urgency(self, now: datetime) -> int | None:
        """The most urgent due, unclaimed delivery's class (read only): 0 an alert, reminder or
        escalation, 1 an alert's update, 2 anything else; None when nothing is due."""
        ...

    async def release_claims(self, claimer: str, now: datetime) -> int:
        """Make the claims of a restarted `claimer` due at once."""
        ...

    async def oldest_pending(self) -> datetime | None: ...

    async def mark_sent(self, delivery_id: int, ref: str, at: datetime) -> None: ...

    async def mark_retry(self, delivery_id: int, at: datetime, error: str, *, in_doubt: bool = False) -> None: ...

    async def mark_failed(self, delivery_id: int, error: str, at: datetime) -> None: ...

    async def sent_for_incident(self, incident_id: int) -> list[Delivery]: ...


class Timers(Protocol):
    async def add(self, timer: Timer) -> Timer: ...

    async def due(self, now: datetime, limit: int) -> list[Timer]: ...

    async def claim(self, timer_id: int, at: datetime) -> bool:
        """Mark fired; False if it already fired or was cancelled (fires once)."""
        ...

    async def claim_next(self, now: datetime, skip: Collection[int] = ()) -> Timer | None:
        """Take the most overdue unfired timer (not in `skip`) and mark it fired; None if none is due."""
        ...

    async def cancel(self, *, incident_id: int | None = None, ref_id: int | None = None,
                     kinds: tuple[TimerKind, ...] = ()) -> int: ...

    async def pending(self, *, incident_id: int | None = None, ref_id: int | None = None) -> list[Timer]:
        """Unfired, uncancelled timers (of every kind: filter by kind, ref ids are shared)."""
        ...


class AuditLog(Protocol):
    async def add(self, event: AuditEvent) -> None: ...

    async def for_incident(self, incident_id: int) -> list[AuditEvent]: ...


class RequestKeys(Protocol):
    async def seen(self, key: str) -> int | None:
        """Return the result id stored for a request key, or None if it is new."""
        ...

    async def remember(self, key: str, result_id: int, at: datetime) -> bool:
        """Store the key; False if it was already stored (a concurrent duplicate)."""
        ...


class RoleBindings(Protocol):
    """Targets bound in chat (Teams `bind <role>`), added to the policy file's targets."""

    async def bind(self, platform: Platform, unit_id: str, role: str, address: str, actor: str, at: datetime) -> bool:
        """Store a binding; False if it already existed."""
        ...

    async def all(self) -> list[tuple[Platform, str, str, str]]:
        """Every binding as (platform, unit id, role, address)."""
        ...


class FollowUps(Protocol):
    """After-care tasks of incidents (flows.aftercare)."""

    async def add(self, follow_up: FollowUp) -> FollowUp: ...

    async def get(self, follow_up_id: int) -> FollowUp | None: ...

    async def for_incident(self, incident_id: int) -> list[FollowUp]: ...

    async def save_progress(self, follow_up: FollowUp) -> None:
        """Store reminded, escalated_at and snoozed_until."""
        ...

    async def record(self, follow_up_id: int, actor: str, at: datetime, record: dict, sensitive: dict,
                     actor_id: str = "") -> bool:
        """Close it with its record if still open; False when someone else recorded it first."""
        ...

    async def cancel_open(self, incident_id: int, at: datetime) -> int:
        """Cancel the incident's open follow-ups (its case was closed); return how many."""
        ...


class Consultations(Protocol):
    """Anonymous consultations; storage keeps the employee link sealed (see ConsultationLinks)."""

    async def add(self, owner: Actor, code: str, unit_id: str, at: datetime) -> Consultation | None:
        """Store a new case for `owner` (sealed); None when the code is taken (draw another)."""
        ...

    async def get(self, consultation_id: int | None = None, *, code: str | None = None) -> Consultation | None: ...

    async def by_thread(self, platform: Platform, message_ref: str) -> Consultation | None:
        """The case whose relayed message (outbox ref) is `message_ref` (an HR thread reply)."""
        ...

    async def current_for(self, owner: Actor) -> Consultation | None:
        """The owner's newest open case, found through a keyed digest, never the raw id."""
        ...

    async def save(self, consultation: Consultation) -> None:
        """Store first_message_at, first_reply_at and revealed_name (sealed)."""
        ...

    async def close(self, consultation_id: int, at: datetime) -> bool:
        """Close if open; False when it was already closed."""
        ...


class ConsultationLinks(Protocol):
    """The sealed link from a case to the employee: checked, opened to deliver, erased."""

    async def is_owner(self, consultation_id: int, actor: Actor) -> bool: ...

    async def recipient(self, consultation_id: int) -> Actor | None:
        """Open the link to deliver a message; None once it was erased."""
        ...

    async def forget(self, consultation_id: int, at: datetime) -> bool:
        """Erase the link (and its digest) for good; False if it was already gone."""
        ...


class ReportLinks(Protocol):
    """Unit report links for people without a chat account; storage keeps a keyed digest of each token."""

    async def add(self, token: str, unit_id: str, at: datetime) -> ReportLink: ...

    async def unit_of(self, token: str) -> str | None:
        """The unit of a live link; None when the token is unknown or was revoked (the same answer)."""
        ...

    async def revoke(self, token: str, at: datetime) -> ReportLink | None:
        """End a link; None when no live link has this token."""
        ...

    async def list_all(self) -> list[ReportLink]: ...


class Receipts(Protocol):
    """Receipt codes of reports made without a chat account; only a keyed digest is stored."""

    async def add(self, code: str, incident_id: int, at: datetime) -> bool:
        """Store a receipt; False when the code is taken (draw another)."""
        ...

    async def incident_of(self, code: str) -> int | None: ...


class Secrets(Protocol):
    """Seal sensitive text at rest (KASUHARA_SECRET_KEY): e.g. HR-only cards waiting in the outbox."""

    def seal(self, text: str) -> str: ...

    def open(self, token: str) -> str: ...

    def digest(self, text: str) -> str:
        """A keyed digest (HMAC): for look-ups and dedupe keys, never a plain hash of a name or id."""
        ...


class Transaction(Protocol):
    """One unit of work: everything written through it commits together or not at all."""

    incidents: IncidentRepository
    outbox: Outbox
    timers: Timers
    audit: AuditLog
    requests: RequestKeys
    bindings: RoleBindings
    follow_ups: FollowUps
    consultations: Consultations
    consultation_links: ConsultationLinks
    links: ReportLinks
    receipts: Receipts
    customers: Customers
    reports: ReportReader
    secrets: Secrets


class Births(Protocol):
    """Deliveries leased to this process in the very transaction that queues them (flows.delivery).

    A delivery due at once is inserted already claimed when the dispatcher has room for it
    (`accept`), and handed to it the moment the transaction commits (`adopt`): no claim round
    trip between the commit and the send. A rollback gives the room back (`release`).
    """

    claimer: str
    lease: timedelta

    def accept(self, delivery: Delivery) -> bool: ...

    def adopt(self, deliveries: list[Delivery], incidents: Mapping[int, Incident]) -> None:
        """Send them now; `incidents`: those the transaction wrote or read (and did not change since)."""
        ...

    def queued(self, deliveries: list[Delivery]) -> None:
        """The transaction queued these without a claim (no room, or due later): look for them soon."""
        ...

    def release(self, deliveries: list[Delivery]) -> None: ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work that writes: commits together or not at all."""
        ...

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work that only reads: takes no write lock."""
        ...


class ConversationDirectory(Protocol):
    """Platform conversation references (Teams needs one to post proactively)."""

    async def save(self, platform: Platform, key: str, reference: dict, at: datetime) -> None: ...

    async def get(self, platform: Platform, key: str) -> dict | None: ...

    async def keys(self, platform: Platform) -> list[str]: ...


class WebInbox(Protocol):
    """Messages the web adapter shows (try-out role inboxes, a web reporter's or consulter's page).

    Boxes are named by the Notifier address; storage keeps a keyed digest of the name and
    seals every card.
    """

    async def post(self, box: str, card: Card, at: datetime) -> str:
        """Store a card in a box; return its reference (for `update`)."""
        ...

    async def update(self, ref: str, card: Card, at: datetime) -> bool:
        """Replace a stored card; False when the reference is unknown."""
        ...

    async def messages(self, box: str, limit: int = 50) -> list[tuple[str, Card, datetime]]:
        """The newest cards of a box as (ref, card, posted at), newest first."""
        ...

    async def purge(self, before: datetime) -> int:
        """Delete cards last changed before `before`; return how many."""
        ...
