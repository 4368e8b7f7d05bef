"""Send what the outbox holds through each platform's Notifier: at once, several at a time.

- A delivery starts as soon as its transaction commits and runs beside the others: at most
  `concurrency` at once and one at a time per lane, so what one conversation receives arrives
  in the order it was queued (a consultation's relays, a person's DMs, a follow-up and its
  update). A lane is a target, except that the alerts of different incidents to one channel
  are lanes of their own: a busy unit's alerts don't queue behind each other. A 429 pauses its
  target alone for its Retry-After. A slow or failing target only holds its own slots.
- Alerts go first (DeliveryKind.urgency): they may take every slot, everything else at most
  half, so a burst of confirmations never delays an alert and alerts never starve the rest.
- Deliveries due at once are claimed in the transaction that queues them when there is room
  and nothing as urgent waits (`accept`, see flows.ports.Births), and start the moment it
  commits (`adopt`) with the incident as that transaction left it: no claim round trip, no
  read back. The rest are claimed by `pump` as slots free up.
- Claims are short leases carrying this process's instance id; a restarted process takes its
  own claims back at once (`recover`), other replicas take them over when the lease ends.
- An attempt whose outcome is unknown (a timeout, a crash after the platform's answer) is
  `in_doubt`: before sending it again the dispatcher asks the platform whether the message
  with this delivery's key is there (Slack message metadata), and records it if so.
- Transient failures are retried with a capped backoff, never given up; a permanent one
  (channel gone, bot removed) fails the delivery and escalates at once.

Alerts are rendered at send time from the incident as it is then (as the transaction that
queued them left it, or read again), so a reminder that falls due after an acknowledgement is
dropped instead of pinging anyone.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from flows.consultation.anonymity import sealed_id
from flows.i18n import Translator
from flows.incidents import escalation
from flows.incidents.messages import alert_card
from flows.model import (
    AlertUpdatePayload,
    AuditEvent,
    CardUpdatePayload,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Incident,
    Platform,
    Timer,
    TimerKind,
)
from flows.payloads import open_body
from flows.policy import Policy
from flows.ports import Clock, DeliveryError, Notifier, Store

log = logging.getLogger(__name__)

KindHandler = Callable[[Notifier, Delivery], Awaitable[str]]

BACKOFF_CAP_S = 60  # transient failures are retried forever, at least once a minute
CONCURRENCY = 16  # deliveries in flight at once per process; at most half of them not alerts
LEASE_S = 10  # a claim this process does not settle in time is taken over by another replica

# Observer of each settled attempt: (delivery, outcome, seconds from queueing to the answer).
# Outcomes: "sent", "found" (in doubt, found on the platform), "retry", "failed", "dropped".
OutcomeHook = Callable[[Delivery, str, float], None]


class Dispatcher:
    """Deliver due outbox rows concurrently; one dispatcher per process."""

    def __init__(self, store: Store, notifiers: Mapping[Platform, Notifier], policy: Policy, clock: Clock, *,
                 instance: str = "", concurrency: int = CONCURRENCY, lease_s: float = LEASE_S, on_outcome: OutcomeHook | None = None):
        self._store = store
        self._notifiers = notifiers
        self._policy = policy
        self._clock = clock
        self.instance = instance
        self._concurrency = concurrency
        self._lease = timedelta(seconds=lease_s)
        self._on_outcome = on_outcome or (lambda *_: None)
        self._in_flight: dict[int, asyncio.Task] = {}
        self._busy: set[tuple] = set()  # lanes with a send in flight (or adopted soon)
        self._reserved = 0  # deliveries accepted at birth whose transaction has not ended yet
        self._others = 0  # of the in-flight and reserved, those that are not alerts (at most half)
        # The most urgent class (DeliveryKind.urgency) that may wait unclaimed: queued since the
        # last look (`pump(look=False)` looks only then), and found by the last look. A delivery
        # is claimed at birth only when nothing at least as urgent waits: those go first.
        self._waiting: int | None = 0
        self._backlog: int | None = None  # due rows found: look again whenever a send ends
        self._recording: tuple[list, asyncio.Future] | None = None  # sent records waiting for a transaction
        self._paused: dict[tuple[str, str], datetime] = {}  # target -> 429 Retry-After end
        self._pumping = asyncio.Lock()
        self.wake: Callable[[], None] = lambda: None  # set by the runtime: pump again
        self._handlers: dict[DeliveryKind, KindHandler] = {}

    def on(self, kind: DeliveryKind, handler: KindHandler) -> None:
        """Send deliveries of `kind` with `handler(notifier, delivery) -> ref` (e.g. the monthly report)."""
        self._handlers[kind] = handler

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # -- claimed at birth (flows.ports.Births) -------------------------------------------------
    @property
    def claimer(self) -> str:
        return self.instance

    @property
    def lease(self) -> timedelta:
        return self._lease

    def accept(self, delivery: Delivery) -> bool:
        """Take a delivery due now from the transaction queueing it, if a slot and its lane are
        free and nothing as urgent waits unclaimed (older ones go first, through `pump`)."""
        if not self.instance or delivery.kind in self._handlers:
            return False
        now = delivery.next_attempt_at
        if now is None or now > self._clock.now() or self._paused.get(_target(delivery), now) > now:
            return False
        urgency = delivery.kind.urgency
        if not self._room(urgency) or lane(delivery) in self._busy:
            return False
        if any(waits is not None and waits <= urgency for waits in (self._waiting, self._backlog)):
            return False
        self._reserved += 1
        self._others += urgency > 0
        self._busy.add(lane(delivery))
        return True

    def _room(self, urgency: int) -> bool:
        """A free slot for a delivery of this urgency: alerts may take every slot, the rest half."""
        if len(self._in_flight) + self._reserved >= self._concurrency:
            return False
        return urgency == 0 or self._others < self._concurrency // 2

    def adopt(self, deliveries: list[Delivery], incidents: Mapping[int, Incident]) -> None:
        """The transaction committed: send what it queued and this dispatcher accepted, now.

        `incidents` are as that transaction left them: rendered without reading them back.
        """
        urgent = [d for d in deliveries if d.kind in escalation.ALERT_KINDS]
        for delivery in urgent + [d for d in deliveries if d.kind not in escalation.ALERT_KINDS]:
            self._reserved -= 1
            self._start(delivery, urgent=[], incident=incidents.get(delivery.incident_id))

    def queued(self, deliveries: list[Delivery]) -> None:
        """A transaction queued deliveries without a claim (no room, or due later): look on the next wake."""
        for delivery in deliveries:
            self._may_wait(delivery.kind.urgency)

    def _may_wait(self, urgency: int) -> None:
        """Something of this urgency may wait unclaimed: the next `pump(look=False)` looks."""
        self._waiting = urgency if self._waiting is None else min(self._waiting, urgency)

    def release(self, deliveries: list[Delivery]) -> None:
        """The transaction rolled back (or the row existed): give the room back."""
        for delivery in deliveries:
            self._reserved -= 1
            self._others -= delivery.kind.urgency > 0
            self._busy.discard(lane(delivery))

    async def recover(self) -> int:
        """Make this instance's claims from before a restart due now; return how many."""
        if not self.instance:
            return 0
        async with self._store.transaction() as tx:
            return await tx.outbox.release_claims(self.instance, self._clock.now())

    async def pump(self, *, look: bool = True) -> int:
        """Claim what is due (up to the free slots) and start sending it; return how many started.

        `look=False` (a wake-up after a commit or a finished send) skips the database unless
        something may be waiting: a delivery queued unclaimed (`queued`) or one left behind by
        the last claim. The runtime's tick looks every second whatever happened (retries that
        fell due, other replicas' expired leases, rows queued by another process).
        """
        async with self._pumping:
            free = self._concurrency - len(self._in_flight) - self._reserved
            if free <= 0 or not (look or self._waiting is not None):
                return 0
            self._waiting = None
            now = self._clock.now()
            self._paused = {t: until for t, until in self._paused.items() if until > now}
            async with self._store.read() as tx:  # nothing due: no write lock taken
                self._backlog = await tx.outbox.due_urgency(now)
            # Due rows were found: more may wait behind the free slots or a busy lane, so look
            # again when a send ends (`_done`); a look that finds nothing stops that.
            if self._backlog is None:
                return 0
            async with self._store.transaction() as tx:
                due = await tx.outbox.claim_due(now, free, claimer=self.instance, lease=self._lease,
                                                skip=set(self._paused), lane=lane, busy=self._busy,
                                                others=self._concurrency // 2 - self._others)
            urgent: list[asyncio.Task] = []  # alerts of this batch go out before its other messages
            for delivery in due:
                if delivery.status is DeliveryStatus.FAILED:  # a malformed row: already marked failed
                    await self._broken(delivery)
                    continue
                self._busy.add(lane(delivery))
                self._others += delivery.kind.urgency > 0
                task = self._start(delivery, urgent=urgent)
                if delivery.kind in escalation.ALERT_KINDS:
                    urgent.append(task)
            return len(due)

    def _start(self, delivery: Delivery, *, urgent: list[asyncio.Task], incident: Incident | None = None) -> asyncio.Task:
        """Send in a task of its own (after the batch's alerts for the other kinds)."""
        if delivery.kind in escalation.ALERT_KINDS or not urgent:
            task = asyncio.create_task(self._send(delivery, incident))
        else:
            task = asyncio.create_task(self._send_after(list(urgent), delivery))
        self._in_flight[delivery.id] = task
        task.add_done_callback(lambda _, d=delivery: self._done(d))
        return task

    async def run_once(self, limit: int | None = None) -> int:
        """Start what is due and wait until those sends are settled (tests, CLI, drain)."""
        started = await self.pump()
        await self.settle()
        return started

    async def settle(self) -> None:
        """Wait for every send in flight."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight.values()), return_exceptions=True)

    def _done(self, delivery: Delivery) -> None:
        self._in_flight.pop(delivery.id, None)
        self._others -= delivery.kind.urgency > 0
        self._busy.discard(lane(delivery))
        if self._backlog is not None:  # a slot or a lane freed: look again
            self._may_wait(self._backlog)
        self.wake()

    # -- one delivery ------------------------------------------------------------------------
    async def _send_after(self, first: list[asyncio.Task], delivery: Delivery) -> None:
        if first:
            await asyncio.wait(first)
        await self._send(delivery)

    async def _send(self, delivery: Delivery, incident: Incident | None = None) -> None:
        notifier = self._notifiers.get(delivery.target.platform)
        attempted = False
        try:
            if incident is None:  # not handed over by the transaction that queued it: as it is now
                incident = await self._incident(delivery.incident_id)
            if notifier is None:
                raise DeliveryError(f"{delivery.target.platform.value} is not configured", permanent=True)
            ref = await self._already_sent(notifier, delivery) if delivery.in_doubt else None
            outcome = "found" if ref is not None else "sent"
            if ref is None:
                attempted = True
                ref = await self._deliver(notifier, delivery, incident)
                if ref is None:
                    outcome, ref = "dropped", ""
        except DeliveryError as error:
            if delivery.in_doubt and not attempted:  # the look-up failed: still in doubt
                error.in_doubt = True
            await self._failed(delivery, error)
            return
        except Exception as error:  # a bug or an unexpected SDK error must not stop the outbox
            log.exception("delivery %s (%s) crashed", delivery.id, delivery.kind.value)
            await self._failed(delivery, DeliveryError(type(error).__name__, permanent=False, in_doubt=True))
            return
        now = self._clock.now()
        await self._record_sent(delivery.id, ref, now)  # recorded the moment the platform answered
        self._on_outcome(delivery, outcome, self._age(delivery, now))

    async def _record_sent(self, delivery_id: int, ref: str, at: datetime) -> None:
        """Record a send in the next transaction of sent records: the answers that arrive while
        one is waiting for the write lock are recorded together (one commit under load, the
        same single transaction at rest)."""
        if self._recording is None:
            self._recording = ([], asyncio.get_running_loop().create_future())
            asyncio.create_task(self._write_records(self._recording))
        records, written = self._recording
        records.append((delivery_id, ref, at))
        await asyncio.shield(written)

    async def _write_records(self, batch: tuple[list, asyncio.Future]) -> None:
        records, written = batch
        try:
            async with self._store.transaction() as tx:
                self._recording = None  # the write lock is ours: later answers go to the next batch
                for delivery_id, ref, at in records:
                    await tx.outbox.mark_sent(delivery_id, ref, at)
        except BaseException as error:  # noqa: BLE001 (handed to every send waiting for this batch)
            if self._recording is batch:
                self._recording = None
            written.set_exception(error)
            written.exception()  # retrieved: the senders re-raise it
            return
        written.set_result(None)

    async def _already_sent(self, notifier: Notifier, delivery: Delivery) -> str | None:
        """Ask the platform whether an in-doubt attempt arrived (None: not found or no way to tell)."""
        if not delivery.dedupe_key or delivery.kind in (DeliveryKind.ALERT_UPDATE, DeliveryKind.CARD_UPDATE):
            return None  # updates are idempotent: sending again is harmless
        if delivery.kind in self._handlers:
            return None  # e.g. a file upload: sent again
        if delivery.kind is DeliveryKind.PRIVATE and sealed_id(delivery.target.address) is not None:
            return None  # an anonymous consultation's DM address is opened only to send
        return await notifier.find_sent(delivery.target.address, delivery.dedupe_key, since=delivery.created_at)

    async def _deliver(self, notifier: Notifier, delivery: Delivery, incident: Incident | None) -> str | None:
        address, key = delivery.target.address, delivery.dedupe_key
        if delivery.kind in self._handlers:
            return await self._handlers[delivery.kind](notifier, delivery)
        if delivery.kind in escalation.ALERT_KINDS or delivery.kind is DeliveryKind.ALERT_UPDATE:
            if incident is None:
                return None
            if delivery.kind is not DeliveryKind.ALERT_UPDATE and delivery.kind is not DeliveryKind.ALERT \
                    and incident.acknowledged_at is not None:
                return None  # acknowledged meanwhile: no more pings
            card = alert_card(incident, self._policy, Translator(self._policy.locale),
                              deadline=incident.ack_deadline, kind=_card_kind(delivery.kind))
            if isinstance(delivery.payload, AlertUpdatePayload):
                await notifier.update(address, delivery.payload.ref, card)
                return delivery.payload.ref
            return await notifier.post(address, card, key=key)
        body = delivery.payload.body
        if body.sealed:  # HR-only or consultation content: opened only to send
            async with self._store.read() as tx:
                card = open_body(tx.secrets, body)
        else:
            card = body.card
        if isinstance(delivery.payload, CardUpdatePayload):
            await notifier.update(address, delivery.payload.ref, card)
            return delivery.payload.ref
        if delivery.kind is DeliveryKind.PRIVATE:
            consultation_id = sealed_id(address)
            if consultation_id is not None:
                return await self._send_sealed(notifier, consultation_id, card)
            return await notifier.send_private(address, card, key=key)
        return await notifier.post(address, card, key=key)

    async def _send_sealed(self, notifier: Notifier, consultation_id: int, card) -> str:
        """Open an anonymous consultation's address only to send; keep neither the id nor the DM ref."""
        async with self._store.read() as tx:
            recipient = await tx.consultation_links.recipient(consultation_id)
        if recipient is None:
            raise DeliveryError("the consultation's link to the employee was erased", permanent=True)
        try:
            await notifier.send_private(recipient.user_id, card)
        except DeliveryError as error:  # the message may name the user: it goes to the outbox and the log
            raise DeliveryError(str(error).replace(recipient.user_id, "***"), permanent=error.permanent,
                                retry_after=error.retry_after, in_doubt=error.in_doubt) from None
        except Exception as error:
            raise DeliveryError(type(error).__name__, permanent=False, in_doubt=True) from None
        return ""

    async def _failed(self, delivery: Delivery, error: DeliveryError) -> None:
        now = self._clock.now()
        attempts = delivery.attempts + 1
        message = str(error)
        if delivery.target.address:  # error texts may quote the address (a user id): never log it
            message = message.replace(delivery.target.address, "***")
        async with self._store.transaction() as tx:
            if error.permanent:
                log.error("delivery %s (%s to %s) failed for good: %s", delivery.id, delivery.kind.value,
                          delivery.target.platform.value, message)
                await tx.outbox.mark_failed(delivery.id, message, now)
                delivery.error = message
                incident = await tx.incidents.get(delivery.incident_id) if delivery.incident_id else None
                if incident is not None:
                    await escalation.on_delivery_failed(tx, incident, delivery, now)
                else:
                    await tx.audit.add(AuditEvent(now, "delivery_failed", detail=f"{delivery.kind.value}: {message}"))
                outcome = "failed"
            else:
                delay = error.retry_after if error.retry_after is not None else min(2 ** min(attempts, 10),
                                                                                    BACKOFF_CAP_S)
                if error.retry_after is not None:  # 429: this target waits, the others go on
                    self._paused[_target(delivery)] = now + timedelta(seconds=delay)
                log.warning("delivery %s (%s) failed (attempt %s), retrying in %.1fs: %s", delivery.id,
                            delivery.kind.value, attempts, delay, message)
                await tx.outbox.mark_retry(delivery.id, now + timedelta(seconds=delay), message,
                                           in_doubt=error.in_doubt)
                outcome = "retry"
        self._on_outcome(delivery, outcome, self._age(delivery, now))

    async def _broken(self, delivery: Delivery) -> None:
        """A malformed outbox row (a bug, a manual edit): logged by id, its incident escalated."""
        log.error("delivery %s is malformed and was marked failed: %s", delivery.id, delivery.error)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            incident = await tx.incidents.get(delivery.incident_id) if delivery.incident_id else None
            if incident is not None and incident.acknowledged_at is None:
                await escalation.on_ack_deadline(tx, incident, _immediate_timer(now), now, reason="delivery_failed")
            await tx.audit.add(AuditEvent(now, "delivery_failed", detail=f"outbox row {delivery.id}: {delivery.error}",
                                          incident_id=incident.id if incident else None))
        self._on_outcome(delivery, "failed", 0.0)
        self.wake()

    async def _incident(self, incident_id: int | None) -> Incident | None:
        if incident_id is None:
            return None
        async with self._store.read() as tx:
            return await tx.incidents.get(incident_id)

    @staticmethod
    def _age(delivery: Delivery, now: datetime) -> float:
        return (now - delivery.created_at).total_seconds() if delivery.created_at else 0.0


def lane(delivery: Delivery) -> tuple:
    """What must be sent one at a time, in order: a target; an incident's alerts to it apart."""
    target = _target(delivery)
    return (*target, delivery.incident_id) if delivery.kind in escalation.ALERT_KINDS else target


def _target(delivery: Delivery) -> tuple[str, str]:
    return delivery.target.platform.value, delivery.target.address


def _immediate_timer(now: datetime) -> Timer:
    return Timer(TimerKind.ACK_DEADLINE, now, seq=-1)


def _card_kind(kind: DeliveryKind) -> str:
    return {DeliveryKind.REMINDER: "reminder", DeliveryKind.ESCALATION: "escalation"}.get(kind, "alert")
