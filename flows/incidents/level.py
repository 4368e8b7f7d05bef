"""Re-classifying an incident's level: by a manager, with a reason kept in the audit trail.

domain.md: the reporter may raise the level (in the report form), never lower it; a manager may
re-classify later, with a reason. Raising alerts the new level's roles at once (the chain is
snapshotted again for the roles it adds) and tightens the acknowledgement deadline; lowering
stops nothing already sent. Both show on every posted alert and in the timeline.
"""
from __future__ import annotations

from datetime import datetime

from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator
from flows.incidents import escalation
from flows.incidents.messages import level_text
from flows.model import (
    Actor,
    AlertPayload,
    AuditEvent,
    Delivery,
    DeliveryKind,
    EscalationSnapshot,
    Incident,
    RiskLevel,
    Timer,
    TimerKind,
)
from flows.policy import Policy, extra_targets
from flows.ports import Transaction

FORM_ID = "incident_level"  # FormSpec.id; context = the incident id
REASON_MAX = 500


def level_form(incident: Incident, policy: Policy, t: Translator) -> FormSpec:
    """The level and a required reason (a change without a reason is an inline error)."""
    options = tuple(Option(level.name, level_text(level, t)) for level in RiskLevel)
    return FormSpec(
        invalid=t("form.error.required"),
        id=FORM_ID, title=t("level.title", case=incident.case_no), submit=t("level.submit"), close=t("fu.form.close"),
        fields=(Field("level", FieldKind.SELECT, t("level.field.level"), required=True, options=options,
                      initial=incident.level.name),
                Field("reason", FieldKind.TEXTAREA, t("level.field.reason"), required=True,
                      hint=t("level.hint.reason"), max_length=REASON_MAX)),
        timezone=policy.timezone, context=str(incident.id))


async def change_level(tx: Transaction, policy: Policy, incident: Incident, actor: Actor, level: RiskLevel,
                       reason: str, now: datetime) -> Incident:
    """Store the new level and reason, alert the roles a raise adds, refresh every posted alert."""
    old = incident.level
    snapshot = incident.snapshot
    if level > old and snapshot is not None:
        snapshot = await _raise(tx, policy, incident, level, snapshot, now)
    await tx.incidents.set_level(incident.id, level, snapshot, reason=reason, by=actor.name or actor.user_id, at=now)
    await tx.audit.add(AuditEvent(now, "level_changed", actor=actor.key, actor_name=actor.name,
                                  detail=f"{old.name} -> {level.name}: {reason}", incident_id=incident.id))
    changed = await tx.incidents.get(incident.id)
    await escalation.refresh_alerts(tx, changed, now, f"level:{now.timestamp():.0f}")
    return changed


async def _raise(tx: Transaction, policy: Policy, incident: Incident, level: RiskLevel,
                 snapshot: EscalationSnapshot, now: datetime) -> EscalationSnapshot:
    """Alert the roles the new level adds, snapshot them, tighten the acknowledgement deadline."""
    step = policy.escalation[level]
    extra = extra_targets(await tx.bindings.all())
    have_first, have_then = set(snapshot.first), set(snapshot.then)
    added_first = tuple(p for p in policy.plan(incident.unit_id, step.notify, extra) if p not in have_first)
    added_then = tuple(p for p in policy.plan(incident.unit_id, step.then, extra) if p not in have_then)
    for planned in added_first:
        await tx.outbox.add(Delivery(
            kind=DeliveryKind.ALERT, target=planned.target, incident_id=incident.id, role=planned.role, tier=0,
            payload=AlertPayload(), next_attempt_at=now,
            dedupe_key=f"alert:{incident.id}:{level.name}:{planned.role.value}:{planned.target.platform.value}:"
                       f"{planned.target.address}"))
    roles = ", ".join(dict.fromkeys(p.role.value for p in added_first)) or "-"
    await tx.audit.add(AuditEvent(now, "alerted", detail=f"{level.name}: {roles} -> "
                                  + (", ".join(f"{p.role.value}@{p.target.platform.value}:{p.target.address}"
                                               for p in added_first) or "(none)"), incident_id=incident.id))
    if incident.acknowledged_at is None:
        await tx.timers.cancel(incident_id=incident.id, kinds=(TimerKind.ACK_DEADLINE,))
        # A sequence of its own per level: escalation dedupe keys (escalation.py) must not meet earlier ones.
        await tx.timers.add(Timer(TimerKind.ACK_DEADLINE, now + step.ack_within, incident_id=incident.id,
                                  seq=int(level) * 1000))
    return EscalationSnapshot(step, snapshot.first + added_first, snapshot.then + added_then)
