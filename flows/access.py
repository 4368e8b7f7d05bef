"""Who may act on a case: one permission model for every capability and every platform.

A person acts from somewhere: `where` is the conversation the click, form or message came from
(a Slack channel id, a Teams conversation key; "" when unknown). The rules:

- an incident (acknowledge, change the level, see its card) is for the people its chain reaches:
  the click comes from a conversation the incident was alerted to, or the person is named in the
  policy for one of its roles; never its reporter;
- after-care (record, snooze, HR-only fields) is for the unit's hr targets and the follow-up's
  own and escalation roles, by conversation or by name;
- a consultation answer comes only from a conversation (or person) the case was posted to;
- `bind` is for the admins the policy names by user id (flows.policy.Policy.is_admin).

A refusal is a short private notice in the person's language, and the attempt is audited
(who, what, which case); nothing else changes.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

from flows.cards import Card, Tone, notice_card
from flows.i18n import Translator
from flows.incidents.escalation import ALERT_KINDS
from flows.model import Actor, AuditEvent, Delivery, FollowUp, Incident, Role, Target
from flows.policy import Policy, extra_targets
from flows.ports import Transaction


class Refusal(str, Enum):
    """Why an action was refused (the audit detail; the person sees one short message)."""

    OWN_REPORT = "own_report"  # the reporter on their own incident
    OUTSIDE_CHAIN = "outside_chain"  # not from a conversation the case reached, nor a named person
    NOT_HR = "not_hr"  # after-care of a unit whose hr targets this is not
    NOT_DESK = "not_desk"  # a consultation answer from outside that case's desk
    NOT_ADMIN = "not_admin"


def incident_roles(incident: Incident) -> tuple[Role, ...]:
    """Every role the incident's chain reaches (first tier and the next), as snapshotted."""
    snapshot = incident.snapshot
    if snapshot is None:
        return ()
    return tuple(dict.fromkeys((*snapshot.step.notify, *snapshot.step.then,
                                *(p.role for p in (*snapshot.first, *snapshot.then)))))


def reaches(targets: Iterable[Target], actor: Actor, where: str) -> bool:
    """Whether the person, or the conversation they act from, is one of `targets` on their platform."""
    return any(t.platform is actor.platform and t.address in (actor.user_id, where) and t.address
               for t in targets)


async def incident_refusal(tx: Transaction, policy: Policy, incident: Incident, actor: Actor,
                           where: str) -> Refusal | None:
    """None when `actor` may act on the incident from `where`, else why not."""
    if incident.reporter.platform is actor.platform and incident.reporter.user_id == actor.user_id:
        return Refusal.OWN_REPORT
    snapshot = incident.snapshot
    # The first tier is alerted when the incident opens; later tiers and re-alerts once sent.
    alerted = [p.target for p in snapshot.first] if snapshot else []
    alerted += [d.target for d in await tx.outbox.sent_for_incident(incident.id) if _is_alert(d)]
    planned = [p.target for p in (*snapshot.first, *snapshot.then)] if snapshot else []
    named = await _role_targets(tx, policy, incident.unit_id, incident_roles(incident))
    if reaches(alerted, actor, where):  # from a conversation it was posted to (or their own personal alert)
        return None
    if any(t.platform is actor.platform and t.address == actor.user_id for t in (*planned, *named)):
        return None  # a person the policy names for one of its roles, wherever they click from
    return Refusal.OUTSIDE_CHAIN


async def follow_up_refusal(tx: Transaction, policy: Policy, incident: Incident, follow_up: FollowUp, actor: Actor,
                            where: str) -> Refusal | None:
    """None when `actor` may record/snooze the follow-up (or see its HR-only fields) from `where`."""
    if incident.reporter.platform is actor.platform and incident.reporter.user_id == actor.user_id:
        return Refusal.OWN_REPORT
    roles = tuple(dict.fromkeys((Role.HR, follow_up.role, follow_up.escalate_to)))
    if reaches(await _role_targets(tx, policy, incident.unit_id, roles), actor, where):
        return None
    return Refusal.NOT_HR


def desk_reaches(targets: Iterable[Target], actor: Actor, where: str) -> bool:
    """A consultation answer: from a conversation the case was posted to, or by a person it was sent to."""
    return reaches(targets, actor, where)


async def refuse(tx: Transaction, t: Translator, actor: Actor, action: str, case: str, why: Refusal, now: datetime, *,
                 incident_id: int | None = None) -> Card:
    """Audit the refused attempt (who, what, which case, why) and return the private notice."""
    await tx.audit.add(AuditEvent(now, "refused", actor=actor.key, actor_name=actor.name,
                                  detail=f"{action} {case}: {why.value}", incident_id=incident_id))
    key = "access.own_report" if why is Refusal.OWN_REPORT else "access.refused"
    return notice_card(t(key), tone=Tone.WARNING)


async def _role_targets(tx: Transaction, policy: Policy, unit_id: str, roles: tuple[Role, ...]) -> list[Target]:
    extra = extra_targets(await tx.bindings.all())
    return [target for role in roles for target in policy.targets_of(unit_id, role, extra)]


def _is_alert(delivery: Delivery) -> bool:
    return delivery.kind in ALERT_KINDS
