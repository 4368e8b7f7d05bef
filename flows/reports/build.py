"""Build the monthly report of one month (and optionally one unit with its sub-units).

Pure: storage hands over the records (storage/reports.py), the caller the moment `now`;
every label comes from the `reports` catalog in the reader's language.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.i18n import Translator
from flows.incidents.messages import reasons_text
from flows.incidents.report_form import signal_label
from flows.model import AuditEvent, Consultation, FollowUp, Incident, RiskLevel
from flows.policy import Policy
from flows.reports.customers import Measure
from flows.reports.kpi import MonthKpis, Ratio, month_kpis
from flows.reports.model import AckChart, AuditCheck, Cell, MonthlyReport, Table, TrendChart
from flows.reports.period import Month, ReportInputError

TREND_MONTHS = 6  # the month and the five before it


@dataclass(frozen=True)
class RepeatCase:
    case_no: str
    created_at: datetime
    unit_id: str


@dataclass(frozen=True)
class RepeatCustomer:
    """A customer reported more than once in the window, with the cases and the measures taken."""

    digest: str
    identifier: str  # opened only for HR exports (--include-sensitive), else ""
    cases: tuple[RepeatCase, ...]
    measures: tuple[Measure, ...] = ()


@dataclass(frozen=True)
class ReportRecords:
    """What storage read for one report: the selected units' records up to the month's end."""

    incidents: tuple[Incident, ...]
    follow_ups: tuple[FollowUp, ...]
    events: tuple[AuditEvent, ...]
    consultations: tuple[Consultation, ...]
    audit: AuditCheck
    repeat_customers: tuple[RepeatCustomer, ...] = ()
    repeat_ids: frozenset[int] = frozenset()  # incidents that matched an earlier report
    earlier_cases: dict[int, tuple[str, ...]] = field(default_factory=dict)  # incident id -> earlier case numbers


def unit_scope(policy: Policy, unit_id: str | None) -> tuple[str, ...]:
    """The unit and every unit below it (roles are inherited downwards); all units for None."""
    if unit_id is None:
        return tuple(u.id for u in policy.units)
    if not policy.has_unit(unit_id):
        raise ReportInputError("report.error.unknown_unit", unit=unit_id,
                               known=", ".join(u.id for u in policy.units))
    scope, changed = {unit_id}, True
    while changed:
        below = {u.id for u in policy.units if u.parent in scope}
        changed = not below <= scope
        scope |= below
    return tuple(u.id for u in policy.units if u.id in scope)


def trend_start(month: Month, tz: str) -> datetime:
    return month.shift(-(TREND_MONTHS - 1)).start(tz)


def build_monthly_report(policy: Policy, month: Month, unit_id: str | None, records: ReportRecords, now: datetime,
                         *, locale: str | None = None, include_sensitive: bool = False) -> MonthlyReport:
    """Compute the KPIs of the month and the months before, and lay out every table."""
    t = Translator(locale or policy.locale)
    tz = policy.timezone
    scope = set(unit_scope(policy, unit_id))
    incidents = tuple(i for i in records.incidents if i.unit_id in scope)
    ids = {i.id for i in incidents}
    follow_ups = tuple(f for f in records.follow_ups if f.incident_id in ids)
    events = tuple(e for e in records.events if e.incident_id in ids)
    consultations = tuple(c for c in records.consultations if c.unit_id in scope)
    months = tuple(month.shift(-n) for n in range(TREND_MONTHS - 1, -1, -1))
    trend = tuple(month_kpis(m, tz, incidents, follow_ups, events, consultations, until=now,
                             reply_within=policy.consultation.first_reply_within, repeat_ids=records.repeat_ids)
                  for m in months)
    kpis = trend[-1]
    view = _View(policy, t, tz, records, include_sensitive)
    in_month = tuple(sorted((i for i in incidents if month.contains(i.created_at, tz)), key=lambda i: i.created_at))
    unit_label = policy.unit(unit_id).name if unit_id else t("report.all_units")
    tables = (
        view.incident_table(in_month),
        view.timeline_table(in_month, events),
        view.follow_up_table(month, follow_ups, incidents),
        view.kpi_table(trend),
        view.open_cases_table(kpis),
        view.consultation_table(trend),
        view.repeat_table(month, scope),
        view.audit_table(records.audit),
    )
    return MonthlyReport(
        month=month, unit_id=unit_id,
        title=t("report.title", month=_month_label(month, t), unit=unit_label),
        subtitle=t("report.subtitle", start=_date(month.start(tz), tz), end=_date(month.end(tz), tz, minus_day=True),
                   tz=tz, generated=_local(now, tz)),
        summary=view.summary(kpis, trend, records.audit),
        tables=tables, trend=view.trend_chart(trend), ack=view.ack_chart(in_month, kpis),
        kpis=kpis, trend_kpis=trend, sensitive=include_sensitive, empty=kpis.incidents == 0,
        labels={"page": t("report.pdf.page"), "kpis": t("report.section.kpis"), "summary": t("report.section.summary"),
                "incidents": t("report.section.incidents"), "sensitive": t("report.sensitive_notice"),
                "charts": t("report.section.charts")},
    )


def incident_table(policy: Policy, incidents: Sequence[Incident], *, locale: str | None = None,
                   include_sensitive: bool = False) -> Table:
    """Every report-form field of these incidents, localized (the CSV of `incidents export`)."""
    records = ReportRecords(tuple(incidents), (), (), (), AuditCheck(0, None, None, None))
    return _View(policy, Translator(locale or policy.locale), policy.timezone, records,
                 include_sensitive).incident_table(incidents)


class _View:
    """Localize records into rows (one method per table)."""

    def __init__(self, policy: Policy, t: Translator, tz: str, records: ReportRecords, include_sensitive: bool):
        self.policy, self.t, self.tz, self.records, self.sensitive = policy, t, tz, records, include_sensitive
        self.names = {i.reporter.key: i.reporter.name for i in records.incidents if i.reporter.name}
        self.targets = _target_labels(policy, t)
        self.signals = {s.id: s for s in policy.signals}

    # -- incidents -----------------------------------------------------------------------------
    def incident_table(self, incidents: Sequence[Incident]) -> Table:
        t = self.t
        columns = [t(f"report.col.{c}") for c in INCIDENT_COLUMNS]
        if self.sensitive:
            columns.append(t("report.col.feelings_support"))
        rows = []
        for i in incidents:
            row: list[Cell] = [
                i.case_no, _local(i.created_at, self.tz), _local(i.occurred_at, self.tz), self.unit_name(i.unit_id),
                i.place, self.label("contact_channel", i.contact_channel), f"{i.level.name} {t(f'level.{i.level.name}')}",
                i.assessed_level.name, reasons_text(i, self.policy, t), self.labels("type", i.types),
                self.behaviours(i.behaviours), t("report.yes") if i.danger else t("report.no"), i.description,
                i.duration_minutes, i.counterpart, i.first_response, self.labels("evidence", i.evidence),
                i.injury_damage, self.labels("final_action", i.final_action), i.prevention,
                self.person(i.reporter.key, i.reporter.name), t(f"report.status.{i.status.value}"),
                _local(i.acknowledged_at, self.tz) if i.acknowledged_at else "",
                self.names.get(i.acknowledged_by, i.acknowledged_by),
                _round((i.acknowledged_at - i.created_at).total_seconds() / 60) if i.acknowledged_at else None,
                t("report.yes") if i.is_sos else "", "、".join(self.records.earlier_cases.get(i.id, ())),
            ]
            if self.sensitive:
                row.append(i.feelings_support)
            rows.append(tuple(row))
        return Table("incidents", t("report.sheet.incidents"), tuple(columns), tuple(rows),
                     empty_note=t("report.no_incidents"))

    def timeline_table(self, incidents: Sequence[Incident], events: Sequence[AuditEvent]) -> Table:
        t = self.t
        cases = {i.id: i.case_no for i in incidents}
        rows = tuple((_local(e.at, self.tz), cases[e.incident_id], self.action(e.action),
                      self.person(e.actor), self.detail(e.detail))
                     for e in sorted(events, key=lambda e: (e.incident_id, e.at)) if e.incident_id in cases)
        return Table("timeline", t("report.sheet.timeline"),
                     tuple(t(f"report.col.{c}") for c in ("at", "case_no", "event", "actor", "detail")), rows,
                     empty_note=t("report.no_incidents"))

    def follow_up_table(self, month: Month, follow_ups: Sequence[FollowUp], incidents: Sequence[Incident]) -> Table:
        t = self.t
        cases = {i.id: i.case_no for i in incidents}
        columns = [t(f"report.col.{c}") for c in ("case_no", "follow_up", "role", "due", "fu_status", "recorded_by",
                                                     "recorded_at", "on_time", "record")]
        if self.sensitive:
            columns.append(t("report.col.record_sensitive"))
        rows = []
        for f in sorted(follow_ups, key=lambda f: f.due_at):
            if not month.contains(f.due_at, self.tz):
                continue
            on_time = "" if f.recorded_at is None else t("report.yes") if f.recorded_at <= f.due_at else t("report.no")
            row: list[Cell] = [cases.get(f.incident_id, ""), self.follow_up_kind(f.kind), t(f"role.{f.role.value}"),
                               _local(f.due_at, self.tz), t(f"report.fu_status.{f.status.value}"),
                               self.names.get(f.recorded_by, f.recorded_by), _local(f.recorded_at, self.tz)
                               if f.recorded_at else "", on_time, self.record_text(f.record)]
            if self.sensitive:
                row.append(self.record_text(f.sensitive))
            rows.append(tuple(row))
        return Table("follow_ups", t("report.sheet.follow_ups"), tuple(columns), tuple(rows),
                     empty_note=t("report.no_follow_ups"))

    # -- KPIs ----------------------------------------------------------------------------------
    def kpi_table(self, trend: Sequence[MonthKpis]) -> Table:
        t = self.t
        rows: list[tuple[Cell, ...]] = []

        def add(key: str, values, **fields) -> None:
            rows.append((t(f"report.kpi.{key}", **fields), *values))

        add("incidents", [k.incidents for k in trend])
        for level in RiskLevel:
            add("by_level", [k.by_level.get(level.name, 0) for k in trend], level=f"{level.name} {t(f'level.{level.name}')}")
        for code in TYPE_CODES:
            add("by_type", [k.by_type.get(code, 0) for k in trend], type=t(f"type.{code}"))
        for code in CHANNEL_CODES:
            add("by_channel", [k.by_channel.get(code, 0) for k in trend], channel=t(f"contact_channel.{code}"))
        for unit in self.policy.units:
            if any(unit.id in k.by_unit for k in trend):
                add("by_unit", [k.by_unit.get(unit.id, 0) for k in trend], unit=unit.name)
        add("sos", [k.sos for k in trend])
        add("ack_p50", [_round(k.ack_p50) for k in trend])
        add("ack_p90", [_round(k.ack_p90) for k in trend])
        add("ack_within", [self.ratio(k.ack_within) for k in trend])
        for level in RiskLevel:
            add("ack_within_level", [self.ratio(k.ack_within_by_level.get(level.name, Ratio())) for k in trend],
                level=level.name)
        add("unacknowledged", [k.unacknowledged for k in trend])
        add("re_escalated", [k.re_escalated for k in trend])
        add("escalations", [k.escalations for k in trend])
        add("long_duration", [k.long_duration for k in trend])
        add("repeat_customer", [k.repeat_customer for k in trend])
        kinds = list(dict.fromkeys(s.kind for k in trend for s in k.follow_ups))
        for kind in kinds:
            stats = [next((s for s in k.follow_ups if s.kind == kind), None) for k in trend]
            add("follow_up_on_time", [self.ratio(Ratio(s.on_time, s.due)) if s else "-" for s in stats],
                kind=self.follow_up_kind(kind))
            add("follow_up_missing", [s.missing if s else 0 for s in stats], kind=self.follow_up_kind(kind))
        add("open_cases", [len(k.open_cases) for k in trend])
        add("open_age_p50", [_round(k.open_age_p50) for k in trend])
        add("open_age_max", [_round(k.open_age_max) for k in trend])
        add("consultations", [k.consultations_started for k in trend])
        add("consultation_p50", [_round(k.consultation_p50_hours) for k in trend])
        add("consultation_within", [self.ratio(k.consultation_within) for k in trend],
            within=_duration_text(self.policy.consultation.first_reply_within, t))
        return Table("kpis", t("report.sheet.kpis"), (t("report.col.kpi"), *(str(k.month) for k in trend)),
                     tuple(rows))

    def open_cases_table(self, kpis: MonthKpis) -> Table:
        t = self.t
        rows = tuple((c.case_no, f"{c.level.name} {t(f'level.{c.level.name}')}", _round(c.age_days))
                     for c in kpis.open_cases)
        return Table("open_cases", t("report.sheet.open_cases"),
                     tuple(t(f"report.col.{c}") for c in ("case_no", "level", "age_days")), rows,
                     empty_note=t("report.no_open_cases"))

    def consultation_table(self, trend: Sequence[MonthKpis]) -> Table:
        """Counts only: never a consultation's content or code."""
        t = self.t
        rows = tuple((str(k.month), k.consultations_started, k.consultation_replied,
                      self.ratio(k.consultation_within), _round(k.consultation_p50_hours)) for k in trend)
        return Table("consultations", t("report.sheet.consultations"),
                     tuple(t(f"report.col.{c}") for c in ("month", "consult_started", "consult_replied",
                                                          "consult_within", "consult_p50")), rows)

    def repeat_table(self, month: Month, scope: set[str]) -> Table:
        t = self.t
        rows = []
        for n, customer in enumerate(self.records.repeat_customers, start=1):
            cases = [c for c in customer.cases if c.unit_id in scope]
            if len(cases) < 2 or not any(month.contains(c.created_at, self.tz) for c in cases):
                continue
            label = customer.identifier if self.sensitive and customer.identifier else t("report.customer_n", n=n)
            measures = "、".join(f"{t(f'report.measure.{m.kind}')}（{_date(m.at, self.tz)}）" for m in customer.measures)
            rows.append((label, len(cases), "、".join(f"{c.case_no}（{_date(c.created_at, self.tz)}）" for c in cases),
                         measures))
        return Table("repeat_customers", t("report.sheet.repeat_customers"),
                     tuple(t(f"report.col.{c}") for c in ("customer", "case_count", "cases", "measures")), tuple(rows),
                     empty_note=t("report.no_repeat_customers"))

    def audit_table(self, audit: AuditCheck) -> Table:
        t = self.t
        result = t("report.audit.intact") if audit.broken_at is None else t("report.audit.broken", row=audit.broken_at)
        period = f"{_local(audit.first_at, self.tz)} – {_local(audit.last_at, self.tz)}" if audit.first_at else "-"
        rows = ((t("report.audit.entries"), audit.entries), (t("report.audit.period"), period),
                (t("report.audit.result"), result))
        return Table("audit", t("report.sheet.audit"), (t("report.col.item"), t("report.col.value")), rows)

    # -- summary and charts ----------------------------------------------------------------------
    def summary(self, kpis: MonthKpis, trend: Sequence[MonthKpis], audit: AuditCheck) -> tuple[str, ...]:
        t = self.t
        if kpis.incidents == 0:
            lines = [t("report.no_incidents")]
        else:
            levels = " / ".join(f"{name} {n}" for name, n in kpis.by_level.items() if n)
            lines = [t("report.summary.incidents", n=kpis.incidents, levels=levels,
                       change=_signed(kpis.incidents - trend[-2].incidents) if len(trend) > 1 else "-")]
            lines.append(t("report.summary.ack", p50=_fmt(kpis.ack_p50), p90=_fmt(kpis.ack_p90),
                           within=self.ratio(kpis.ack_within)))
            lines.append(t("report.summary.long", long=kpis.long_duration, re=kpis.re_escalated,
                           repeat=kpis.repeat_customer))
        for stats in kpis.follow_ups:
            lines.append(t("report.summary.follow_up", kind=self.follow_up_kind(stats.kind),
                           on_time=self.ratio(Ratio(stats.on_time, stats.due)), missing=stats.missing))
        lines.append(t("report.summary.open", n=len(kpis.open_cases), oldest=_fmt(kpis.open_age_max)))
        lines.append(t("report.summary.consultations", n=kpis.consultations_started,
                       p50=_fmt(kpis.consultation_p50_hours), within=self.ratio(kpis.consultation_within)))
        lines.append(t("report.summary.audit_ok", n=audit.entries) if audit.broken_at is None
                     else t("report.summary.audit_broken", n=audit.entries, row=audit.broken_at))
        return tuple(lines)

    def trend_chart(self, trend: Sequence[MonthKpis]) -> TrendChart:
        t = self.t
        return TrendChart(t("report.chart.trend"), tuple(_short_month(k.month, t) for k in trend),
                          tuple((f"{lvl.name} {t(f'level.{lvl.name}')}", tuple(k.by_level.get(lvl.name, 0) for k in trend))
                                for lvl in RiskLevel), t("report.chart.count"))

    def ack_chart(self, incidents: Sequence[Incident], kpis: MonthKpis) -> AckChart:
        t = self.t
        by_level: dict[str, list[float]] = {}
        for i in incidents:
            if i.acknowledged_at is not None:
                by_level.setdefault(i.level.name, []).append((i.acknowledged_at - i.created_at).total_seconds() / 60)
        same: dict[float, list[str]] = {}
        for lvl, step in sorted(self.policy.escalation.items()):
            if lvl.name in by_level:
                same.setdefault(step.ack_within.total_seconds() / 60, []).append(lvl.name)
        deadlines = tuple((t("report.chart.deadline", level="・".join(names)), minutes)
                          for minutes, names in sorted(same.items()))
        return AckChart(t("report.chart.ack"), tuple((name, tuple(v)) for name, v in sorted(by_level.items())),
                        deadlines, t("report.chart.minutes"), t("report.chart.count"), t("report.chart.no_acks"))

    # -- labels --------------------------------------------------------------------------------
    def unit_name(self, unit_id: str) -> str:
        return self.policy.unit(unit_id).name if self.policy.has_unit(unit_id) else unit_id

    def label(self, prefix: str, code: str) -> str:
        return self.t(f"{prefix}.{code}") if code and self.t.has(f"{prefix}.{code}") else code

    def labels(self, prefix: str, codes: Sequence[str]) -> str:
        return self._join(self.label(prefix, c) for c in codes)

    def behaviours(self, codes: Sequence[str]) -> str:
        return self._join(signal_label(self.signals[c], self.t) if c in self.signals else self.label("signal", c)
                          for c in codes)

    def person(self, key: str, name: str = "") -> str:
        return name or self.names.get(key) or (self.t("report.system") if key == "system" else key)

    def action(self, action: str) -> str:
        return self.t(f"report.event.{action}") if self.t.has(f"report.event.{action}") else action

    def detail(self, text: str) -> str:
        """Replace platform ids of policy targets with the unit and role they stand for."""
        return _TARGET.sub(lambda m: self.targets.get(m.group(0), m.group(0)), text)

    def follow_up_kind(self, kind: str) -> str:
        return self.t(f"fu.kind.{kind}") if self.t.has(f"fu.kind.{kind}") else kind

    def record_text(self, record: dict) -> str:
        parts = []
        for key, value in record.items():
            label = self.t(f"fu.field.{key}") if self.t.has(f"fu.field.{key}") else key
            if isinstance(value, (list, tuple)):
                shown = self._join(self.label(f"fu.{key}", str(v)) for v in value)
            else:
                shown = str(value)
            parts.append(f"{label}: {shown}")
        return "\n".join(parts)

    def ratio(self, ratio: Ratio) -> str:
        if not ratio.of:
            return "-"
        return f"{ratio.hit}/{ratio.of} ({round(100 * ratio.share)}%)"

    def _join(self, items) -> str:
        return ("、" if self.t.locale == "ja" else ", ").join(items)


