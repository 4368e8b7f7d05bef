"""KPI definitions on hand-made records (README: 月次レポートのKPI)."""
from datetime import datetime, timedelta, timezone

from flows.model import (
    Actor,
    AuditEvent,
    ChainStep,
    Consultation,
    EscalationSnapshot,
    FollowUp,
    FollowUpStatus,
    Incident,
    IncidentStatus,
    Platform,
    RiskLevel,
    Role,
)
from flows.reports.kpi import month_kpis, percentile
from flows.reports.period import Month

TZ = "Asia/Tokyo"
NOV = Month(2026, 11)
END = datetime(2026, 12, 1, tzinfo=timezone.utc)
ACK = {RiskLevel.L1: 60, RiskLevel.L2: 15, RiskLevel.L3: 15, RiskLevel.L4: 5}


def at(day, hour=1, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def incident(n, level, created, ack_after=None, **extra):
    step = ChainStep(level, (Role.FIELD_MANAGER,), timedelta(minutes=ACK[level]), (Role.DIVISION_HEAD,))
    return Incident(unit_id=extra.pop("unit_id", "chuo"), reporter=Actor(Platform.SLACK, "U1", "山田"),
                    occurred_at=created, contact_channel=extra.pop("channel", "phone"), description="", behaviours=(),
                    danger=False, level=level, assessed_level=level, reasons=(), id=n, case_no=f"K-{n}",
                    created_at=created, snapshot=EscalationSnapshot(step, (), ()),
                    acknowledged_at=created + timedelta(minutes=ack_after) if ack_after is not None else None,
                    **extra)


def follow_up(incident_id, kind, due, recorded=None, status=FollowUpStatus.OPEN):
    return FollowUp(incident_id, kind, Role.HR, due, timedelta(days=1), timedelta(days=2), Role.DIVISION_HEAD,
                    status=FollowUpStatus.DONE if recorded else status, recorded_at=recorded)


def kpis(incidents, follow_ups=(), events=(), consultations=(), until=END):
    return month_kpis(NOV, TZ, incidents, follow_ups, events, consultations, until=until,
                      reply_within=timedelta(hours=24))


def test_percentiles_are_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([10], 0.9) == 10
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([1, 2, 3, 4], 0.9) == 4
    assert percentile(list(range(1, 11)), 0.9) == 9


def test_counts_by_level_type_channel_and_unit_only_for_the_month():
    found = kpis([incident(1, RiskLevel.L2, at(3), 4, types=("verbal_abuse", "restraint")),
                  incident(2, RiskLevel.L3, at(5), 20, unit_id="honsha", channel="face_to_face",
                           types=("intimidation",)),
                  incident(3, RiskLevel.L1, datetime(2026, 10, 31, 14, 59, tzinfo=timezone.utc), 1)])  # 23:59 JST Oct
    assert found.incidents == 2
    assert found.by_level == {"L1": 0, "L2": 1, "L3": 1, "L4": 0}
    assert found.by_type == {"verbal_abuse": 1, "restraint": 1, "intimidation": 1}
    assert found.by_channel == {"phone": 1, "face_to_face": 1} and found.by_unit == {"chuo": 1, "honsha": 1}


def test_an_sos_completed_by_a_report_counts_once_but_both_alerts_count_for_response_times():
    sos = incident(1, RiskLevel.L4, at(3), 2, is_sos=True)
    completed = incident(2, RiskLevel.L3, at(3, 2), 10, sos_of=1)
    found = kpis([sos, completed])
    assert found.incidents == 1 and found.by_level["L3"] == 1 and found.sos == 1
    assert found.alerts == 2 and sorted(found.ack_minutes) == [2, 10]


def test_time_to_acknowledge_and_share_within_each_levels_deadline():
    found = kpis([incident(1, RiskLevel.L2, at(3), 4), incident(2, RiskLevel.L3, at(5), 20),
                  incident(3, RiskLevel.L1, at(10), 30), incident(4, RiskLevel.L4, at(12), 2),
                  incident(5, RiskLevel.L2, at(13))])  # never acknowledged: deadline missed
    assert found.ack_p50 == 4 and found.ack_p90 == 30
    assert (found.ack_within.hit, found.ack_within.of) == (3, 5)
    assert (found.ack_within_by_level["L2"].hit, found.ack_within_by_level["L2"].of) == (1, 2)
    assert found.unacknowledged == 1


def test_an_unacknowledged_alert_whose_deadline_has_not_passed_is_not_judged():
    found = kpis([incident(1, RiskLevel.L2, at(30, 14, 50))], until=at(30, 14, 55))
    assert found.ack_within.of == 0 and found.unacknowledged == 1


def test_re_escalations_long_duration_and_repeat_customers():
    events = [AuditEvent(at(5, 1, 15), "escalated", incident_id=2), AuditEvent(at(5, 1, 20), "escalated", incident_id=2)]
    found = month_kpis(NOV, TZ, [incident(1, RiskLevel.L2, at(3), 4, duration_minutes=45),
                                 incident(2, RiskLevel.L3, at(5), 20, duration_minutes=30)], (), events, (),
                       until=END, reply_within=timedelta(hours=24), repeat_ids=frozenset({2}))
    assert found.re_escalated == 1 and found.escalations == 2
    assert found.long_duration == 1 and found.with_duration == 2  # 30 minutes is not "over 30"
    assert found.repeat_customer == 1


def test_follow_ups_due_in_the_month_on_time_late_or_missing():
    found = kpis([incident(1, RiskLevel.L2, at(3), 4)], follow_ups=[
        follow_up(1, "hearing", at(6), recorded=at(5)),
        follow_up(1, "review", at(17), recorded=at(18)),
        follow_up(1, "hearing", at(20)),
        follow_up(1, "review", at(25), status=FollowUpStatus.CANCELLED),
        follow_up(1, "review", datetime(2026, 12, 3, tzinfo=timezone.utc)),
    ])
    hearing, review = found.follow_ups
    assert (hearing.kind, hearing.due, hearing.on_time, hearing.late, hearing.missing) == ("hearing", 2, 1, 0, 1)
    assert (review.kind, review.due, review.on_time, review.late, review.missing) == ("review", 1, 0, 1, 0)


def test_open_cases_at_month_end_with_their_age():
    old = incident(1, RiskLevel.L2, datetime(2026, 9, 30, tzinfo=timezone.utc), 5)
    closed = incident(2, RiskLevel.L2, at(3), 5, status=IncidentStatus.CLOSED)
    closed_late = incident(3, RiskLevel.L3, at(4), 5, status=IncidentStatus.CLOSED)
    events = [AuditEvent(at(20), "case_closed", incident_id=2),
              AuditEvent(datetime(2026, 12, 5, tzinfo=timezone.utc), "case_closed", incident_id=3)]
    found = kpis([old, closed, closed_late], events=events)
    assert [c.case_no for c in found.open_cases] == ["K-1", "K-3"]
    assert round(found.open_age_max, 1) == 61.6 and found.open_age_p50 == found.open_cases[1].age_days


def test_consultations_started_and_first_reply_against_the_deadline():
    def consultation(created, first_message=None, reply=None):
        return Consultation("", "chuo", Platform.SLACK, created, first_message_at=first_message, first_reply_at=reply)

    found = kpis([], consultations=[
        consultation(at(2), at(2), at(2, 6)),  # 5 hours
        consultation(at(3), at(3), at(5)),  # 2 days: late
        consultation(at(4), at(4)),  # never answered: late
        consultation(at(30, 14), at(30, 14)),  # asked an hour before the end: not judged yet
        consultation(datetime(2026, 10, 2, tzinfo=timezone.utc)),
    ])
    assert found.consultations_started == 4 and found.consultation_replied == 2
    assert (found.consultation_within.hit, found.consultation_within.of) == (1, 3)
    assert found.consultation_p50_hours == 5
