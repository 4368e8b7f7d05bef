"""Risk assessment L1–L4 from observed behaviours (manual §3-1), table-driven.

The level is the highest level any observed signal reaches; the reporter may raise it,
never lower it. A company may replace the table in its policy file (`signals:`).
"""
from __future__ import annotations

from dataclasses import dataclass

from flows.model import RiskLevel
from flows.policy import Signal

L1, L2, L3, L4 = RiskLevel.L1, RiskLevel.L2, RiskLevel.L3, RiskLevel.L4

# Signal ids are stable (stored with each incident); labels live in the catalog under
# "signal.<id>" unless the policy file gives its own.
DEFAULT_SIGNALS: tuple[Signal, ...] = (
    Signal("rough_tone", L1),
    Signal("abuse", L2),
    Signal("repeated_contact", L2),
    Signal("long_restraint", L2),
    Signal("forced_recording", L2),
    Signal("excessive_demand", L2),
    Signal("threat", L3),
    Signal("discriminatory_insult", L3),
    Signal("sns_exposure", L3),
    Signal("refusal_to_leave", L3),
    Signal("forced_kneeling", L3),
    Signal("sexual_harassment", L3),
    Signal("personal_info_demand", L3),
    Signal("privacy_intrusion", L3),
    Signal("violence", L4),
    Signal("property_damage", L4),
    Signal("danger_to_life", L4),
    Signal("weapon", L4),
)

# Answers to the form's "danger / injury" question and the signal each one raises.
DANGER_SIGNALS = {
    "none": None,
    "danger_now": "danger_to_life",
    "injury": "violence",
    "damage": "property_damage",
}

LONG_TALK_MINUTES = 30  # manual: one-sided talk over 30 minutes is at least L2
LONG_TALK_SIGNAL = "long_restraint"


@dataclass(frozen=True)
class Assessment:
    level: RiskLevel  # the level used for escalation
    assessed: RiskLevel  # what the signals alone give
    reasons: tuple[str, ...]  # signal ids that reach the assessed level, table order
    raised_by_reporter: bool


def assess(
    table: tuple[Signal, ...],
    behaviours: tuple[str, ...],
    *,
    danger: str | None = None,
    duration_minutes: int | None = None,
    requested: RiskLevel | None = None,
) -> Assessment:
    """Assess the level: highest signal wins; a reporter's request may only raise it."""
    levels = {s.id: s.level for s in table}
    fired = [b for b in behaviours if b in levels]
    danger_signal = DANGER_SIGNALS.get(danger or "none")
    if danger_signal and danger_signal in levels:
        fired.append(danger_signal)
    if duration_minutes is not None and duration_minutes > LONG_TALK_MINUTES and LONG_TALK_SIGNAL in levels:
        fired.append(LONG_TALK_SIGNAL)
    fired = list(dict.fromkeys(fired))
    assessed = max((levels[f] for f in fired), default=L1)
    order = [s.id for s in table]
    reasons = tuple(sorted((f for f in fired if levels[f] == assessed), key=order.index))
    level = max(assessed, requested) if requested else assessed
    return Assessment(level, assessed, reasons, level > assessed)
