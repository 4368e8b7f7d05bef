"""The affected employee's private check-in: asked 72 hours after the incident, answered to HR only."""
from __future__ import annotations

from datetime import datetime, timedelta

from flows.aftercare import messages as cards
from flows.aftercare.hr import to_hr
from flows.cards import Card, Tone, notice_card
from flows.i18n import Translator
from flows.model import (
    Actor,
    AuditEvent,
    Delivery,
    DeliveryKind,
    Incident,
    IncidentStatus,
    PrivatePayload,
    RiskLevel,
    Target,
    Timer,
    TimerKind,
)
from flows.payloads import plain
from flows.policy import Policy
from flows.ports import Store, Transaction

CHECKIN_AFTER = timedelta(hours=72)  # manual §5-3: hear the affected employee within 72 hours
CHECKIN_MIN_LEVEL = RiskLevel.L2
NOTE_MAX = 3000


async def schedule_checkin(tx: Transaction, incident: Incident, now: datetime) -> None:
    """Plan the check-in of an L2+ incident's reporter (at once when it is overdue already)."""
    if incident.level >= CHECKIN_MIN_LEVEL and incident.reporter.user_id:
        await tx.timers.add(Timer(TimerKind.CHECKIN, max(incident.occurred_at + CHECKIN_AFTER, now),
                                  incident_id=incident.id))


async def send_checkin(tx: Transaction, policy: Policy, timer: Timer, now: datetime) -> None:
    """Ask the affected employee privately how they are (the CHECKIN timer)."""
    incident = await tx.incidents.get(timer.incident_id) if timer.incident_id is not None else None
    if incident is None or incident.status is IncidentStatus.CLOSED or not incident.reporter.user_id:
        return
    card = cards.checkin_card(incident, policy, Translator(policy.locale))
    reporter = incident.reporter
    await tx.outbox.add(Delivery(kind=DeliveryKind.PRIVATE, target=Target(reporter.platform, reporter.user_id),
                                 incident_id=incident.id, payload=PrivatePayload(plain(card)),
                                 dedupe_key=f"checkin:{incident.id}", next_attempt_at=now))
    await tx.audit.add(AuditEvent(now, "checkin_sent", incident_id=incident.id))


async def pass_answer(store: Store, policy: Policy, now: datetime, value: str, actor: Actor, note: str,
                      t: Translator) -> tuple[Card, bool]:
    """Pass the reporter's answer ("<incident id>:<choice>") to HR; return (the answer card, whether sent)."""
    incident_id, _, choice = value.partition(":")
    if not incident_id.isdigit() or choice not in cards.CHECKIN_CHOICES:
        return notice_card(t("checkin.unknown"), tone=Tone.WARNING), False
    note = note.strip()[:NOTE_MAX]
    async with store.transaction() as tx:
        incident = await tx.incidents.get(int(incident_id))
        if incident is None or incident.reporter.key != actor.key:
            return notice_card(t("checkin.unknown"), tone=Tone.WARNING), False
        card = cards.checkin_answer_card(incident, choice, note, policy, Translator(policy.locale))
        digest = tx.secrets.digest("checkin-note:" + note)[:12]  # keyed: the note may name someone
        await to_hr(tx, policy, incident, card, f"checkin:{incident.id}:{choice}:{digest}", now)
        await tx.audit.add(AuditEvent(now, "checkin_answered", actor=actor.key, incident_id=incident.id,
                                      detail="answer sent to hr"))
    return notice_card(t("checkin.thanks"), tone=Tone.GOOD), True
