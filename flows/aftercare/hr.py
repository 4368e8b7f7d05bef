"""HR-only deliveries of after-care: sealed in the outbox, sent to the unit's HR targets alone.

Hearing notes, support decided and the employee's check-in answer are 要配慮個人情報.
"""
from __future__ import annotations

from datetime import datetime

from flows.cards import Card
from flows.model import AuditEvent, CardPayload, Delivery, DeliveryKind, Incident, Role
from flows.payloads import sealed
from flows.policy import Policy, extra_targets
from flows.ports import Transaction


async def to_hr(tx: Transaction, policy: Policy, incident: Incident, card: Card, key: str, now: datetime) -> None:
    """Send a sensitive card to the unit's HR targets, and nowhere else."""
    targets = policy.targets_of(incident.unit_id, Role.HR, extra_targets(await tx.bindings.all()))
    for target in targets:
        await tx.outbox.add(Delivery(kind=DeliveryKind.CARD, target=target, incident_id=incident.id, role=Role.HR,
                                     payload=CardPayload(sealed(tx.secrets, card)), next_attempt_at=now,
                                     dedupe_key=f"{key}:{target.platform.value}:{target.address}"))
    if not targets:
        await tx.audit.add(AuditEvent(now, "no_targets", detail="hr", incident_id=incident.id))
