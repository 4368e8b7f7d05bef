"""Posting to the consultation desk: the unit's consultation targets, HR when it has none.

Every desk card is sealed in the outbox; `thread=True` adds the case id, so that an answer in
the thread of the posted card reaches the case (see `Consultations.by_thread`).
"""
from __future__ import annotations

from datetime import datetime

from flows.cards import Card
from flows.i18n import Translator
from flows.model import AuditEvent, CardPayload, Consultation, Delivery, DeliveryKind, Role, Target
from flows.payloads import sealed
from flows.policy import Policy, extra_targets
from flows.ports import Transaction


def desk_translator(policy: Policy) -> Translator:
    """The desk reads the policy's language (it is a shared channel, not one reader)."""
    return Translator(policy.locale)


ESCALATION_ROLES = (Role.HR, Role.DIVISION_HEAD)  # an unanswered case goes to them too (timers.py)


async def desk_targets(tx: Transaction, policy: Policy, consultation: Consultation) -> tuple[Target, ...]:
    """Where the case is posted: the unit's desk (hr when it has none) and the roles it escalates to."""
    extra = extra_targets(await tx.bindings.all())
    found = (policy.targets_of(consultation.unit_id, Role.CONSULTATION, extra)
             or policy.targets_of(consultation.unit_id, Role.HR, extra))
    for role in ESCALATION_ROLES:
        found += policy.targets_of(consultation.unit_id, role, extra)
    return found


async def to_desk(tx: Transaction, policy: Policy, consultation: Consultation, card: Card, key: str,
                  now: datetime) -> None:
    """Post to the unit's consultation targets (HR when there is none: never silently dropped)."""
    extra = extra_targets(await tx.bindings.all())
    if not await post_to_role(tx, policy, consultation, Role.CONSULTATION, card, key, now, extra, thread=True):
        await tx.audit.add(AuditEvent(now, "no_targets", detail=f"consultation ({consultation.code})"))
        await post_to_role(tx, policy, consultation, Role.HR, card, key, now, extra, thread=True)


async def post_to_role(tx: Transaction, policy: Policy, consultation: Consultation, role: Role, card: Card, key: str,
                       now: datetime, extra, *, thread: bool) -> bool:
    """Queue a card to every target of a role; `thread`: HR may answer in its thread."""
    targets = policy.targets_of(consultation.unit_id, role, extra)
    payload = CardPayload(sealed(tx.secrets, card), consultation_id=consultation.id if thread else None)
    for target in targets:
        await tx.outbox.add(Delivery(
            kind=DeliveryKind.CARD, target=target, role=role, payload=payload, next_attempt_at=now,
            dedupe_key=f"consult:{consultation.id}:{key}:{role.value}:{target.platform.value}:{target.address}"))
    return bool(targets)
