"""Anonymous consultation cards and forms, for the employee and for the consultation desk.

Cards for the desk carry the case code and the employee's words only: no name, mention or
file metadata (unless the employee chose to give a name). Action values are case codes or
unit ids, never user ids.
"""
from __future__ import annotations

from flows.cards import ActionId, Card, CardAction, Tone
from flows.forms import Field, FieldKind, FormSpec
from flows.i18n import Translator, local_time
from flows.model import Consultation, Platform
from flows.policy import Policy

REVEAL_FORM_ID = "consult_reveal"  # context: the case code
REPLY_FORM_ID = "consult_reply"  # context: the case code; field "text"


def _days(policy: Policy) -> int:
    return max(1, round(policy.consultation.forget_after_close.total_seconds() / 86400))


def anonymity_lines(policy: Policy, t: Translator) -> tuple[str, ...]:
    """What anonymity means, said plainly before anything is relayed."""
    return (t("consult.anon.hr_blind"), t("consult.anon.admins"), t("consult.anon.sealed", days=_days(policy)),
            t("consult.anon.attachments"))


def _employee_actions(c: Consultation, t: Translator, *, new: bool = False) -> tuple[CardAction, ...]:
    actions = [CardAction(ActionId.CONSULT_CLOSE, t("consult.action.close"), c.code)]
    if not c.revealed_name:
        actions.append(CardAction(ActionId.CONSULT_REVEAL, t("consult.action.reveal"), c.code))
    if new:
        actions.append(CardAction(ActionId.CONSULT_NEW, t("consult.action.new"), c.unit_id))
    return tuple(actions)


# -- to the employee ------------------------------------------------------------------------
def offer_card(desks: list[tuple[str, str]], policy: Policy, t: Translator) -> Card:
    """Offer an anonymous consultation; one start button per consultation desk (unit id, name)."""
    starts = tuple(CardAction(ActionId.CONSULT_START, t("consult.action.start_at", unit=name) if len(desks) > 1
                              else t("consult.action.start"), unit_id, primary=i == 0)
                   for i, (unit_id, name) in enumerate(desks))
    return Card(title=t("consult.offer.title"), lines=(t("consult.offer.intro"), *anonymity_lines(policy, t)),
                actions=(*starts, CardAction(ActionId.OPEN_REPORT, t("action.report"), "")),
                summary=t("consult.offer.title"))


def started_card(c: Consultation, policy: Policy, t: Translator) -> Card:
    title = t("consult.started.title", code=c.code)
    return Card(title=title, lines=(t("consult.started.write"), *anonymity_lines(policy, t)),
                actions=_employee_actions(c, t), tone=Tone.GOOD, summary=title)


def relayed_card(c: Consultation, t: Translator) -> Card:
    title = t("consult.relayed.title", code=c.code)
    return Card(title=title, lines=(t(_where(c, "consult.relayed.next")),), actions=_employee_actions(c, t, new=True),
                tone=Tone.GOOD, summary=title)


def continue_card(c: Consultation, t: Translator) -> Card:
    title = t("consult.continue.title", code=c.code)
    return Card(title=title, lines=(t("consult.continue.body"),), actions=_employee_actions(c, t, new=True),
                summary=title)


def attachment_card(c: Consultation | None, t: Translator) -> Card:
    return Card(title=t("consult.attachment.title"), lines=(t("consult.attachment.why"), t("consult.attachment.how")),
                actions=_employee_actions(c, t) if c else (), tone=Tone.WARNING,
                summary=t("consult.attachment.title"))


def closed_card(c: Consultation, policy: Policy, t: Translator) -> Card:
    title = t("consult.closed.title", code=c.code)
    return Card(title=title, lines=(t("consult.closed.forget", days=_days(policy)), t("consult.closed.again")),
                actions=(CardAction(ActionId.CONSULT_NEW, t("consult.action.new"), c.unit_id),), summary=title)


def idle_closed_card(c: Consultation, policy: Policy, t: Translator) -> Card:
    """Tell the employee their quiet case was closed, and that they can always start again."""
    title = t("consult.idle.title", code=c.code)
    return Card(title=title, lines=(t("consult.idle.body"), t("consult.closed.forget", days=_days(policy))),
                actions=(CardAction(ActionId.CONSULT_NEW, t("consult.action.new"), c.unit_id),), summary=title)


