"""Deadlines of a consultation: first-reply reminders and escalation, idle close, forgetting.

A mixin of `flows.consultation.Consultations`: the timer handlers use its desk helpers.
"""
from __future__ import annotations

from datetime import datetime

from flows import consultation_messages as cards
from flows.anonymity import sealed_address, sealed_payload
from flows.escalation import extra_targets
from flows.model import AuditEvent, Consultation, ConsultationStatus, Delivery, DeliveryKind, Role, Target, Timer, TimerKind
from flows.ports import Transaction


class ConsultationTimers:
    async def fire_deadline(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """No first reply: remind the desk; after escalate_after, tell HR and the division head too."""
        consultation = await tx.consultations.get(timer.ref_id) if timer.ref_id is not None else None
        if consultation is None or consultation.status is not ConsultationStatus.OPEN or consultation.first_reply_at:
            return
        rule, t = self.policy.consultation, self._desk_t()
        await self._to_desk(tx, consultation, cards.deadline_card(consultation, self.policy, t, escalation=False),
                            f"reminder:{timer.seq}", now)
        if timer.seq >= 1:
            card = cards.deadline_card(consultation, self.policy, t, escalation=True)
            extra = extra_targets(await tx.bindings.all())
            for role in (Role.HR, Role.DIVISION_HEAD):
                await self._post(tx, consultation, role, card, f"escalation:{timer.seq}", now, extra, thread=False)
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
        if await self._close(tx, consultation, "closed_idle", now):
            card = cards.idle_closed_card(consultation, self.policy, self._desk_t())
            await tx.outbox.add(Delivery(
                kind=DeliveryKind.PRIVATE, target=Target(consultation.platform, sealed_address(consultation.id)),
                payload=sealed_payload(tx.secrets, card, consultation_id=consultation.id), next_attempt_at=now,
                dedupe_key=f"consult:{consultation.id}:idle_closed"))

    async def _touch(self, tx: Transaction, consultation: Consultation, now: datetime) -> None:
        """Restart the idle clock of a case (any message either way)."""
        await tx.timers.cancel(ref_id=consultation.id, kinds=(TimerKind.CONSULTATION_IDLE,))
        await tx.timers.add(Timer(TimerKind.CONSULTATION_IDLE, now + self.policy.consultation.close_after_idle,
                                  ref_id=consultation.id))

    async def fire_forget(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Erase the link from a closed case to the employee, for good."""
        consultation = await tx.consultations.get(timer.ref_id) if timer.ref_id is not None else None
        if consultation is not None and await tx.consultation_links.forget(consultation.id, now):
            await tx.audit.add(AuditEvent(now, "consultation_link_erased", detail=consultation.code))
