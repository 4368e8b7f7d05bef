"""The company's policy, validated: units, role targets, escalation chain, follow-ups.

Parsed from the policy file by `bot.config`; flows only see these typed values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flows.model import ChainStep, Platform, PlannedTarget, RiskLevel, Role, Target


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    parent: str | None
    targets: dict[Role, tuple[Target, ...]]


@dataclass(frozen=True)
class Signal:
    """One observed behaviour of the risk table and the level it reaches."""

    id: str
    level: RiskLevel
    label_ja: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class FollowUpRule:
    kind: str  # hearing, review, meeting, physician
    after: timedelta
    to: Role
    min_level: RiskLevel
    remind_every: timedelta = timedelta(days=1)
    escalate_after: timedelta = timedelta(days=2)
    escalate_to: Role = Role.DIVISION_HEAD


@dataclass(frozen=True)
class ConsultationRule:
    first_reply_within: timedelta = timedelta(hours=24)
    escalate_after: timedelta = timedelta(hours=48)
    forget_after_close: timedelta = timedelta(days=30)
    # A case nobody writes in is closed (and later forgotten), so no link is kept forever.
    close_after_idle: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReportRule:
    """The monthly report's posting (first working day, `post_at` local time) and repeat-customer matching."""

    monthly_post: bool = True
    post_at: time = time(9, 0)
    # Days that are not working days besides weekends: "MM-DD" every year or "YYYY-MM-DD" once.
    holidays: frozenset[str] = frozenset({"01-01", "01-02", "01-03"})
    repeat_window: timedelta = timedelta(days=180)

    def holidays_for(self, month) -> frozenset[date]:
        """The holidays of one month (a flows.reports.period.Month) as dates."""
        found = set()
        for text in self.holidays:
            try:
                day = date.fromisoformat(text if len(text) == 10 else f"{month.year:04d}-{text}")
            except ValueError:
                continue
            if (day.year, day.month) == (month.year, month.month):
                found.add(day)
        return frozenset(found)


@dataclass(frozen=True)
class Policy:
    timezone: str
    locale: str
    admins: dict[Platform, tuple[str, ...]]
    units: tuple[Unit, ...]
    escalation: dict[RiskLevel, ChainStep]
    signals: tuple[Signal, ...]
    follow_ups: tuple[FollowUpRule, ...] = ()
    consultation: ConsultationRule = field(default_factory=ConsultationRule)
    contacts: tuple[Contact, ...] = ()
    reports: ReportRule = field(default_factory=ReportRule)
    teams_tenants: tuple[str, ...] = ()  # Microsoft Entra tenants whose Teams may use the bot

    def unit(self, unit_id: str) -> Unit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(unit_id)

    def has_unit(self, unit_id: str) -> bool:
        return any(u.id == unit_id for u in self.units)

    @property
    def default_unit(self) -> Unit:
        """The first unit without a parent (the head office), else the first unit."""
        return next((u for u in self.units if u.parent is None), self.units[0])

    def targets_of(self, unit_id: str, role: Role, extra: dict[tuple[str, Role], tuple[Target, ...]] | None = None) -> tuple[Target, ...]:
        """Resolve a role's targets for a unit, walking up the parents (roles are inherited).

        `extra` holds bindings made in chat (Teams `bind <role>`), added to the unit's own.
        """
        seen: set[str] = set()
        current: str | None = unit_id
        while current is not None and current not in seen:
            seen.add(current)
            unit = self.unit(current)
            found = tuple(unit.targets.get(role, ())) + tuple((extra or {}).get((unit.id, role), ()))
            if found:
                return tuple(dict.fromkeys(found))
            current = unit.parent
        return ()

    def plan(self, unit_id: str, roles: tuple[Role, ...], extra=None) -> tuple[PlannedTarget, ...]:
        planned: list[PlannedTarget] = []
        for role in roles:
            planned.extend(PlannedTarget(role, t) for t in self.targets_of(unit_id, role, extra))
        return tuple(dict.fromkeys(planned))

    def is_admin(self, platform: Platform, user_id: str) -> bool:
        return user_id in self.admins.get(platform, ())


def extra_targets(bindings: list[tuple[Platform, str, str, str]]) -> dict[tuple[str, Role], tuple[Target, ...]]:
    """Group chat-made bindings (platform, unit, role, address) by (unit, role) for `Policy.targets_of`."""
    grouped: dict[tuple[str, Role], tuple[Target, ...]] = {}
    for platform, unit_id, role, address in bindings:
        key = (unit_id, Role(role))
        grouped[key] = grouped.get(key, ()) + (Target(platform, address),)
    return grouped
