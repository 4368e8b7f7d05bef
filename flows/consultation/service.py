"""Anonymous consultation by DM: offer, relay to the desk, answer back, close, forget.

The employee is never named to the desk (unless they choose to be), and no table, outbox row,
request key, audit line or log line carries their user id: storage seals the link and finds
it by a keyed digest; messages to the employee go to a sealed address ("consultation:<id>")
that the dispatcher opens only at send time.
"""
from __future__ import annotations

import uuid

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flows import access
from flows.cards import Card, Tone, notice_card
from flows.commands import CommandKind, parse_command
from flows.consultation import messages as cards
from flows.consultation.anonymity import CODE_RE, clean_text, draw_code, request_digest, sealed_address
from flows.consultation.desk import desk_targets, desk_translator, to_desk
from flows.consultation.lifecycle import ANONYMOUS, close_case, touch
from flows.consultation.timers import ConsultationTimers
from flows.deps import Dependencies
from flows.forms import FormSpec, RawValues, validate
from flows.i18n import Translator, local_time, normalize_locale
from flows.model import (
    Actor,
    AuditEvent,
    Consultation,
    ConsultationStatus,
    Delivery,
    DeliveryKind,
    Platform,
    PrivatePayload,
    Role,
    Target,
    Timer,
    TimerKind,
)
from flows.payloads import sealed
from flows.ports import Transaction
from flows.timers import TimerHandler

MAX_DESKS = 5


@dataclass(frozen=True)
class RevealOutcome:
    """Result of the reveal form: errors to show with the form again, or the employee's confirmation."""

    errors: dict[str, str] = field(default_factory=dict)  # show the form again; nothing stored
    card: Card | None = None


