"""After-care of an incident: follow-ups (72-hour hearing, 2-week review, first meeting) and check-in.

`AftercareFlows` is the capability's service: follow-ups here, the employee's check-in in
checkin.py, HR-only deliveries in hr.py.

Everything runs on durable timers and the outbox: a reminder that fell due while the bot was
down goes out once after a restart, and an overdue follow-up is reminded and escalated until
someone records it — nothing is dropped because nobody clicked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows import access
from flows.aftercare import checkin
from flows.aftercare import messages as cards
from flows.aftercare.forms import build_record_form, split_record
from flows.aftercare.hr import to_hr
from flows.cards import Card, Tone, notice_card
from flows.deps import Dependencies
from flows.forms import FormSpec, RawValues, validate
from flows.i18n import Translator, local_time, normalize_locale
from flows.model import (
    Actor,
    AuditEvent,
    CardPayload,
    CardUpdatePayload,
    Delivery,
    DeliveryKind,
    FollowUp,
    FollowUpStatus,
    Incident,
    IncidentStatus,
    Role,
    Timer,
    TimerKind,
)
from flows.payloads import plain, sealed
from flows.policy import FollowUpRule, extra_targets
from flows.ports import Transaction
from flows.timers import TimerHandler

SNOOZE = timedelta(days=1)


@dataclass(frozen=True)
class RecordOutcome:
    """Result of a submitted record form.

    Non-empty `errors` (field id -> message): show the form again, nothing stored. Otherwise
    `card` is the follow-up as it must now look; it never holds the sensitive answers, so it
    may replace the reminder in any channel. `first` is False when someone recorded it before.
    """

    errors: dict[str, str] = field(default_factory=dict)
    card: Card | None = None
    first: bool = False
    follow_up: FollowUp | None = None
    refused: bool = False  # `card` is the private refusal: change nothing that others see


async def close_case(tx: Transaction, incident_id: int, now: datetime) -> int:
    """Close an incident's case: its open follow-ups are cancelled; return how many.

    Recording the 2-week review closes the case (manual §5-4). A closed case pings nobody
    again: not its alert, not its follow-ups, not its check-in (every pending timer goes).
    """
    await tx.incidents.close(incident_id)
    cancelled = await tx.follow_ups.cancel_open(incident_id, now)
    await tx.timers.cancel(incident_id=incident_id)
    return cancelled


class AftercareFlows:
    """Schedule, remind, escalate and record the after-care of incidents."""

    def __init__(self, deps: Dependencies):
        self.policy = deps.policy
        self._store = deps.store
        self._clock = deps.clock
        self._wake = deps.wake

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        """Handlers to register on `flows.timers.TimerSweep.on`."""
        return {TimerKind.FOLLOW_UP: self.fire_follow_up, TimerKind.CHECKIN: self.fire_checkin}

    async def fire_checkin(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Ask the affected employee privately how they are (72 hours after the incident)."""
        await checkin.send_checkin(tx, self.policy, timer, now)

    async def checkin_answer(self, value: str, actor: Actor, *, locale: str | None, note: str = "") -> Card:
        """Pass the employee's check-in answer to HR targets only; thank the employee."""
        card, sent = await checkin.pass_answer(self._store, self.policy, self._clock.now(), value, actor, note,
                                               self._t(locale))
        if sent:
            self._wake()
        return card

    # -- scheduling (called by Flows._open in the incident's transaction) ---------------------
    async def schedule_for(self, tx: Transaction, incident: Incident, now: datetime) -> None:
        """Plan the incident's follow-ups and check-in, due after it happened (at once if overdue)."""
        if incident.sos_of is not None and await tx.follow_ups.for_incident(incident.sos_of):
            return  # this report completes an SOS whose after-care is already planned
        for rule in self.rules_for(incident):
            due = max(incident.occurred_at + rule.after, now)
            follow_up = await tx.follow_ups.add(FollowUp(incident.id, rule.kind, rule.to, due, rule.remind_every,
                                                         rule.escalate_after, rule.escalate_to))
            await tx.timers.add(Timer(TimerKind.FOLLOW_UP, due, incident_id=incident.id, ref_id=follow_up.id))
        await checkin.schedule_checkin(tx, incident, now)

    def rules_for(self, incident: Incident) -> list[FollowUpRule]:
        """The policy's rules for this level, plus the chain's first meeting (L3: within 1 hour)."""
        rules = [r for r in self.policy.follow_ups if incident.level >= r.min_level]
        step = incident.snapshot.step if incident.snapshot else None
        if step is not None and step.meeting_within and step.notify:
            rules.append(FollowUpRule("meeting", step.meeting_within, step.notify[0], step.level,
                                      remind_every=step.meeting_within, escalate_after=step.meeting_within,
                                      escalate_to=step.then[0] if step.then else Role.EXECUTIVES))
        return rules

    # -- timers ------------------------------------------------------------------------------
    async def fire_follow_up(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Remind the role of a due follow-up; escalate once overdue; plan the next reminder."""
        follow_up = await tx.follow_ups.get(timer.ref_id) if timer.ref_id is not None else None
        if follow_up is None or follow_up.status is not FollowUpStatus.OPEN:
            return
        incident = await tx.incidents.get(follow_up.incident_id)
        if incident is None or incident.status is IncidentStatus.CLOSED:
            return
        extra = extra_targets(await tx.bindings.all())
        follow_up.reminded += 1
        stage = "due" if follow_up.reminded == 1 else "overdue"
        reached = await self._remind(tx, follow_up, incident, follow_up.role, stage, extra, now)
        if follow_up.escalated_at is None and (now >= follow_up.escalate_at or not reached):
            follow_up.escalated_at = now  # overdue, or nobody to remind: the next tier, now
            await tx.audit.add(AuditEvent(now, "follow_up_escalated", incident_id=incident.id,
                                          detail=f"{follow_up.kind} #{follow_up.id} -> {follow_up.escalate_to.value}"))
        if follow_up.escalated_at is not None:
            await self._remind(tx, follow_up, incident, follow_up.escalate_to, "escalated", extra, now)
        next_at = now + follow_up.remind_every
        if follow_up.escalated_at is None:
            next_at = min(next_at, follow_up.escalate_at)
        follow_up.snoozed_until = None
        await tx.follow_ups.save_progress(follow_up)
        await tx.timers.add(Timer(TimerKind.FOLLOW_UP, next_at, incident_id=incident.id, ref_id=follow_up.id,
                                  seq=follow_up.reminded))

    # -- actions -----------------------------------------------------------------------------
    async def record_form(self, follow_up_id: int, actor: Actor, *, where: str = "",
                          locale: str | None) -> FormSpec | Card:
        """Return the record form (FormSpec), or a Card when it is unknown, recorded or not theirs."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            follow_up, incident, refusal = await self._open_one(tx, follow_up_id, t)
            if refusal is None:
                refusal, _ = await self._refusal(tx, follow_up, incident, actor, where, "view", t)
            if refusal is not None:
                return refusal
            await tx.audit.add(AuditEvent(self._clock.now(), "follow_up_viewed", actor=actor.key, actor_name=actor.name,
                                          detail=f"{follow_up.kind} #{follow_up.id}", incident_id=incident.id))
        return build_record_form(follow_up, incident, self.policy, t)

    async def record(self, follow_up_id: int, actor: Actor, raw: RawValues, *, where: str = "",
                     locale: str | None, request_key: str) -> RecordOutcome:
        """Record a follow-up once; the review also closes the case; a second recorder is told who."""
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if request_key and await tx.requests.seen(request_key) == follow_up_id:  # the same submit again
                follow_up, incident = await self._load(tx, follow_up_id)
                return RecordOutcome(card=cards.recorded_card(follow_up, incident, self.policy, t), first=True,
                                     follow_up=follow_up)
            follow_up, incident, refusal = await self._open_one(tx, follow_up_id, t)
            if refusal is not None:
                return RecordOutcome(card=refusal, follow_up=follow_up)
            refusal, _ = await self._refusal(tx, follow_up, incident, actor, where, "record", t)
            if refusal is not None:
                return RecordOutcome(card=refusal, refused=True)
            checked = validate(build_record_form(follow_up, incident, self.policy, t), raw, t, now)
            if not checked.ok:
                return RecordOutcome(errors=checked.errors)
            record, sensitive = split_record(checked.values)
            if not await tx.follow_ups.record(follow_up.id, actor.name or actor.user_id, now, record, sensitive,
                                              actor_id=actor.key):
                follow_up = await tx.follow_ups.get(follow_up.id)
                return RecordOutcome(card=self._already(follow_up, t), follow_up=follow_up)
            if request_key:
                await tx.requests.remember(request_key, follow_up.id, now)
            await tx.timers.cancel(ref_id=follow_up.id, kinds=(TimerKind.FOLLOW_UP,))
            await tx.audit.add(AuditEvent(now, "follow_up_recorded", actor=actor.key, actor_name=actor.name,
                                          incident_id=incident.id,
                                          detail=f"{follow_up.kind} #{follow_up.id}"))
            follow_up = await tx.follow_ups.get(follow_up.id)
            if follow_up.sensitive:
                await to_hr(tx, self.policy, incident, cards.hr_record_card(follow_up, incident, self.policy,
                                                                      Translator(self.policy.locale)),
                                  f"follow_up:{follow_up.id}:record", now)
            await self._refresh_reminders(tx, follow_up, incident, now)
            if follow_up.kind == "review":
                cancelled = await close_case(tx, incident.id, now)
                await tx.audit.add(AuditEvent(now, "case_closed", actor=actor.key, actor_name=actor.name,
                                              incident_id=incident.id,
                                              detail=f"review #{follow_up.id}; open follow-ups cancelled: {cancelled}"))
        self._wake()
        return RecordOutcome(card=cards.recorded_card(follow_up, incident, self.policy, t), first=True,
                             follow_up=follow_up)

    async def snooze(self, follow_up_id: int, actor: Actor, *, where: str = "", locale: str | None) -> Card:
        """Postpone the next reminder by a day, never past the escalation."""
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            follow_up, incident, refusal = await self._open_one(tx, follow_up_id, t)
            if refusal is None:
                refusal, _ = await self._refusal(tx, follow_up, incident, actor, where, "snooze", t)
            if refusal is not None:
                return refusal
            pending = [x.due_at for x in await tx.timers.pending(ref_id=follow_up.id) if x.kind is TimerKind.FOLLOW_UP]
            until = max([now + SNOOZE, *pending])
            if follow_up.escalated_at is None:
                if now >= follow_up.escalate_at:
                    return notice_card(t("fu.snooze_refused"), tone=Tone.WARNING)
                until = min(until, follow_up.escalate_at)
            await tx.timers.cancel(ref_id=follow_up.id, kinds=(TimerKind.FOLLOW_UP,))
            await tx.timers.add(Timer(TimerKind.FOLLOW_UP, until, incident_id=incident.id, ref_id=follow_up.id,
                                      seq=follow_up.reminded))
            follow_up.snoozed_until = until
            await tx.follow_ups.save_progress(follow_up)
            await tx.audit.add(AuditEvent(now, "follow_up_snoozed", actor=actor.key, actor_name=actor.name,
                                          incident_id=incident.id,
                                          detail=f"{follow_up.kind} #{follow_up.id} until {until.isoformat()}"))
        return notice_card(t("fu.snoozed", until=local_time(until, self.policy.timezone)), tone=Tone.GOOD)

    # -- helpers -----------------------------------------------------------------------------
    def _t(self, locale: str | None) -> Translator:
        return Translator(normalize_locale(locale, self.policy.locale))

    async def _load(self, tx: Transaction, follow_up_id: int) -> tuple[FollowUp | None, Incident | None]:
        follow_up = await tx.follow_ups.get(follow_up_id)
        incident = await tx.incidents.get(follow_up.incident_id) if follow_up is not None else None
        return (follow_up, incident) if incident is not None else (None, None)

    async def _open_one(self, tx: Transaction, follow_up_id: int,
                        t: Translator) -> tuple[FollowUp | None, Incident | None, Card | None]:
        """Load an open follow-up, or the card saying why it can't be acted on (unknown, done)."""
        follow_up, incident = await self._load(tx, follow_up_id)
        if follow_up is None:
            return None, None, notice_card(t("fu.unknown"), tone=Tone.WARNING)
        if follow_up.status is not FollowUpStatus.OPEN:
            return follow_up, incident, self._already(follow_up, t)
        return follow_up, incident, None

    async def _refusal(self, tx: Transaction, follow_up: FollowUp, incident: Incident, actor: Actor, where: str,
                       action: str, t: Translator) -> tuple[Card | None, access.Refusal | None]:
        """After-care is for the unit's hr targets and the follow-up's roles (flows.access)."""
        why = await access.follow_up_refusal(tx, self.policy, incident, follow_up, actor, where)
        if why is None:
            return None, None
        card = await access.refuse(tx, t, actor, f"{action} follow-up #{follow_up.id} of", incident.case_no, why,
                                   self._clock.now(), incident_id=incident.id)
        return card, why

    def _already(self, follow_up: FollowUp, t: Translator) -> Card:
        if follow_up.status is FollowUpStatus.CANCELLED:
            return notice_card(t("fu.cancelled"))
        return notice_card(t("fu.already", who=follow_up.recorded_by or "-",
                             at=local_time(follow_up.recorded_at, self.policy.timezone)))

    async def _remind(self, tx: Transaction, follow_up: FollowUp, incident: Incident, role: Role, stage: str,
                      extra, now: datetime) -> bool:
        """Queue the reminder to every target of `role`; False (and audited) when there is none."""
        targets = self.policy.targets_of(incident.unit_id, role, extra)
        card = cards.reminder_card(follow_up, incident, self.policy, Translator(self.policy.locale), stage=stage,
                                   for_hr=role is Role.HR)
        for target in targets:
            await tx.outbox.add(Delivery(
                kind=DeliveryKind.CARD, target=target, incident_id=incident.id, role=role,
                payload=CardPayload(sealed(tx.secrets, card) if role is Role.HR else plain(card),
                                    follow_up_id=follow_up.id), next_attempt_at=now,
                dedupe_key=f"follow_up:{follow_up.id}:{follow_up.reminded}:{role.value}:"
                           f"{target.platform.value}:{target.address}"))
        await tx.audit.add(AuditEvent(now, "follow_up_reminded" if targets else "no_targets", incident_id=incident.id,
                                      detail=f"{follow_up.kind} #{follow_up.id} {stage} -> {role.value}: "
                                             + (", ".join(f"{x.platform.value}:{x.address}" for x in targets) or "-")))
        return bool(targets)

    async def _refresh_reminders(self, tx: Transaction, follow_up: FollowUp, incident: Incident,
                                 now: datetime) -> None:
        """Replace every posted reminder of a recorded follow-up, so no copy keeps live buttons."""
        card = cards.recorded_card(follow_up, incident, self.policy, Translator(self.policy.locale))
        for sent in await tx.outbox.sent_for_incident(incident.id):
            if isinstance(sent.payload, CardPayload) and sent.payload.follow_up_id == follow_up.id \
                    and sent.message_ref:
                await tx.outbox.add(Delivery(
                    kind=DeliveryKind.CARD_UPDATE, target=sent.target, incident_id=incident.id, role=sent.role,
                    payload=CardUpdatePayload(sent.message_ref, plain(card)), next_attempt_at=now,
                    dedupe_key=f"follow_up_update:{sent.id}"))
