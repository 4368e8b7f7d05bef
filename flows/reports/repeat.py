"""Repeat customers at report time: match earlier reports, raise the level, remember the customer.

Called by the incident flows inside the transaction that stores the report, so a match and
the link it creates commit together with the incident.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.model import AuditEvent, Incident, RiskLevel
from flows.policy import Policy, Signal
from flows.ports import Transaction
from flows.reports.customers import MEASURES, CustomerMatch, normalize_identifier

FIELD = "customer_id"  # the report form's field id
SIGNAL = Signal("repeat_customer", RiskLevel.L2)  # manual §3-1: repeated contact is an L2 signal
IDENTIFIER_MAX = 200


@dataclass(frozen=True)
class CustomerCheck:
    """What a report said about its customer and what it matched."""

    given: bool = False  # the reporter wrote something
    normalized: str = ""  # empty when given but nothing usable (only spaces or punctuation)
    identifier: str = ""
    match: CustomerMatch = CustomerMatch()

    @property
    def ignored(self) -> bool:
        return self.given and not self.normalized


class RepeatCustomers:
    def __init__(self, policy: Policy):
        self.policy = policy

    async def check(self, tx: Transaction, text: object, now: datetime) -> CustomerCheck:
        identifier = str(text or "").strip()[:IDENTIFIER_MAX]
        if not identifier:
            return CustomerCheck()
        normalized = normalize_identifier(identifier)
        if not normalized:
            return CustomerCheck(given=True, identifier=identifier)
        match = await tx.customers.match(normalized, now - self.policy.reports.repeat_window)
        return CustomerCheck(True, normalized, identifier, match)

    async def remember(self, tx: Transaction, incident: Incident, check: CustomerCheck, now: datetime) -> None:
        if not check.normalized:
            return
        await tx.customers.link(incident.id, check.normalized, check.identifier, check.match, now)
        if check.match.repeat:
            await tx.audit.add(AuditEvent(now, "customer_matched", incident_id=incident.id, detail="earlier: " + ", ".join(
                e.case_no for e in check.match.earlier)))

    async def record_measure(self, tx: Transaction, incident: Incident, kind: str, note: str, actor: str,
                             now: datetime) -> bool:
        """Record a measure (warning letter, ban, police report…) against the customer of `incident`."""
        if kind not in MEASURES:
            raise ValueError(kind)
        if not await tx.customers.add_measure(incident.id, kind, note.strip()[:1000], actor, now):
            return False
        await tx.audit.add(AuditEvent(now, "customer_measure", actor=actor, incident_id=incident.id, detail=kind))
        return True
