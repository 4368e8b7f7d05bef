"""Domain values: incidents, risk levels, escalation plans, alerts and timers.

Plain dataclasses and enums; no platform, web or SQL types (see tests/test_architecture.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the reports capability's value; imported for the annotation only
    from flows.reports.customers import CustomerMatch

from flows.cards import Card


class Platform(str, Enum):
    SLACK = "slack"
    TEAMS = "teams"
    WEB = "web"  # the public web pages (report links, anonymous consultation) and the try-out console


class RiskLevel(IntEnum):
    L1 = 1
    L2 = 2
    L3 = 3
    L4 = 4

    @classmethod
    def parse(cls, text: str) -> "RiskLevel":
        """Parse 'L1'..'L4' (case-insensitive); raise ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown risk level {text!r}: use one of L1, L2, L3, L4") from None


class Role(str, Enum):
    """Roles of the manual (§3-2) that a policy file maps to channels or people."""

    FIELD_LEADER = "field_leader"
    FIELD_MANAGER = "field_manager"
    DIVISION_HEAD = "division_head"
    HR = "hr"
    LEGAL = "legal"
    EXECUTIVES = "executives"
    CRISIS = "crisis"
    CONSULTATION = "consultation"
    PR = "pr"
    IT = "it"


class IncidentStatus(str, Enum):
    OPEN = "open"  # alerted, nobody acknowledged yet
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class AlertTier(IntEnum):
    FIRST = 0  # the level's notify roles


@dataclass(frozen=True)
class Actor:
    """Someone acting through a chat platform."""

    platform: Platform
    user_id: str
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform.value}:{self.user_id}"


@dataclass(frozen=True)
class Target:
    """One place a message can be delivered: a channel or a user on a platform."""

    platform: Platform
    address: str


@dataclass(frozen=True)
class ChainStep:
    """The escalation rule of one level, copied into each incident when it starts."""

    level: RiskLevel
    notify: tuple[Role, ...]
    ack_within: timedelta
    then: tuple[Role, ...]
    repeat_every: timedelta | None = None
    meeting_within: timedelta | None = None

    @property
    def reminder_interval(self) -> timedelta:
        """How often an unacknowledged alert is repeated after the first escalation."""
        return self.repeat_every or self.ack_within


@dataclass(frozen=True)
class PlannedTarget:
    role: Role
    target: Target


@dataclass(frozen=True)
class EscalationSnapshot:
    """The chain and resolved targets of one incident, frozen at submit time.

    Editing the policy file never changes an escalation in flight (Grafana OnCall's
    escalation snapshot).
    """

    step: ChainStep
    first: tuple[PlannedTarget, ...]
    then: tuple[PlannedTarget, ...]


@dataclass
class IncidentDraft:
    """A validated report, ready to be stored."""

    unit_id: str
    reporter: Actor
    occurred_at: datetime
    contact_channel: str  # how the customer reached us (face to face, phone…): never a chat channel
    description: str
    behaviours: tuple[str, ...]
    danger: bool
    level: RiskLevel
    assessed_level: RiskLevel
    reasons: tuple[str, ...]
    place: str = ""
    types: tuple[str, ...] = ()
    duration_minutes: int | None = None
    counterpart: str = ""
    injury_damage: str = ""
    first_response: str = ""
    evidence: tuple[str, ...] = ()
    final_action: tuple[str, ...] = ()
    prevention: str = ""
    # 対応者所感・必要支援: sensitive personal data, HR only, never in channel alerts.
    feelings_support: str = ""
    is_sos: bool = False
    sos_of: int | None = None  # the SOS this report completes


@dataclass
class Incident(IncidentDraft):
    id: int = 0
    case_no: str = ""
    status: IncidentStatus = IncidentStatus.OPEN
    created_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""  # display name, for showing
    snapshot: EscalationSnapshot | None = None
    # The customer's earlier cases and the measures against them, as the alert showed them
    # (flows.reports.customers.CustomerMatch); None when the report named no customer.
    customer: CustomerMatch | None = None
    acknowledged_by_id: str = ""  # "platform:user id" of who acknowledged (names are not unique)
    level_reason: str = ""  # the last re-classification by a manager: why, by whom (name), when
    level_changed_by: str = ""
    level_changed_at: datetime | None = None

    @property
    def ack_deadline(self) -> datetime | None:
        """When the first alert must be acknowledged (created + the snapshot's ack_within)."""
        if self.snapshot is None or self.created_at is None:
            return None
        return self.created_at + self.snapshot.step.ack_within


class DeliveryKind(str, Enum):
    ALERT = "alert"  # first post of an incident alert to a target
    REMINDER = "reminder"  # re-post to an original target of an unacknowledged alert
    ESCALATION = "escalation"  # post to a next-tier target
    ALERT_UPDATE = "alert_update"  # refresh every posted alert (acknowledged by …)
    PRIVATE = "private"  # a message to one person (confirmation, check-in)
    CARD = "card"  # a generic card to a target (follow-up reminders, relays)
    CARD_UPDATE = "card_update"  # replace a posted card (e.g. every copy of a recorded reminder)
    REPORT = "report"  # the monthly summary and chart to an HR target (payload: month, unit)

    @property
    def urgency(self) -> int:
        """The outbox's order: 0 an incident's alerts (first post, reminder, escalation), 1 their
        updates, 2 everything else (confirmations, follow-ups, relays, reports)."""
        return _URGENCY.get(self, 2)


_URGENCY = {DeliveryKind.ALERT: 0, DeliveryKind.REMINDER: 0, DeliveryKind.ESCALATION: 0, DeliveryKind.ALERT_UPDATE: 1}