INCIDENT_COLUMNS = ("case_no", "reported_at", "occurred_at", "unit", "place", "channel", "level", "assessed_level",
                    "reasons", "types", "behaviours", "danger", "description", "duration", "counterpart",
                    "first_response", "evidence", "injury_damage", "final_action", "prevention", "reporter", "status",
                    "acknowledged_at", "acknowledged_by", "ack_minutes", "sos", "earlier_cases")
TYPE_CODES = ("restraint", "repeat", "verbal_abuse", "violence", "intimidation", "authority", "online_defamation",
              "sexual")
CHANNEL_CODES = ("face_to_face", "phone", "email_chat", "sns", "privacy")
_TARGET = re.compile(r"\b(?:slack|teams):[^\s,;]+")


def _target_labels(policy: Policy, t: Translator) -> dict[str, str]:
    labels: dict[str, str] = {}
    for unit in policy.units:
        for role, targets in unit.targets.items():
            for target in targets:
                key = f"{target.platform.value}:{target.address}"
                labels.setdefault(key, f"{unit.name}/{t(f'role.{role.value}')}")
    return labels


def _local(moment: datetime | None, tz: str) -> str:
    return "" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _date(moment: datetime, tz: str, *, minus_day: bool = False) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    if minus_day:  # the last day of a period whose end is exclusive
        local -= timedelta(days=1)
    return local.strftime("%Y-%m-%d")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}".rstrip("0").rstrip(".")


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def _month_label(month: Month, t: Translator) -> str:
    return t("report.month", year=month.year, month=month.month)


def _short_month(month: Month, t: Translator) -> str:
    return t("report.month_short", year=month.year, month=month.month)


def _duration_text(delta, t: Translator) -> str:
    hours = delta.total_seconds() / 3600
    return t("report.hours", n=_fmt(hours))
