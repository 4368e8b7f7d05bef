"""Incident cards: the channel alert, the reporter's confirmation, the unknown-command answer.

Channel alerts carry a summary and the case number, never the reporter's feelings, health
or support needs (those are 要配慮個人情報, HR only).
"""
from __future__ import annotations

from datetime import datetime

from flows.cards import ActionId, Card, CardAction, Tone
from flows.i18n import Translator, local_time
from flows.incidents.report_form import signal_label
from flows.model import Incident, RiskLevel
from flows.policy import Policy
from flows.reports.alerts import customer_lines

SUMMARY_MAX = 300
_TONE = {RiskLevel.L1: Tone.INFO, RiskLevel.L2: Tone.WARNING, RiskLevel.L3: Tone.DANGER, RiskLevel.L4: Tone.DANGER}


def level_text(level: RiskLevel, t: Translator) -> str:
    return f"{level.name} {t(f'level.{level.name}')}"


def reasons_text(incident: Incident, policy: Policy, t: Translator) -> str:
    by_id = {s.id: s for s in policy.signals}
    labels = [signal_label(by_id[r], t) if r in by_id else t(f"signal.{r}") if t.has(f"signal.{r}") else r
              for r in incident.reasons]
    text = "、".join(labels) if t.locale == "ja" else ", ".join(labels)
    if incident.level > incident.assessed_level:
        text = t("reason.raised_by_reporter", reasons=text or "-")
    return text or t("reason.none")


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def alert_card(incident: Incident, policy: Policy, t: Translator, *, deadline: datetime | None,
               kind: str = "alert") -> Card:
    """Build the channel alert: what, level and why, what to do now, the deadline — first.

    `kind` is "alert" (first notice), "reminder" (not yet acknowledged) or "escalation"
    (next tier, because nobody acknowledged in time).
    """
    tz = policy.timezone
    unit = policy.unit(incident.unit_id).name if policy.has_unit(incident.unit_id) else incident.unit_id
    level = incident.level
    title = t(f"alert.title.{kind}", level=level_text(level, t), case=incident.case_no, unit=unit)
    lines = [
        _summary(incident.description) if not incident.is_sos else t("alert.sos_line", place=incident.place or "-"),
        t(f"alert.todo.{level.name}"),
    ]
    lines += customer_lines(incident.customer, tz, t, window_days=policy.reports.repeat_window.days)
    fields = [
        (t("field.case"), incident.case_no),
        (t("field.level"), level_text(level, t)),
        (t("field.reasons"), reasons_text(incident, policy, t)),
        (t("field.unit"), unit),
        (t("field.occurred_at"), local_time(incident.occurred_at, tz)),
        (t("field.contact_channel"), t(f"contact_channel.{incident.contact_channel}")
         if incident.contact_channel else "-"),
    ]
    if incident.place:
        fields.append((t("field.place"), incident.place))
    if incident.level_changed_at:
        lines.append(t("level.changed", new=level_text(level, t), who=incident.level_changed_by or "-",
                       at=local_time(incident.level_changed_at, tz), reason=incident.level_reason))
    change = CardAction(ActionId.CHANGE_LEVEL, t("action.change_level"), str(incident.id))
    if incident.acknowledged_at:
        return Card(
            title=title,
            lines=(*lines, t("alert.acknowledged", who=incident.acknowledged_by, at=local_time(incident.acknowledged_at, tz))),
            fields=tuple(fields),
            actions=(change,),
            tone=Tone.GOOD,
            summary=t("alert.summary_acknowledged", case=incident.case_no),
        )
    fields.append((t("field.deadline"), local_time(deadline, tz)))
    return Card(
        title=title,
        lines=tuple(lines),
        fields=tuple(fields),
        actions=(CardAction(ActionId.ACKNOWLEDGE, t("action.acknowledge"), str(incident.id), primary=True), change),
        tone=_TONE[level],
        footer=t("alert.footer"),
        summary=title,
    )


def confirmation_card(incident: Incident, policy: Policy, t: Translator, *, notified_roles: tuple[str, ...],
                      deadline: datetime | None, customer_ignored: bool = False) -> Card:
    """Tell the reporter at once: case number, level and why, what happens next."""
    lines: list[str] = []
    if incident.level is RiskLevel.L4:
        lines.append(t("confirm.call_110"))
    lines.append(t("confirm.thanks"))
    if customer_ignored:
        lines.append(t("confirm.customer_ignored"))
    elif incident.customer is not None and incident.customer.repeat:
        lines.append(t("confirm.repeat_customer", n=len(incident.customer.earlier)))
    lines.append(t("confirm.next", roles="、".join(t(f"role.{r}") for r in notified_roles) if t.locale == "ja"
                   else ", ".join(t(f"role.{r}") for r in notified_roles),
                   deadline=local_time(deadline, policy.timezone)))
    lines.append(t("confirm.later"))
    return Card(
        title=t("confirm.title", case=incident.case_no),
        lines=tuple(lines),
        fields=((t("field.case"), incident.case_no), (t("field.level"), level_text(incident.level, t)),
                (t("field.reasons"), reasons_text(incident, policy, t))),
        actions=(CardAction(ActionId.OPEN_REPORT, t("action.add_details"), f"edit:{incident.id}"),),
        tone=Tone.DANGER if incident.level is RiskLevel.L4 else Tone.INFO,
        summary=lines[0],
    )


def unknown_command_card(t: Translator) -> Card:
    return Card(title=t("unknown.title"), lines=(t("help.commands"),),
                actions=(CardAction(ActionId.OPEN_REPORT, t("action.report"), ""),))


def acknowledged_notice(incident: Incident, policy: Policy, t: Translator) -> Card:
    """Tell the reporter privately that help is coming: who acknowledged, and when."""
    when = local_time(incident.acknowledged_at, policy.timezone)
    lines = [t("ack.reporter.line", who=incident.acknowledged_by or "-", at=when)]
    if incident.level >= RiskLevel.L3:
        lines.append(t("ack.reporter.safety"))
    return Card(title=t("ack.reporter.title", case=incident.case_no), lines=tuple(lines), tone=Tone.GOOD,
                summary=lines[0])