@dataclass(frozen=True)
class CardBody:
    """A card as the outbox keeps it: in clear, or sealed with KASUHARA_SECRET_KEY (flows.payloads)."""

    card: Card | None = None
    sealed: str = ""


@dataclass(frozen=True)
class AlertPayload:
    """ALERT, REMINDER, ESCALATION: nothing kept; the alert is rendered from the incident at send time."""


@dataclass(frozen=True)
class AlertUpdatePayload:
    """ALERT_UPDATE: refresh the posted alert `ref` (rendered at send time too)."""

    ref: str


@dataclass(frozen=True)
class PrivatePayload:
    """PRIVATE: a card to one person (sealed, with its case, for a consultation's employee)."""

    body: CardBody
    consultation_id: int | None = None


@dataclass(frozen=True)
class CardPayload:
    """CARD: a card to a target, and what it belongs to (a follow-up's reminder, a consultation's relay)."""

    body: CardBody
    follow_up_id: int | None = None
    consultation_id: int | None = None


@dataclass(frozen=True)
class CardUpdatePayload:
    """CARD_UPDATE: replace the posted card `ref`."""

    ref: str
    body: CardBody


@dataclass(frozen=True)
class ReportPayload:
    """REPORT: the monthly report of `month` ("YYYY-MM") for `unit` (None: every unit), drawn at send time."""

    month: str
    unit: str | None = None


Payload = AlertPayload | AlertUpdatePayload | PrivatePayload | CardPayload | CardUpdatePayload | ReportPayload


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up: recorded and escalated


@dataclass
class Delivery:
    """One outbound message, written to the outbox in the transaction that caused it."""

    kind: DeliveryKind
    target: Target
    incident_id: int | None = None
    role: Role | None = None
    tier: int = 0
    payload: Payload = field(default_factory=AlertPayload)  # the class of `kind` (flows.payloads)
    id: int = 0
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    message_ref: str = ""  # platform id of the posted message, for later updates
    error: str = ""
    dedupe_key: str = ""  # unique; a second enqueue with the same key is ignored
    created_at: datetime | None = None  # when it was queued (its transaction's time)
    in_doubt: bool = False  # an earlier attempt may have reached the platform: look before re-sending


class TimerKind(str, Enum):
    ACK_DEADLINE = "ack_deadline"
    MEETING = "meeting"
    FOLLOW_UP = "follow_up"  # ref_id: the follow-up; seq: reminders sent before
    CONSULTATION = "consultation"  # ref_id: the consultation; first-reply deadline chain
    CHECKIN = "checkin"  # the affected employee's private check-in (incident_id)
    CONSULTATION_FORGET = "consultation_forget"  # ref_id: erase the employee link after close
    CONSULTATION_IDLE = "consultation_idle"  # ref_id: close a case nobody wrote in for a long time
    MONTHLY_REPORT = "monthly_report"  # ref_id: YYYYMM of the month whose report is posted


@dataclass
class Timer:
    """A durable deadline; swept and fired once, even across restarts."""

    kind: TimerKind
    due_at: datetime
    incident_id: int | None = None
    ref_id: int | None = None  # the follow-up or consultation the timer belongs to
    seq: int = 0  # how many times this chain fired before (reminder count)
    id: int = 0
    fired_at: datetime | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class AuditEvent:
    """One line of the incident's history (エスカレーション先と時刻 and the audit trail)."""

    at: datetime
    action: str
    actor: str = "system"
    detail: str = ""
    incident_id: int | None = None
    actor_name: str = ""  # display name, for showing; `actor` is "platform:user id" (or system/anonymous)


class FollowUpStatus(str, Enum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"  # the case was closed before it was recorded


@dataclass
class FollowUp:
    """One after-care task of an incident (72-hour hearing, 2-week review, first meeting).

    The rule's timings are copied in when it is scheduled, like the escalation snapshot.
    `sensitive` (support decided, hearing notes) is sealed at rest and shown to HR only.
    """

    incident_id: int
    kind: str
    role: Role
    due_at: datetime
    remind_every: timedelta
    escalate_after: timedelta
    escalate_to: Role
    id: int = 0
    status: FollowUpStatus = FollowUpStatus.OPEN
    reminded: int = 0  # reminders sent so far (the next reminder's dedupe sequence)
    escalated_at: datetime | None = None
    snoozed_until: datetime | None = None
    recorded_by: str = ""  # display name, for showing
    recorded_by_id: str = ""  # "platform:user id" of who recorded it
    recorded_at: datetime | None = None
    record: dict = field(default_factory=dict)
    sensitive: dict = field(default_factory=dict)

    @property
    def escalate_at(self) -> datetime:
        return self.due_at + self.escalate_after


class ConsultationStatus(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class Consultation:
    """An anonymous consultation: a case code and its state, never the employee's id.

    The link to the employee is kept sealed by storage and reached only through
    `flows.ports.ConsultationLinks`.
    """

    code: str
    unit_id: str
    platform: Platform  # the employee's platform (where answers are delivered)
    created_at: datetime
    id: int = 0
    status: ConsultationStatus = ConsultationStatus.OPEN
    first_message_at: datetime | None = None
    first_reply_at: datetime | None = None
    closed_at: datetime | None = None
    revealed_name: str = ""  # given by the employee, with consent


@dataclass(frozen=True)
class ReportLink:
    """A unit's public report link (web); the token itself is never stored, only its keyed digest."""

    id: int
    unit_id: str
    created_at: datetime
    revoked_at: datetime | None = None
