"""SOS: alert the field manager and leader at once, and tell the person to get safe first."""
from __future__ import annotations

from flows.cards import ActionId, Card, CardAction, Tone
from flows.i18n import Translator
from flows.incidents.help import contact_fields
from flows.model import ChainStep, Incident, RiskLevel, Role
from flows.policy import Policy

SOS_ROLES = (Role.FIELD_MANAGER, Role.FIELD_LEADER)


def sos_step(policy: Policy) -> ChainStep:
    """SOS: the field manager and leader at once, with the L4 acknowledgement deadline."""
    l4 = policy.escalation[RiskLevel.L4]
    return ChainStep(RiskLevel.L4, SOS_ROLES, l4.ack_within, l4.then, l4.repeat_every, None)


def sos_card(incident: Incident, policy: Policy, t: Translator) -> Card:
    """Safety first for the person in danger; the report can wait."""
    return Card(
        title=t("sos.title"),
        lines=(t("sos.call_110"), t("sos.steps"), t("sos.sent", case=incident.case_no), t("sos.later")),
        fields=contact_fields(policy.contacts),
        actions=(CardAction(ActionId.OPEN_REPORT, t("action.complete_report"), f"sos:{incident.id}", primary=True),),
        tone=Tone.DANGER,
        summary=t("sos.call_110"),
    )
