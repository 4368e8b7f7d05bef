"""Escalation: snapshot the chain, alert, acknowledge, re-escalate until someone answers.

Every step leaves an audit event (エスカレーション先と時刻) and every message leaves through
the outbox in the same transaction, so a crash cannot lose an alert.
"""
from __future__ import annotations

from datetime import datetime

from flows.model import (
    AlertPayload,
    AlertUpdatePayload,
    Actor,
    AuditEvent,
    ChainStep,
    Delivery,
    DeliveryKind,
    EscalationSnapshot,
    Incident,
    PlannedTarget,
    Role,
    Timer,
    TimerKind,
)
from flows.policy import Policy
from flows.ports import Transaction

ALERT_KINDS = tuple(k for k in DeliveryKind if k.urgency == 0)  # alert, reminder, escalation


def snapshot_chain(policy: Policy, unit_id: str, step: ChainStep, extra) -> EscalationSnapshot:
    """Freeze the chain and its resolved targets: later policy edits don't touch it."""
    return EscalationSnapshot(step, policy.plan(unit_id, step.notify, extra), policy.plan(unit_id, step.then, extra))


def _deliveries(incident: Incident, planned: tuple[PlannedTarget, ...], kind: DeliveryKind, tier: int,
                seq: int, now: datetime) -> list[Delivery]:
    return [
        Delivery(kind=kind, target=p.target, incident_id=incident.id, role=p.role, tier=tier,
                 payload=AlertPayload(), next_attempt_at=now,
                 dedupe_key=f"{kind.value}:{incident.id}:{seq}:{p.role.value}:{p.target.platform.value}:{p.target.address}")
        for p in planned
    ]


async def start_escalation(tx: Transaction, incident: Incident, now: datetime) -> None:
    """Queue the first alerts and the acknowledgement deadline of a new incident."""
    snap = incident.snapshot
    assert snap is not None
    for delivery in _deliveries(incident, snap.first, DeliveryKind.ALERT, 0, 0, now):
        await tx.outbox.add(delivery)
    roles = ", ".join(r.value for r in snap.step.notify)
    await tx.audit.add(AuditEvent(now, "alerted", detail=f"{roles} -> " + _addresses(snap.first), incident_id=incident.id))
    if not snap.first:
        await _no_targets(tx, incident, now, snap.step.notify)
        await on_ack_deadline(tx, incident, Timer(TimerKind.ACK_DEADLINE, now, seq=-1), now, reason="no_targets")
    await tx.timers.add(Timer(TimerKind.ACK_DEADLINE, now + snap.step.ack_within, incident_id=incident.id))


async def on_ack_deadline(tx: Transaction, incident: Incident, timer: Timer, now: datetime, *,
                          reason: str = "ack_deadline") -> None:
    """Nobody acknowledged in time: go to the next tier, remind the first, schedule again."""
    snap = incident.snapshot
    if snap is None or incident.acknowledged_at is not None:
        return
    seq = timer.seq + 1
    for delivery in _deliveries(incident, snap.then, DeliveryKind.ESCALATION, 1, seq, now):
        await tx.outbox.add(delivery)
    for delivery in _deliveries(incident, snap.first, DeliveryKind.REMINDER, 0, seq, now):
        await tx.outbox.add(delivery)
    await tx.audit.add(AuditEvent(now, "escalated", detail=f"{reason} #{seq} -> " + _addresses(snap.then + snap.first),
                                  incident_id=incident.id))
    if not snap.then:
        await _no_targets(tx, incident, now, snap.step.then)
    if reason == "ack_deadline":
        await tx.timers.add(Timer(TimerKind.ACK_DEADLINE, now + snap.step.reminder_interval,
                                  incident_id=incident.id, seq=seq))


async def on_delivery_failed(tx: Transaction, incident: Incident, delivery: Delivery, now: datetime) -> None:
    """A target could not be reached: record it and escalate now instead of waiting."""
    await tx.audit.add(AuditEvent(now, "delivery_failed", detail=f"{delivery.target.platform.value}:"
                                  f"{delivery.target.address} ({delivery.error})", incident_id=incident.id))
    if delivery.kind is DeliveryKind.ALERT and incident.acknowledged_at is None:
        await on_ack_deadline(tx, incident, Timer(TimerKind.ACK_DEADLINE, now, seq=-1), now, reason="delivery_failed")


async def acknowledge(tx: Transaction, incident: Incident, actor: Actor, now: datetime) -> bool:
    """Record the first acknowledgement (who: user id and name), stop every ping, refresh posted alerts."""
    if not await tx.incidents.acknowledge(incident.id, actor.name or actor.user_id, now, actor_id=actor.key):
        return False
    await tx.timers.cancel(incident_id=incident.id, kinds=(TimerKind.ACK_DEADLINE,))
    await tx.audit.add(AuditEvent(now, "acknowledged", actor=actor.key, actor_name=actor.name, incident_id=incident.id))
    await refresh_alerts(tx, incident, now, "update")
    return True


async def refresh_alerts(tx: Transaction, incident: Incident, now: datetime, key: str) -> None:
    """Replace every posted copy of the alert with how it looks now (acknowledged, new level)."""
    for sent in await tx.outbox.sent_for_incident(incident.id):
        if sent.kind in ALERT_KINDS and sent.message_ref:
            await tx.outbox.add(Delivery(
                kind=DeliveryKind.ALERT_UPDATE, target=sent.target, incident_id=incident.id, role=sent.role,
                payload=AlertUpdatePayload(sent.message_ref), dedupe_key=f"{key}:{sent.id}", next_attempt_at=now))


async def _no_targets(tx: Transaction, incident: Incident, now: datetime, roles: tuple[Role, ...]) -> None:
    """No channel is configured for these roles: never skip silently."""
    await tx.audit.add(AuditEvent(now, "no_targets", detail=", ".join(r.value for r in roles) or "-",
                                  incident_id=incident.id))


def _addresses(planned: tuple[PlannedTarget, ...]) -> str:
    return ", ".join(f"{p.role.value}@{p.target.platform.value}:{p.target.address}" for p in planned) or "(none)"


async def fire_ack_deadline(tx: Transaction, timer: Timer, now: datetime) -> None:
    """Timer handler for TimerKind.ACK_DEADLINE."""
    incident = await tx.incidents.get(timer.incident_id) if timer.incident_id is not None else None
    if incident is not None:
        await on_ack_deadline(tx, incident, timer, now)
