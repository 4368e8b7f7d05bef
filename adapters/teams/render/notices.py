"""Neutral cards that only the Teams adapter sends (texts from flows/locales/*/teams.json)."""
from __future__ import annotations

from flows.cards import ActionId, Card, CardAction, Tone
from flows.i18n import Translator


def report_launcher(t: Translator) -> Card:
    """Answer `report`: Teams opens forms in a dialog, which only a button can open."""
    return Card(title=t("teams.report.title"), lines=(t("teams.report.intro"),),
                actions=(CardAction(ActionId.OPEN_REPORT, t("teams.report.open"), "", primary=True),))


def notice(text: str, *, danger: bool = False) -> Card:
    """A one-line answer (errors, hints)."""
    return Card(title=text, tone=Tone.DANGER if danger else Tone.INFO)
