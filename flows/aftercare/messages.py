"""After-care cards: follow-up reminders, records, the employee's check-in and its answer.

Feelings, health and support needs (要配慮個人情報) appear only on cards built with
`for_hr=True` or on the HR-only cards; callers send those to HR targets alone.
"""
from __future__ import annotations

from flows.aftercare.forms import answer_lines, kind_label, offers_physician
from flows.cards import ActionId, Card, CardAction, Tone
from flows.i18n import Translator, local_time
from flows.incidents.messages import level_text
from flows.model import FollowUp, Incident
from flows.policy import Policy

CHECKIN_CHOICES = ("ok", "talk", "support")  # CHECKIN_ANSWER values are "<incident id>:<choice>"


def _case_fields(incident: Incident, policy: Policy, t: Translator) -> list[tuple[str, str]]:
    unit = policy.unit(incident.unit_id).name if policy.has_unit(incident.unit_id) else incident.unit_id
    return [(t("field.case"), incident.case_no), (t("field.level"), level_text(incident.level, t)),
            (t("field.unit"), unit), (t("field.occurred_at"), local_time(incident.occurred_at, policy.timezone))]


def reminder_card(follow_up: FollowUp, incident: Incident, policy: Policy, t: Translator, *, stage: str,
                  for_hr: bool) -> Card:
    """Remind a role of a due follow-up; `stage` is "due", "overdue" or "escalated"."""
    kind = kind_label(follow_up.kind, t)
    title = t(f"fu.title.{stage}", kind=kind, case=incident.case_no)
    todo = f"fu.todo.{follow_up.kind}"
    lines = [t(todo) if t.has(todo) else t("fu.todo.other")]
    if offers_physician(follow_up, incident):
        lines.append(t("fu.physician"))
    if stage == "escalated":
        lines.append(t("fu.escalated_line", role=t(f"role.{follow_up.role.value}")))
    fields = _case_fields(incident, policy, t)
    fields.append((t("fu.field.due"), local_time(follow_up.due_at, policy.timezone)))
    if follow_up.escalated_at is None and stage != "escalated":
        fields.append((t("fu.field.escalates_at"), local_time(follow_up.escalate_at, policy.timezone)))
    if for_hr and incident.feelings_support:
        fields.append((t("fu.field.feelings_hr"), incident.feelings_support))
    actions = [CardAction(ActionId.RECORD_FOLLOW_UP, t("fu.action.record"), str(follow_up.id), primary=True)]
    if stage != "escalated":
        actions.append(CardAction(ActionId.SNOOZE_FOLLOW_UP, t("fu.action.snooze"), str(follow_up.id)))
    return Card(title=title, lines=tuple(lines), fields=tuple(fields), actions=tuple(actions),
                tone=Tone.INFO if stage == "due" else Tone.WARNING, footer=t("fu.footer"), summary=title)


def recorded_card(follow_up: FollowUp, incident: Incident, policy: Policy, t: Translator) -> Card:
    """Show that a follow-up is done, without its sensitive part (safe in any channel)."""
    lines = [t("fu.recorded_by", who=follow_up.recorded_by,
               at=local_time(follow_up.recorded_at, policy.timezone))]
    if follow_up.sensitive:
        lines.append(t("fu.sensitive_to_hr"))
    if follow_up.kind == "review":
        lines.append(t("fu.case_closed"))
    title = t("fu.title.recorded", kind=kind_label(follow_up.kind, t), case=incident.case_no)
    return Card(title=title, lines=tuple(lines), fields=answer_lines(follow_up.record, t), tone=Tone.GOOD,
                summary=title)


def hr_record_card(follow_up: FollowUp, incident: Incident, policy: Policy, t: Translator) -> Card:
    """The full record, sensitive part included: for HR targets only."""
    title = t("fu.title.hr_record", kind=kind_label(follow_up.kind, t), case=incident.case_no)
    fields = (*_case_fields(incident, policy, t), (t("fu.field.person"), incident.reporter.name or "-"),
              *answer_lines(follow_up.record, t), *answer_lines(follow_up.sensitive, t))
    return Card(title=title, lines=(t("fu.hr_only"), t("fu.recorded_by", who=follow_up.recorded_by,
                at=local_time(follow_up.recorded_at, policy.timezone))), fields=fields, summary=title)


def checkin_card(incident: Incident, policy: Policy, t: Translator) -> Card:
    """Ask the affected employee, privately, how they are and whether they need support."""
    contacts = tuple((c.name, " ".join(x for x in (c.phone, c.url, c.note) if x)) for c in policy.contacts[:10])
    return Card(
        title=t("checkin.title"),
        lines=(t("checkin.body", case=incident.case_no), t("checkin.private"), t("checkin.contacts")),
        fields=contacts,
        actions=tuple(CardAction(ActionId.CHECKIN_ANSWER, t(f"checkin.choice.{c}"), f"{incident.id}:{c}",
                                 primary=c == "support") for c in CHECKIN_CHOICES),
        summary=t("checkin.title"),
    )


def checkin_answer_card(incident: Incident, choice: str, note: str, policy: Policy, t: Translator) -> Card:
    """The employee's answer, for HR targets only."""
    title = t("checkin.hr.title", case=incident.case_no)
    fields = [(t("fu.field.person"), incident.reporter.name or "-"),
              (t("checkin.hr.answer"), t(f"checkin.choice.{choice}"))]
    if note:
        fields.append((t("checkin.hr.note"), note))
    return Card(title=title, lines=(t("fu.hr_only"),), fields=(*_case_fields(incident, policy, t), *fields),
                tone=Tone.INFO if choice == "ok" else Tone.WARNING, summary=title)