class ConsultationFlows:
    """Every step of an anonymous consultation, for the employee and for the desk."""

    def __init__(self, deps: Dependencies, *, new_code: Callable[[], str] = draw_code):
        self.policy = deps.policy
        self._store = deps.store
        self._clock = deps.clock
        self._wake = deps.wake
        self._new_code = new_code
        self._timers = ConsultationTimers(deps.policy)

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        """Handlers to register on `flows.timers.TimerSweep.on`."""
        return self._timers.handlers()

    # -- the employee ------------------------------------------------------------------------
    async def handle_dm(self, actor: Actor, text: str, *, has_attachment: bool, locale: str | None,
                        request_key: str = "") -> list[Card]:
        """Answer a DM: offer a consultation, or relay it to the open one; refuse attachments."""
        t = self._t(locale)
        command = parse_command(text)
        body = command.argument if command.kind is CommandKind.CONSULT else text
        now = self._clock.now()
        async with self._store.transaction() as tx:
            current = await tx.consultations.current_for(actor)
            if has_attachment:
                await tx.audit.add(AuditEvent(now, "consultation_attachment_refused", actor=ANONYMOUS,
                                              detail=current.code if current else "-"))
                return [cards.attachment_card(current, t)]
            if current is None:
                return [cards.offer_card(self._desks(), self.policy, t)]
            body = clean_text(body)
            if not body:
                return [cards.continue_card(current, t)]
            await self._relay(tx, current, body, request_key, now)
        self._wake()
        return [cards.relayed_card(current, t)]

    def offer_card(self, *, locale: str | None) -> Card:
        """The offer a DM without an open case gets: anonymity notice and one start per desk (the web's start page)."""
        return cards.offer_card(self._desks(), self.policy, self._t(locale))

    async def case_of(self, actor: Actor, code: str | None = None) -> Consultation | None:
        """The actor's case with this code (None unless it is theirs), or their newest open case."""
        async with self._store.transaction() as tx:
            if code is None:
                return await tx.consultations.current_for(actor)
            if not CODE_RE.match(code.upper()):
                return None
            return await self._owned(tx, actor, code.upper())

    async def start(self, actor: Actor, value: str = "", *, locale: str | None) -> Card:
        """CONSULT_START (value: unit id of the desk): open a case, or show the open one."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            current = await tx.consultations.current_for(actor)
            if current is not None:
                return cards.continue_card(current, t)
            consultation = await self._open(tx, actor, value)
        return cards.started_card(consultation, self.policy, t)

    async def start_new(self, actor: Actor, value: str = "", *, locale: str | None, request_key: str = "") -> Card:
        """CONSULT_NEW (value: unit id): open another case; the next DMs go to it."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            key = f"consult-new:{request_digest(tx.secrets, request_key)}"
            known = await tx.requests.seen(key) if request_key else None
            consultation = await tx.consultations.get(known) if known is not None else None
            if consultation is not None and not await tx.consultation_links.is_owner(consultation.id, actor):
                return notice_card(t("consult.unknown"), tone=Tone.WARNING)  # a key that isn't theirs
            if consultation is None:
                consultation = await self._open(tx, actor, value)
                if request_key:
                    await tx.requests.remember(key, consultation.id, self._clock.now())
        return cards.started_card(consultation, self.policy, t)

    def is_desk(self, actor: Actor) -> bool:
        """Whether the policy names this person (not a channel) as a consultation desk or HR.

        Adapters use it to tell a desk member's answer in their own DM thread from an
        employee's consultation DM without looking anyone's DM up in the database.
        """
        return any(target.platform is actor.platform and target.address == actor.user_id
                   for unit in self.policy.units for role in (Role.CONSULTATION, Role.HR)
                   for target in unit.targets.get(role, ()))

    async def close(self, actor: Actor, value: str, *, locale: str | None) -> Card:
        """CONSULT_CLOSE (value: case code): close the case; the link is erased after the grace period."""
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            consultation = await self._owned(tx, actor, value)
            if consultation is None:
                return notice_card(t("consult.unknown"), tone=Tone.WARNING)
            if not await close_case(tx, self.policy, consultation, "closed", now):
                return notice_card(t("consult.already_closed", code=consultation.code))
        self._wake()
        return cards.closed_card(consultation, self.policy, t)

    async def reveal_form(self, actor: Actor, value: str, *, locale: str | None) -> FormSpec | Card:
        """CONSULT_REVEAL (value: case code): ask which name the desk may see."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            consultation = await self._owned(tx, actor, value)
        if consultation is None or consultation.status is not ConsultationStatus.OPEN:
            return notice_card(t("consult.unknown"), tone=Tone.WARNING)
        return cards.reveal_form(consultation, actor.name, self.policy, t)

    async def reveal(self, actor: Actor, context: str, raw: RawValues, *, locale: str | None) -> RevealOutcome:
        """Give the desk the name the employee chose (consent recorded); never their user id."""
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            consultation = await self._owned(tx, actor, context)
            if consultation is None or consultation.status is not ConsultationStatus.OPEN:
                return RevealOutcome(card=notice_card(t("consult.unknown"), tone=Tone.WARNING))
            checked = validate(cards.reveal_form(consultation, actor.name, self.policy, t), raw, t, now)
            if not checked.ok:
                return RevealOutcome(errors=checked.errors)
            consultation.revealed_name = checked.values["name"]
            await tx.consultations.save(consultation)
            await to_desk(tx, self.policy, consultation, cards.desk_notice_card(consultation, "revealed", self.policy,
                                                                         desk_translator(self.policy)),
                                f"revealed:{uuid.uuid4().hex}", now)  # nothing derived from the name
            await tx.audit.add(AuditEvent(now, "consultation_name_given", actor=ANONYMOUS,
                                          detail=f"{consultation.code}: name given to the desk with consent"))
        self._wake()
        return RevealOutcome(card=notice_card(t("consult.revealed", code=consultation.code), tone=Tone.GOOD))

    # -- the desk ----------------------------------------------------------------------------
    def reply_form(self, code: str, *, locale: str | None) -> FormSpec:
        """CONSULT_REPLY (value: case code): the answer box; submit to `hr_reply` with the code."""
        return cards.reply_form(code, self.policy, self._t(locale))

    async def hr_reply(self, platform: Platform, actor: Actor, thread_ref_or_code: str, text: str, *,
                       where: str = "", locale: str | None, request_key: str = "") -> Card | None:
        """Send the desk's answer to the employee's DM; None when the thread is no consultation's.

        Only from the desk conversation (or thread) the case was posted to, or by a person it was
        sent to: a code from anywhere else gets the same answer as an unknown code (no probing).
        """
        t = self._t(locale)
        now = self._clock.now()
        ref = (thread_ref_or_code or "").strip()
        async with self._store.transaction() as tx:
            if CODE_RE.match(ref.upper()):
                consultation = await tx.consultations.get(code=ref)
                unknown = notice_card(t("consult.desk.unknown", code=ref.upper()), tone=Tone.WARNING)
            else:
                consultation = await tx.consultations.by_thread(platform, ref)
                unknown = None
            if consultation is None:
                return unknown
            # A reply in the thread of the case's own post comes from where it was posted (the
            # ref names the conversation); an answer by code must come from the desk.
            if unknown is not None and not access.desk_reaches(await desk_targets(tx, self.policy, consultation),
                                                               actor, where):
                await access.refuse(tx, t, actor, "answer", consultation.code, access.Refusal.NOT_DESK, now)
                return unknown
            if consultation.status is ConsultationStatus.CLOSED:
                return notice_card(t("consult.desk.closed", code=consultation.code,
                                     at=local_time(consultation.closed_at, self.policy.timezone)), tone=Tone.WARNING)
            body = clean_text(text)
            if not body:
                return notice_card(t("consult.desk.empty"), tone=Tone.WARNING)
            card = cards.answer_card(consultation, body, desk_translator(self.policy))
            await tx.outbox.add(Delivery(
                kind=DeliveryKind.PRIVATE, target=Target(consultation.platform, sealed_address(consultation.id)),
                payload=PrivatePayload(sealed(tx.secrets, card), consultation_id=consultation.id), next_attempt_at=now,
                dedupe_key=f"consult:{consultation.id}:out:{request_digest(tx.secrets, request_key)}"))
            if consultation.first_reply_at is None:
                consultation.first_reply_at = now
                await tx.consultations.save(consultation)
                await tx.timers.cancel(ref_id=consultation.id, kinds=(TimerKind.CONSULTATION,))
            await tx.audit.add(AuditEvent(now, "consultation_answered", actor=actor.key, actor_name=actor.name,
                                          detail=consultation.code))
            await touch(tx, self.policy, consultation, now)
        self._wake()
        return notice_card(t("consult.desk.sent", code=consultation.code), tone=Tone.GOOD)

    # -- helpers -----------------------------------------------------------------------------
    def _t(self, locale: str | None) -> Translator:
        return Translator(normalize_locale(locale, self.policy.locale))

    def _desks(self) -> list[tuple[str, str]]:
        """Units with a consultation desk of their own (the default unit when none has)."""
        own = [(u.id, u.name) for u in self.policy.units if u.targets.get(Role.CONSULTATION)]
        return own[:MAX_DESKS] or [(self.policy.default_unit.id, self.policy.default_unit.name)]

    async def _open(self, tx: Transaction, actor: Actor, unit_id: str) -> Consultation:
        now = self._clock.now()
        unit_id = unit_id if self.policy.has_unit(unit_id) else self.policy.default_unit.id
        for _ in range(20):  # 32**4 codes: a collision is rare, twenty in a row is a broken generator
            consultation = await tx.consultations.add(actor, self._new_code(), unit_id, now)
            if consultation is not None:
                await tx.audit.add(AuditEvent(now, "consultation_opened", actor=ANONYMOUS,
                                              detail=f"{consultation.code} ({unit_id})"))
                await touch(tx, self.policy, consultation, now)
                return consultation
        raise RuntimeError("could not draw a free consultation code in 20 tries: check new_code")

    async def _owned(self, tx: Transaction, actor: Actor, code: str) -> Consultation | None:
        consultation = await tx.consultations.get(code=code)
        if consultation is None or not await tx.consultation_links.is_owner(consultation.id, actor):
            return None
        return consultation

    async def _relay(self, tx: Transaction, consultation: Consultation, body: str, request_key: str,
                     now: datetime) -> None:
        if consultation.first_message_at is None:
            consultation.first_message_at = now
            await tx.consultations.save(consultation)
            await tx.timers.add(Timer(TimerKind.CONSULTATION, now + self.policy.consultation.first_reply_within,
                                      ref_id=consultation.id))
        card = cards.relay_card(consultation, body, self.policy, desk_translator(self.policy))
        await to_desk(tx, self.policy, consultation, card, f"in:{request_digest(tx.secrets, request_key)}", now)
        await touch(tx, self.policy, consultation, now)
        await tx.audit.add(AuditEvent(now, "consultation_message", actor=ANONYMOUS, detail=consultation.code))
