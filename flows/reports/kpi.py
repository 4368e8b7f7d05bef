"""KPIs of one month, computed from plain records (definitions: README, "月次レポートのKPI").

Pure functions: the same records give the same numbers; nothing here reads a clock or a
database. `until` is the moment the numbers describe: the month's end, or now for the
running month.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.model import AuditEvent, Consultation, FollowUp, FollowUpStatus, Incident, IncidentStatus, RiskLevel
from flows.reports.period import Month

LONG_DURATION_MINUTES = 30  # manual §3-1: one-sided talk over 30 minutes is at least L2
FOLLOW_UP_ORDER = ("hearing", "review", "meeting", "physician")


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (p50 = the middle value, never an interpolation); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Ratio:
    hit: int = 0
    of: int = 0

    @property
    def share(self) -> float | None:
        return self.hit / self.of if self.of else None


@dataclass(frozen=True)
class FollowUpStats:
    kind: str
    due: int = 0  # due in the month (cancelled ones not counted)
    on_time: int = 0  # recorded by the due time
    late: int = 0  # recorded after the due time
    missing: int = 0  # not recorded yet and already past due


@dataclass(frozen=True)
class OpenCase:
    case_no: str
    level: RiskLevel
    age_days: float


@dataclass(frozen=True)
class MonthKpis:
    month: Month
    incidents: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_unit: dict[str, int] = field(default_factory=dict)
    sos: int = 0
    alerts: int = 0  # every alert incl. SOS alerts (the base of the response-time KPIs)
    ack_minutes: tuple[float, ...] = ()
    ack_p50: float | None = None
    ack_p90: float | None = None
    unacknowledged: int = 0
    ack_within: Ratio = Ratio()
    ack_within_by_level: dict[str, Ratio] = field(default_factory=dict)
    re_escalated: int = 0  # incidents whose alert went to the next tier (not acknowledged in time)
    escalations: int = 0  # next-tier escalations, every round counted
    long_duration: int = 0
    with_duration: int = 0
    repeat_customer: int = 0
    follow_ups: tuple[FollowUpStats, ...] = ()
    open_cases: tuple[OpenCase, ...] = ()
    consultations_started: int = 0
    consultation_replied: int = 0
    consultation_reply_hours: tuple[float, ...] = ()
    consultation_within: Ratio = Ratio()

    @property
    def open_age_p50(self) -> float | None:
        return percentile([c.age_days for c in self.open_cases], 0.5)

    @property
    def open_age_max(self) -> float | None:
        return max((c.age_days for c in self.open_cases), default=None)

    @property
    def consultation_p50_hours(self) -> float | None:
        return percentile(self.consultation_reply_hours, 0.5)


def counted(incidents: Iterable[Incident]) -> list[Incident]:
    """Reports to count: an SOS later completed by a report counts once, as that report."""
    incidents = list(incidents)
    completed = {i.sos_of for i in incidents if i.sos_of is not None}
    return [i for i in incidents if i.id not in completed]


def closed_times(events: Iterable[AuditEvent]) -> dict[int, datetime]:
    """When each case was closed (the first case_closed event of each incident)."""
    closed: dict[int, datetime] = {}
    for event in sorted(events, key=lambda e: e.at):
        if event.action == "case_closed" and event.incident_id is not None:
            closed.setdefault(event.incident_id, event.at)
    return closed


def month_kpis(month: Month, tz: str, incidents: Sequence[Incident], follow_ups: Sequence[FollowUp],
               events: Sequence[AuditEvent], consultations: Sequence[Consultation], *, until: datetime,
               reply_within: timedelta, repeat_ids: frozenset[int] = frozenset()) -> MonthKpis:
    """Compute every KPI of `month` from the records of the selected units.

    `incidents` may hold other months too (open cases are counted from every earlier one);
    `repeat_ids` are the incidents that matched an earlier report of the same customer.
    """
    start, end = month.start(tz), month.end(tz)
    until = min(until, end)
    in_month = [i for i in incidents if start <= i.created_at < end]
    reports = counted(in_month)
    by_type: Counter[str] = Counter()
    for incident in reports:
        by_type.update(dict.fromkeys(incident.types, 1))
    escalated_ids = Counter(e.incident_id for e in events if e.action == "escalated" and e.incident_id is not None)
    month_ids = {i.id for i in in_month}
    ack_minutes, within, within_by_level, unacknowledged = _acknowledgements(in_month, until)
    durations = [i.duration_minutes for i in reports if i.duration_minutes is not None]
    replied_hours, consult_within, started = _consultations(consultations, month, tz, until, reply_within)
    return MonthKpis(
        month=month,
        incidents=len(reports),
        by_level={level.name: sum(1 for i in reports if i.level is level) for level in RiskLevel},
        by_type=dict(by_type),
        by_channel=dict(Counter(i.contact_channel for i in reports if i.contact_channel)),
        by_unit=dict(Counter(i.unit_id for i in reports)),
        sos=sum(1 for i in in_month if i.is_sos),
        alerts=len(in_month),
        ack_minutes=tuple(ack_minutes),
        ack_p50=percentile(ack_minutes, 0.5),
        ack_p90=percentile(ack_minutes, 0.9),
        unacknowledged=unacknowledged,
        ack_within=within,
        ack_within_by_level=within_by_level,
        re_escalated=sum(1 for i in month_ids if escalated_ids.get(i)),
        escalations=sum(n for i, n in escalated_ids.items() if i in month_ids),
        long_duration=sum(1 for d in durations if d > LONG_DURATION_MINUTES),
        with_duration=len(durations),
        repeat_customer=sum(1 for i in reports if i.id in repeat_ids),
        follow_ups=_follow_ups(follow_ups, start, end, until),
        open_cases=_open_cases(incidents, closed_times(events), until),
        consultations_started=started,
        consultation_replied=len(replied_hours),
        consultation_reply_hours=tuple(replied_hours),
        consultation_within=consult_within,
    )


def _acknowledgements(alerts: Sequence[Incident], until: datetime):
    """Minutes from report to first acknowledgement, and the share within each level's ack_within.

    An alert whose deadline had not passed at `until` and that nobody acknowledged yet is not
    judged either way.
    """
    minutes: list[float] = []
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    unacknowledged = 0
    for incident in alerts:
        ack = incident.acknowledged_at if incident.acknowledged_at and incident.acknowledged_at <= until else None
        if ack is not None:
            minutes.append((ack - incident.created_at).total_seconds() / 60)
        else:
            unacknowledged += 1
        deadline = incident.ack_deadline
        if deadline is None or (ack is None and deadline > until):
            continue
        totals[incident.level.name] += 1
        if ack is not None and ack <= deadline:
            hits[incident.level.name] += 1
    by_level = {name: Ratio(hits[name], totals[name]) for name in (lvl.name for lvl in RiskLevel) if totals[name]}
    return minutes, Ratio(sum(hits.values()), sum(totals.values())), by_level, unacknowledged


def _follow_ups(follow_ups: Sequence[FollowUp], start: datetime, end: datetime,
                until: datetime) -> tuple[FollowUpStats, ...]:
    stats: dict[str, dict[str, int]] = {}
    for item in follow_ups:
        if not start <= item.due_at < end or item.status is FollowUpStatus.CANCELLED:
            continue
        counts = stats.setdefault(item.kind, {"due": 0, "on_time": 0, "late": 0, "missing": 0})
        counts["due"] += 1
        recorded = item.recorded_at if item.recorded_at and item.recorded_at <= until else None
        if recorded is not None:
            counts["on_time" if recorded <= item.due_at else "late"] += 1
        elif item.due_at <= until:
            counts["missing"] += 1
    order = {kind: n for n, kind in enumerate(FOLLOW_UP_ORDER)}
    return tuple(FollowUpStats(kind, **counts)
                 for kind, counts in sorted(stats.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def _open_cases(incidents: Sequence[Incident], closed: dict[int, datetime], until: datetime) -> tuple[OpenCase, ...]:
    """Cases reported by `until` and not closed then, oldest first."""
    found = []
    for incident in counted(i for i in incidents if i.created_at < until):
        closed_at = closed.get(incident.id)
        if closed_at is not None and closed_at <= until:
            continue
        if closed_at is None and incident.status is IncidentStatus.CLOSED:
            continue  # closed, time unknown (no event): not open
        found.append(OpenCase(incident.case_no, incident.level, (until - incident.created_at).total_seconds() / 86400))
    return tuple(sorted(found, key=lambda c: -c.age_days))


def _consultations(consultations: Sequence[Consultation], month: Month, tz: str, until: datetime,
                   reply_within: timedelta) -> tuple[list[float], Ratio, int]:
    """First-reply hours of the consultations started in the month, and the share within the deadline."""
    hours: list[float] = []
    hit = judged = started = 0
    for item in consultations:
        if not month.contains(item.created_at, tz):
            continue
        started += 1
        asked = item.first_message_at or item.created_at
        replied = item.first_reply_at if item.first_reply_at and item.first_reply_at <= until else None
        if replied is not None:
            hours.append((replied - asked).total_seconds() / 3600)
            judged += 1
            hit += replied - asked <= reply_within
        elif item.first_message_at is not None and until - asked > reply_within:
            judged += 1  # asked and not answered in time
    return hours, Ratio(hit, judged), started
