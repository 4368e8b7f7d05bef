"""A case's life: the idle clock restarted by every message, and closing (then forgetting) it."""
from __future__ import annotations

from datetime import datetime

from flows.consultation import messages as cards
from flows.consultation.desk import desk_translator, to_desk
from flows.model import AuditEvent, Consultation, Timer, TimerKind
from flows.policy import Policy
from flows.ports import Transaction

ANONYMOUS = "anonymous"  # audit actor of the employee


async def touch(tx: Transaction, policy: Policy, consultation: Consultation, now: datetime) -> None:
    """Restart the idle clock of a case (any message either way)."""
    await tx.timers.cancel(ref_id=consultation.id, kinds=(TimerKind.CONSULTATION_IDLE,))
    await tx.timers.add(Timer(TimerKind.CONSULTATION_IDLE, now + policy.consultation.close_after_idle,
                              ref_id=consultation.id))


async def close_case(tx: Transaction, policy: Policy, consultation: Consultation, why: str, now: datetime) -> bool:
    """Close a case, tell the desk, and plan the erasure of the employee link; False if closed already."""
    if not await tx.consultations.close(consultation.id, now):
        return False
    await tx.timers.cancel(ref_id=consultation.id, kinds=(TimerKind.CONSULTATION, TimerKind.CONSULTATION_IDLE))
    await tx.timers.add(Timer(TimerKind.CONSULTATION_FORGET, now + policy.consultation.forget_after_close,
                              ref_id=consultation.id))
    await to_desk(tx, policy, consultation, cards.desk_notice_card(consultation, why, policy, desk_translator(policy)),
                  why, now)
    await tx.audit.add(AuditEvent(now, f"consultation_{why}", actor=ANONYMOUS, detail=consultation.code))
    return True
