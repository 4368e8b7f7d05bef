"""Deadlines of a consultation: first-reply reminders and escalation, idle close, forgetting."""
from __future__ import annotations

from datetime import datetime

from flows.consultation import messages as cards
from flows.consultation.anonymity import sealed_address
from flows.consultation.desk import ESCALATION_ROLES, desk_translator, post_to_role, to_desk
from flows.consultation.lifecycle import close_case
from flows.model import (
    AuditEvent,
    ConsultationStatus,
    Delivery,
    DeliveryKind,
    PrivatePayload,
    Target,
    Timer,
    TimerKind,
)
from flows.payloads import sealed
from flows.policy import Policy, extra_targets
from flows.ports import Transaction
from flows.timers import TimerHandler


class ConsultationTimers:
    """The timer handlers of consultations (registered through `flows.app.Flows.timer_handlers`)."""

    def __init__(self, policy: Policy):
        self.policy = policy

    def handlers(self) -> dict[TimerKind, TimerHandler]:
        return {TimerKind.CONSULTATION: self.fire_deadline, TimerKind.CONSULTATION_FORGET: self.fire_forget,
                TimerKind.CONSULTATION_IDLE: self.fire_idle}

    async def fire_deadline(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """No first reply: remind the desk; after escalate_after, tell HR and the division head too."""
        consultation = await tx.consultations.get(timer.ref_id) if timer.ref_id is not None else None
        if consultation is None or consultation.status is not ConsultationStatus.OPEN or consultation.first_reply_at:
            return
        policy = self.policy
        rule, t = policy.consultation, desk_translator(policy)
        await to_desk(tx, policy, consultation, cards.deadline_card(consultation, policy, t, escalation=False),
                      f"reminder:{timer.seq}", now)
        if timer.seq >= 1:
            card = cards.deadline_card(consultation, policy, t, escalation=True)
            extra = extra_targets(await tx.bindings.all())
            for role in ESCALATION_ROLES:
                await post_to_role(tx, policy, consultation, role, card, f"escalation:{timer.seq}", now, extra,
                                   thread=False)
        await tx.audit.add(AuditEvent(now, "consultation_escalated" if timer.seq else "consultation_reminded",
                                      detail=f"{consultation.code} #{timer.seq}"))
        started = consultation.first_message_at or consultation.created_at
        # Escalate at escalate_after; then repeat every first_reply_within until someone answers.
        next_at = max(started + rule.escalate_after, now) if timer.seq == 0 else now + rule.first_reply_within
        await tx.timers.add(Timer(TimerKind.CONSULTATION, next_at, ref_id=consultation.id, seq=timer.seq + 1))

    async def fire_idle(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Close a case nobody wrote in for `close_after_idle`, telling the employee how to restart."""
        consultation = await tx.consultations.get(timer.ref_id) if timer.ref_id is not None else None
        if consultation is None or consultation.status is not ConsultationStatus.OPEN:
            return
        if await close_case(tx, self.policy, consultation, "closed_idle", now):
            card = cards.idle_closed_card(consultation, self.policy, desk_translator(self.policy))
            await tx.outbox.add(Delivery(
                kind=DeliveryKind.PRIVATE, target=Target(consultation.platform, sealed_address(consultation.id)),
                payload=PrivatePayload(sealed(tx.secrets, card), consultation_id=consultation.id), next_attempt_at=now,
                dedupe_key=f"consult:{consultation.id}:idle_closed"))

    async def fire_forget(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Erase the link from a closed case to the employee, for good."""
        consultation = await tx.consultations.get(timer.ref_id) if timer.ref_id is not None else None
        if consultation is not None and await tx.consultation_links.forget(consultation.id, now):
            await tx.audit.add(AuditEvent(now, "consultation_link_erased", detail=consultation.code))
