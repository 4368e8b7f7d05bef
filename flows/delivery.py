"""Send what the outbox holds, through each platform's Notifier; retry, or give up loudly.

Alerts are rendered at send time from the incident as it is now, so a reminder that falls
due after an acknowledgement is dropped instead of pinging anyone.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from flows.consultation.anonymity import sealed_id
from flows.i18n import Translator
from flows.incidents import escalation
from flows.incidents.messages import alert_card
from flows.model import AlertUpdatePayload, AuditEvent, CardUpdatePayload, Delivery, DeliveryKind, Incident, Platform
from flows.payloads import open_body
from flows.policy import Policy
from flows.ports import Clock, DeliveryError, Notifier, Store

log = logging.getLogger(__name__)

KindHandler = Callable[[Notifier, Delivery], Awaitable[str]]

MAX_ATTEMPTS = 6  # with backoff 2, 4, 8, 16, 32 s: about a minute before giving up
BACKOFF_CAP_S = 60


class Dispatcher:
    """Deliver due outbox rows; one dispatcher per process (a lock keeps sends single)."""

    def __init__(self, store: Store, notifiers: Mapping[Platform, Notifier], policy: Policy, clock: Clock):
        self._store = store
        self._notifiers = notifiers
        self._policy = policy
        self._clock = clock
        self._lock = asyncio.Lock()
        self._handlers: dict[DeliveryKind, KindHandler] = {}

    def on(self, kind: DeliveryKind, handler: KindHandler) -> None:
        """Send deliveries of `kind` with `handler(notifier, delivery) -> ref` (e.g. the monthly report)."""
        self._handlers[kind] = handler

    async def run_once(self, limit: int = 50) -> int:
        """Send every due delivery (up to `limit`); return how many were handled."""
        async with self._lock:
            async with self._store.transaction() as tx:
                due = await tx.outbox.claim_due(self._clock.now(), limit)
            for delivery in due:
                await self._send(delivery)
            return len(due)

    async def _send(self, delivery: Delivery) -> None:
        notifier = self._notifiers.get(delivery.target.platform)
        incident = await self._incident(delivery.incident_id)
        try:
            if notifier is None:
                raise DeliveryError(f"{delivery.target.platform.value} is not configured", permanent=True)
            ref = await self._deliver(notifier, delivery, incident)
        except DeliveryError as error:
            await self._failed(delivery, incident, error)
            return
        except Exception as error:  # a bug or an unexpected SDK error must not stop the outbox
            log.exception("delivery %s crashed", delivery.id)
            await self._failed(delivery, incident, DeliveryError(type(error).__name__, permanent=False))
            return
        async with self._store.transaction() as tx:
            await tx.outbox.mark_sent(delivery.id, ref, self._clock.now())

    async def _deliver(self, notifier: Notifier, delivery: Delivery, incident: Incident | None) -> str:
        address = delivery.target.address
        if delivery.kind in self._handlers:
            return await self._handlers[delivery.kind](notifier, delivery)
        if delivery.kind in escalation.ALERT_KINDS or delivery.kind is DeliveryKind.ALERT_UPDATE:
            if incident is None:
                return ""
            if delivery.kind is not DeliveryKind.ALERT_UPDATE and delivery.kind is not DeliveryKind.ALERT \
                    and incident.acknowledged_at is not None:
                return ""  # acknowledged meanwhile: no more pings
            card = alert_card(incident, self._policy, Translator(self._policy.locale),
                              deadline=incident.ack_deadline, kind=_card_kind(delivery.kind))
            if isinstance(delivery.payload, AlertUpdatePayload):
                await notifier.update(address, delivery.payload.ref, card)
                return delivery.payload.ref
            return await notifier.post(address, card)
        body = delivery.payload.body
        if body.sealed:  # HR-only or consultation content: opened only to send
            async with self._store.transaction() as tx:
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
            return await notifier.send_private(address, card)
        return await notifier.post(address, card)

    async def _send_sealed(self, notifier: Notifier, consultation_id: int, card) -> str:
        """Open an anonymous consultation's address only to send; keep neither the id nor the DM ref."""
        async with self._store.transaction() as tx:
            recipient = await tx.consultation_links.recipient(consultation_id)
        if recipient is None:
            raise DeliveryError("the consultation's link to the employee was erased", permanent=True)
        try:
            await notifier.send_private(recipient.user_id, card)
        except DeliveryError as error:  # the message may name the user: it goes to the outbox and the log
            raise DeliveryError(str(error).replace(recipient.user_id, "***"), permanent=error.permanent,
                                retry_after=error.retry_after) from None
        except Exception as error:
            raise DeliveryError(type(error).__name__, permanent=False) from None
        return ""

    async def _failed(self, delivery: Delivery, incident: Incident | None, error: DeliveryError) -> None:
        now = self._clock.now()
        attempts = delivery.attempts + 1
        async with self._store.transaction() as tx:
            if error.permanent or attempts >= MAX_ATTEMPTS:
                log.error("delivery %s to %s:%s failed for good: %s", delivery.id,
                          delivery.target.platform.value, delivery.target.address, error)
                await tx.outbox.mark_failed(delivery.id, str(error), now)
                delivery.error = str(error)
                if incident is not None:
                    await escalation.on_delivery_failed(tx, incident, delivery, now)
                else:
                    await tx.audit.add(AuditEvent(now, "delivery_failed", detail=f"{delivery.kind.value}: {error}"))
                return
            delay = error.retry_after if error.retry_after is not None else min(2 ** attempts, BACKOFF_CAP_S)
            log.warning("delivery %s failed (attempt %s), retrying in %.1fs: %s", delivery.id, attempts, delay, error)
            await tx.outbox.mark_retry(delivery.id, now + timedelta(seconds=delay), str(error))

    async def _incident(self, incident_id: int | None) -> Incident | None:
        if incident_id is None:
            return None
        async with self._store.transaction() as tx:
            return await tx.incidents.get(incident_id)



def _card_kind(kind: DeliveryKind) -> str:
    return {DeliveryKind.REMINDER: "reminder", DeliveryKind.ESCALATION: "escalation"}.get(kind, "alert")
