"""Incidents: report, SOS, acknowledge an alert, bind a chat channel to a role.

One verb per user action; the adapters call these through `flows.app.Flows.incidents`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from flows import access
from flows.cards import Card, Tone, notice_card
from flows.deps import Dependencies
from flows.forms import FormSpec, RawValues, validate
from flows.i18n import Translator, local_time, normalize_locale
from flows.incidents import escalation, level, messages
from flows.incidents.help import help_card
from flows.incidents.links import ReportLinkFlows
from flows.incidents.report_form import CONTACT_CHANNEL_FIELD, EDIT_PREFIX, SOS_PREFIX, build_report_form
from flows.incidents.risk import assess
from flows.incidents.sos import sos_card, sos_step
from flows.model import (
    Actor,
    AuditEvent,
    ChainStep,
    Delivery,
    DeliveryKind,
    Incident,
    IncidentDraft,
    PrivatePayload,
    RiskLevel,
    Role,
    Target,
    TimerKind,
)
from flows.payloads import plain
from flows.policy import extra_targets
from flows.ports import Transaction
from flows.reports.repeat import FIELD as CUSTOMER_FIELD
from flows.reports.repeat import SIGNAL as REPEAT_SIGNAL
from flows.reports.repeat import RepeatCustomers
from flows.timers import TimerHandler

# Called in the transaction that opened an incident (the after-care plans its follow-ups).
OnOpened = Callable[[Transaction, Incident, datetime], Awaitable[None]]


async def _no_after_care(tx: Transaction, incident: Incident, now: datetime) -> None:
    return None


@dataclass(frozen=True)
class ReportOutcome:
    """Result of a submitted report form.

    Non-empty `errors` (field id -> localized message) means: show the form again with
    these messages next to the fields; nothing was stored.
    """

    errors: dict[str, str] = field(default_factory=dict)
    card: Card | None = None  # the reporter's private confirmation
    incident: Incident | None = None
    duplicate: bool = False  # the same request key was processed before: same incident


@dataclass(frozen=True)
class AckOutcome:
    card: Card  # the alert as it must now look for everyone (acknowledged by whom, when)
    first: bool  # False when somebody had already acknowledged (double click, second manager)
    incident: Incident
    notice: Card | None = None  # for the clicker when not first: who acknowledged it, and when
    refused: bool = False  # `card` is then the private refusal to show the clicker only


class IncidentFlows:
    """Every user action of the incident side, platform-neutral.

    `on_opened` runs in the transaction that stores a new incident (report or SOS): the
    facade passes the after-care's scheduler, so a case never exists without its follow-ups.
    """

    def __init__(self, deps: Dependencies, *, on_opened: OnOpened = _no_after_care,
                 customers: RepeatCustomers | None = None):
        self.policy = deps.policy
        self._customers = customers or RepeatCustomers(deps.policy)
        self._store = deps.store
        self._clock = deps.clock
        self._wake = deps.wake
        self._on_opened = on_opened
        self.links = ReportLinkFlows(deps)  # report links per unit, receipt codes (web)
        self._forms: dict[str, FormSpec] = {}  # locale -> the report form (frozen; the policy is fixed)

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        """Handlers to register on `flows.timers.TimerSweep.on`."""
        return {TimerKind.ACK_DEADLINE: escalation.fire_ack_deadline}

    # -- reading ---------------------------------------------------------------------------
    def report_form(self, locale: str | None, *, context: str = "") -> FormSpec:
        t = self._t(locale)
        if context:  # an SOS's or a case's own form
            return build_report_form(self.policy, t, context=context)
        form = self._forms.get(t.locale)  # the plain form is the same for every report: built once
        if form is None:
            form = self._forms[t.locale] = build_report_form(self.policy, t)
        return form

    def help_card(self, locale: str | None) -> Card:
        return help_card(self.policy, self._t(locale))

    def unknown_command_card(self, locale: str | None) -> Card:
        return messages.unknown_command_card(self._t(locale))

    # -- reporting -------------------------------------------------------------------------
    async def submit_report(self, actor: Actor, raw: RawValues, *, locale: str | None, request_key: str,
                            context: str = "", receipt: str = "") -> ReportOutcome:
        """Validate, assess, store and alert — or return inline errors and store nothing.

        `receipt`: a code (links.draw_receipt) stored with the report in the same transaction,
        for a reporter without a chat account to come back with (the web).
        """
        t = self._t(locale)
        now = self._clock.now()
        checked = validate(self.report_form(locale, context=context), raw, t, now)
        if not checked.ok:
            return ReportOutcome(errors=checked.errors)
        if context.startswith(EDIT_PREFIX):
            return await self._complete(actor, _context_id(context), checked.values, t, now)
        try:
            async with self._store.transaction() as tx:
                known = await tx.requests.seen(request_key)
                if known is not None:
                    incident = await tx.incidents.get(known)
                    await _keep_receipt(tx, receipt, incident.id, now)
                    return ReportOutcome(card=self._confirmation(incident, t), incident=incident, duplicate=True)
                customer = await self._customers.check(tx, checked.values.get(CUSTOMER_FIELD), now)
                draft = self._draft(actor, checked.values, context, repeat=customer.match.repeat)
                incident = await self._open(tx, draft, self.policy.escalation[draft.level], now, request_key)
                await _keep_receipt(tx, receipt, incident.id, now)
                if customer.normalized:  # the alerts, rendered at send time, find the match through the link
                    await self._customers.remember(tx, incident, customer, now)
                    incident = await tx.incidents.get(incident.id)
                card = self._confirmation(incident, t, customer_ignored=customer.ignored)
                await self._send_private(tx, actor, card, f"confirm:{incident.id}")
        except DuplicateRequest:  # the same request committed concurrently: answer with that one
            async with self._store.transaction() as tx:
                incident = await tx.incidents.get(await tx.requests.seen(request_key))
                await _keep_receipt(tx, receipt, incident.id, now)
            return ReportOutcome(card=self._confirmation(incident, t), incident=incident, duplicate=True)
        self._wake()
        return ReportOutcome(card=card, incident=incident)

    async def raise_sos(self, actor: Actor, place: str, *, locale: str | None, request_key: str,
                        unit_id: str | None = None, receipt: str = "") -> Card:
        """Alert the field manager and leader at once; no form; the report can follow.

        `unit_id`: where it happens when the adapter knows (a unit's report link); else the
        reporter's last unit. `receipt`: as for submit_report.
        """
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            known = await tx.requests.seen(request_key)
            if known is not None:
                await _keep_receipt(tx, receipt, known, now)
                return sos_card(await tx.incidents.get(known), self.policy, t)
            if not unit_id or not self.policy.has_unit(unit_id):
                unit_id = await tx.incidents.last_unit_of(actor.key)
            if not unit_id or not self.policy.has_unit(unit_id):
                unit_id = self.policy.default_unit.id
            draft = IncidentDraft(unit_id=unit_id, reporter=actor, occurred_at=now, contact_channel="",
                                  description="", behaviours=(), danger=True, level=RiskLevel.L4,
                                  assessed_level=RiskLevel.L4, reasons=("sos",), place=place.strip()[:200],
                                  is_sos=True)
            incident = await self._open(tx, draft, sos_step(self.policy), now, request_key)
            await _keep_receipt(tx, receipt, incident.id, now)
        self._wake()
        return sos_card(incident, self.policy, t)

    # -- acknowledging ---------------------------------------------------------------------
    async def acknowledge(self, incident_id: int, actor: Actor, *, where: str = "",
                          locale: str | None = None) -> AckOutcome | None:
        """Acknowledge an alert from `where`; a second click (or a second manager) changes nothing.

        Only the people the incident's chain reaches may (flows.access); the reporter is told
        privately who acknowledged and when.
        """
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            incident, refusal = await self._may_act(tx, incident_id, actor, where, "acknowledge", t, now)
            if incident is None:
                return None
            if refusal is not None:
                return AckOutcome(card=refusal, first=False, incident=incident, refused=True)
            first = await escalation.acknowledge(tx, incident, actor, now)
            incident = await tx.incidents.get(incident_id)
            if first:
                reporter_t = Translator(self.policy.locale)
                await self._send_private(tx, incident.reporter,
                                         messages.acknowledged_notice(incident, self.policy, reporter_t),
                                         f"acknowledged:{incident.id}")
        if first:
            self._wake()
        card = messages.alert_card(incident, self.policy, t, deadline=None)
        notice = None if first else notice_card(t("ack.already", who=incident.acknowledged_by,
                                                  at=local_time(incident.acknowledged_at, self.policy.timezone)))
        return AckOutcome(card=card, first=first, incident=incident, notice=notice)

    def unknown_alert(self, locale: str | None) -> Card:
        """The answer to a button of an alert whose incident is gone (or never was)."""
        return notice_card(self._t(locale)("ack.unknown"), tone=Tone.WARNING)

    async def alert_card(self, incident_id: int, actor: Actor, *, where: str = "",
                         locale: str | None = None) -> Card | None:
        """Return an alert as it looks now (Teams card refresh) for whom may see it; None for an unknown id."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            incident, refusal = await self._may_act(tx, incident_id, actor, where, "view", t, self._clock.now())
            if incident is None or refusal is not None:
                return refusal
        return messages.alert_card(incident, self.policy, t, deadline=incident.ack_deadline)

    # -- re-classifying ----------------------------------------------------------------------
    async def level_form(self, incident_id: int, actor: Actor, *, where: str = "",
                         locale: str | None = None) -> FormSpec | Card | None:
        """The level change form for whom may act on the incident (else the refusal); None: unknown."""
        t = self._t(locale)
        async with self._store.transaction() as tx:
            incident, refusal = await self._may_act(tx, incident_id, actor, where, "change level of", t,
                                                    self._clock.now())
            if incident is None or refusal is not None:
                return refusal
        return level.level_form(incident, self.policy, t)

    async def change_level(self, incident_id: int, actor: Actor, raw: RawValues, *, where: str = "",
                           locale: str | None = None) -> ReportOutcome:
        """Re-classify with a reason: inline errors (nothing stored), a refusal, or the changed incident."""
        t = self._t(locale)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            incident, refusal = await self._may_act(tx, incident_id, actor, where, "change level of", t, now)
            if incident is None:
                return ReportOutcome(card=notice_card(t("complete.unknown"), tone=Tone.WARNING))
            if refusal is not None:
                return ReportOutcome(card=refusal)
            checked = validate(level.level_form(incident, self.policy, t), raw, t, now)
            if not checked.ok:
                return ReportOutcome(errors=checked.errors)
            new = RiskLevel.parse(str(checked.values["level"]))
            if new is incident.level:
                return ReportOutcome(card=notice_card(t("level.same", level=messages.level_text(new, t))),
                                     incident=incident)
            incident = await level.change_level(tx, self.policy, incident, actor, new,
                                                str(checked.values["reason"]).strip(), now)
        self._wake()
        return ReportOutcome(card=notice_card(t("level.done", case=incident.case_no,
                                                level=messages.level_text(incident.level, t)), tone=Tone.GOOD),
                             incident=incident)

    # -- configuration in chat -------------------------------------------------------------
    async def bind_target(self, actor: Actor, role: str, address: str, *, unit_id: str | None = None,
                          locale: str | None = None) -> Card:
        """Bind this channel to a role (admins only), e.g. Teams `bind hr`."""
        t = self._t(locale)
        if not self.policy.is_admin(actor.platform, actor.user_id):
            async with self._store.transaction() as tx:
                await access.refuse(tx, t, actor, "bind", role.strip()[:40] or "-", access.Refusal.NOT_ADMIN,
                                    self._clock.now())
            return notice_card(t("bind.not_admin"), tone=Tone.WARNING)
        try:
            parsed = Role(role.strip().lower())
        except ValueError:
            return notice_card(t("bind.unknown_role", role=role or "-", roles=", ".join(r.value for r in Role)),
                                        tone=Tone.WARNING)
        unit_id = unit_id or self.policy.default_unit.id
        if not self.policy.has_unit(unit_id):
            return notice_card(t("bind.unknown_unit", unit=unit_id), tone=Tone.WARNING)
        async with self._store.transaction() as tx:
            await tx.bindings.bind(actor.platform, unit_id, parsed.value, address, actor.key, self._clock.now())
            await tx.audit.add(AuditEvent(self._clock.now(), "bound", actor=actor.key, actor_name=actor.name,
                                          detail=f"{unit_id}/{parsed.value} -> {actor.platform.value}:{address}"))
        return notice_card(t("bind.done", role=t(f"role.{parsed.value}"), unit=self.policy.unit(unit_id).name),
                                    tone=Tone.GOOD)

    # -- helpers ---------------------------------------------------------------------------
    async def _may_act(self, tx: Transaction, incident_id: int, actor: Actor, where: str, action: str,
                       t: Translator, now: datetime) -> tuple[Incident | None, Card | None]:
        """Load the incident and check `actor` may act on it from `where` (flows.access).

        Returns (None, None) for an unknown id; a refusal card (audited) when they may not.
        """
        incident = await tx.incidents.get(incident_id)
        if incident is None:
            return None, None
        why = await access.incident_refusal(tx, self.policy, incident, actor, where)
        if why is None:
            return incident, None
        return incident, await access.refuse(tx, t, actor, action, incident.case_no, why, now,
                                             incident_id=incident.id)

    def _t(self, locale: str | None) -> Translator:
        return Translator(normalize_locale(locale, self.policy.locale))

    async def _open(self, tx: Transaction, draft: IncidentDraft, step: ChainStep, now: datetime,
                    request_key: str) -> Incident:
        extra = extra_targets(await tx.bindings.all())
        snapshot = escalation.snapshot_chain(self.policy, draft.unit_id, step, extra)
        incident = await tx.incidents.add(draft, snapshot, now)
        if not await tx.requests.remember(request_key, incident.id, now):
            raise DuplicateRequest(request_key)
        await tx.audit.add(AuditEvent(now, "reported", actor=draft.reporter.key, actor_name=draft.reporter.name,
                                      detail=f"{draft.level.name} ({', '.join(draft.reasons)})",
                                      incident_id=incident.id))
        await escalation.start_escalation(tx, incident, now)
        await self._on_opened(tx, incident, now)
        return incident

    async def _send_private(self, tx: Transaction, actor: Actor, card: Card, key: str) -> None:
        await tx.outbox.add(Delivery(kind=DeliveryKind.PRIVATE, target=Target(actor.platform, actor.user_id),
                                     payload=PrivatePayload(plain(card)), dedupe_key=key,
                                     next_attempt_at=self._clock.now()))

    async def _complete(self, actor: Actor, incident_id: int | None, values: dict, t: Translator,
                        now: datetime) -> ReportOutcome:
        """Add the optional details to an existing report (by its reporter or an admin)."""
        async with self._store.transaction() as tx:
            incident = await tx.incidents.get(incident_id) if incident_id else None
            if incident is None:
                return ReportOutcome(card=notice_card(t("complete.unknown"), tone=Tone.WARNING))
            if incident.reporter.key != actor.key and not self.policy.is_admin(actor.platform, actor.user_id):
                return ReportOutcome(card=notice_card(t("complete.not_yours"), tone=Tone.WARNING))
            changes = {k: v for k, v in values.items() if v not in (None, "", ())}
            given = changes.pop(CUSTOMER_FIELD, None)
            if given and incident.customer is None:  # named later: linked for later matches, the level stays
                customer = await self._customers.check(tx, given, now)
                await self._customers.remember(tx, incident, customer, now)
                changes[CUSTOMER_FIELD] = "-"  # audited as completed (the identifier itself never is)
            if "requested_level" in changes:  # raising the level after the fact is a re-escalation: keep it simple
                changes.pop("requested_level")
            await tx.incidents.complete(incident.id, changes)
            await tx.audit.add(AuditEvent(now, "completed", actor=actor.key, actor_name=actor.name,
                                          detail=", ".join(sorted(changes)) or "-",
                                          incident_id=incident.id))
            incident = await tx.incidents.get(incident.id)
        return ReportOutcome(card=notice_card(t("complete.done", case=incident.case_no), tone=Tone.GOOD),
                             incident=incident)

    def _confirmation(self, incident: Incident, t: Translator, *, customer_ignored: bool = False) -> Card:
        step = incident.snapshot.step
        return messages.confirmation_card(incident, self.policy, t, notified_roles=tuple(r.value for r in step.notify),
                                          deadline=incident.ack_deadline, customer_ignored=customer_ignored)

    def _draft(self, actor: Actor, values: dict, context: str, *, repeat: bool = False) -> IncidentDraft:
        requested = values.get("requested_level")
        # A customer reported before (within the window) is the manual's L2 signal of repeated contact.
        signals = self.policy.signals + ((REPEAT_SIGNAL,) if repeat else ())
        observed = tuple(values["behaviours"]) + ((REPEAT_SIGNAL.id,) if repeat else ())
        found = assess(signals, observed, danger=values["danger"], duration_minutes=values.get("duration_minutes"),
                       requested=RiskLevel.parse(requested) if requested else None)
        sos_of = _context_id(context) if context.startswith(SOS_PREFIX) else None
        return IncidentDraft(
            unit_id=values["unit"], reporter=actor, occurred_at=values["occurred_at"],
            contact_channel=values[CONTACT_CHANNEL_FIELD],
            description=values["description"], behaviours=values["behaviours"], danger=values["danger"] != "none",
            level=found.level, assessed_level=found.assessed, reasons=found.reasons,
            place=values.get("place") or "", types=values.get("types", ()),
            duration_minutes=values.get("duration_minutes"), counterpart=values.get("counterpart") or "",
            injury_damage=values.get("injury_damage") or "", first_response=values.get("first_response") or "",
            evidence=values.get("evidence", ()), final_action=values.get("final_action", ()),
            prevention=values.get("prevention") or "", feelings_support=values.get("feelings_support") or "",
            sos_of=sos_of,
        )



async def _keep_receipt(tx: Transaction, receipt: str, incident_id: int, now: datetime) -> None:
    """Store a receipt code with its report (a resent form stores its new code for the same report)."""
    if receipt and not await tx.receipts.add(receipt, incident_id, now):
        raise ValueError("receipt code already taken: draw another with links.draw_receipt")


def _context_id(context: str) -> int | None:
    _, _, number = context.partition(":")
    return int(number) if number.isdigit() else None


class DuplicateRequest(Exception):
    """The same request was processed concurrently; the transaction is rolled back."""