def answer_card(c: Consultation, text: str, t: Translator) -> Card:
    """The desk's answer, delivered to the employee's DM."""
    title = t("consult.answer.title", code=c.code)
    return Card(title=title, lines=(text, t(_where(c, "consult.answer.how"))), actions=_employee_actions(c, t),
                summary=title)


def _where(c: Consultation, key: str) -> str:
    """A consulter on the web reads answers on their case page, not in a chat."""
    return f"{key}.web" if c.platform is Platform.WEB else key


# -- to the desk ----------------------------------------------------------------------------
def _desk_fields(c: Consultation, policy: Policy, t: Translator) -> tuple[tuple[str, str], ...]:
    fields = [(t("consult.field.code"), c.code),
              (t("consult.field.received"), local_time(c.first_message_at or c.created_at, policy.timezone))]
    if c.revealed_name:
        fields.append((t("consult.field.name"), c.revealed_name))
    return tuple(fields)


def relay_card(c: Consultation, text: str, policy: Policy, t: Translator) -> Card:
    """One message of the employee, relayed as the bot."""
    title = t("consult.desk.relay.title", code=c.code)
    return Card(title=title, lines=(text,), fields=_desk_fields(c, policy, t),
                actions=(CardAction(ActionId.CONSULT_REPLY, t("consult.action.reply"), c.code, primary=True),),
                footer=t("consult.desk.relay.footer"), summary=title)


def deadline_card(c: Consultation, policy: Policy, t: Translator, *, escalation: bool) -> Card:
    """No first reply yet: a reminder to the desk, or (still anonymous) an escalation to HR and division head."""
    kind = "escalation" if escalation else "reminder"
    title = t(f"consult.desk.{kind}.title", code=c.code)
    due = (c.first_message_at or c.created_at) + policy.consultation.first_reply_within
    fields = (*_desk_fields(c, policy, t), (t("consult.field.due"), local_time(due, policy.timezone)))
    actions = () if escalation else (CardAction(ActionId.CONSULT_REPLY, t("consult.action.reply"), c.code,
                                                primary=True),)
    return Card(title=title, lines=(t(f"consult.desk.{kind}.body"),), fields=fields, actions=actions,
                tone=Tone.DANGER if escalation else Tone.WARNING, summary=title)


def desk_notice_card(c: Consultation, key: str, policy: Policy, t: Translator) -> Card:
    """Tell the desk that the employee closed the case or gave their name."""
    title = t(f"consult.desk.{key}.title", code=c.code)
    return Card(title=title, lines=(t(f"consult.desk.{key}.body"),), fields=_desk_fields(c, policy, t), summary=title)


# -- forms ----------------------------------------------------------------------------------
def reveal_form(c: Consultation, display_name: str, policy: Policy, t: Translator) -> FormSpec:
    """Ask for the name the employee wants the desk to see (their display name by default)."""
    return FormSpec(
                    invalid=t("form.error.required"),
                    id=REVEAL_FORM_ID, title=t("consult.reveal.title"), submit=t("consult.reveal.submit"),
                    close=t("fu.form.close"), intro=t("consult.reveal.intro", code=c.code), timezone=policy.timezone,
                    context=c.code, fields=(Field("name", FieldKind.TEXT, t("consult.reveal.name"), required=True,
                                                  initial=display_name or None, max_length=100),))


def reply_form(code: str, policy: Policy, t: Translator) -> FormSpec:
    """The desk's answer box (Teams Reply action; Slack answers in the thread instead)."""
    return FormSpec(
                    invalid=t("form.error.required"),
                    id=REPLY_FORM_ID, title=t("consult.reply.title"), submit=t("consult.reply.submit"),
                    close=t("fu.form.close"), intro=t("consult.reply.intro", code=code), timezone=policy.timezone,
                    context=code, fields=(Field("text", FieldKind.TEXTAREA, t("consult.reply.text"), required=True),))
