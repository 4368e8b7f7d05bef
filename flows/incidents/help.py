"""The help card: first-response steps, phrase templates and outside contacts."""
from __future__ import annotations

from flows.cards import ActionId, Card, CardAction
from flows.i18n import Translator
from flows.policy import Contact, Policy


def help_card(policy: Policy, t: Translator) -> Card:
    """Show the five first-response steps, the phrase templates and outside contacts."""
    steps = tuple(t(f"help.step{i}") for i in range(1, 6))
    phrases = tuple(t(f"help.phrase.{p}") for p in ("boundary", "time", "end", "privacy"))
    return Card(
        title=t("help.title"),
        lines=(t("help.steps_heading"), *steps, t("help.phrases_heading"), *phrases, t("help.commands")),
        fields=contact_fields(policy.contacts),
        actions=(CardAction(ActionId.OPEN_REPORT, t("action.report"), ""),),
        summary=t("help.title"),
    )


def contact_fields(contacts: tuple[Contact, ...]) -> tuple[tuple[str, str], ...]:
    """Outside contacts (police, counselling lines) as card fields, at most ten."""
    return tuple((c.name, " ".join(x for x in (c.phone, c.url, c.note) if x)) for c in contacts[:10])
