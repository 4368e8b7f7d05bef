"""Every Teams id string the bot sends or matches: route, verbs, card data keys, input ids.

Neutral `ActionId`s map to `kasuhara.<id>` Action.Execute verbs; the same prefix marks the
keys we put into card data so that a submitted card can be told apart from anything else.
"""
from __future__ import annotations

from flows.cards import ActionId
from flows.aftercare.forms import FORM_ID as FOLLOW_UP_FORM_ID
from flows.consultation.messages import REPLY_FORM_ID, REVEAL_FORM_ID
from flows.incidents.level import FORM_ID as LEVEL_FORM_ID

MESSAGES_PATH = "/api/messages"
CHANNEL_ID = "msteams"

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # Teams renders Adaptive Cards up to 1.5 for bots and dialogs
MESSAGE_RESPONSE_TYPE = "application/vnd.microsoft.activity.message"

TASK_FETCH = "task/fetch"
TASK_SUBMIT = "task/submit"
CARD_ACTION = "adaptiveCard/action"

_PREFIX = "kasuhara."
REFRESH_VERB = "kasuhara.refresh"  # the card's `refresh` action: show the alert as it is now

# Keys inside Action.Submit / Action.Execute data.
DATA_INCIDENT = "incidentId"  # what Action.Execute carries for incident actions
DATA_VALUE = "kasuharaValue"  # the neutral CardAction.value for other actions
DATA_ACTION = "kasuharaAction"  # which neutral action an Action.Submit stands for
DATA_FORM = "kasuharaForm"  # FormSpec.id of a submitted dialog
DATA_CONTEXT = "kasuharaContext"  # FormSpec.context, carried through the dialog round trip
DATA_NONCE = "kasuharaNonce"  # one id per opened dialog: a double submit stores one incident
DATA_KINDS = "kasuharaKinds"  # input id -> FieldKind of the form's list and date-time fields
DATA_KEYS = (DATA_INCIDENT, DATA_VALUE, DATA_ACTION, DATA_FORM, DATA_CONTEXT, DATA_NONCE, DATA_KINDS, "msteams")

# Buttons that open a dialog (Action.Submit + task/fetch; the value is the form's context).
# Every other button is an Action.Execute verb. Action.Execute can't open a dialog.
DIALOG_ACTIONS = frozenset({ActionId.OPEN_REPORT, ActionId.RECORD_FOLLOW_UP, ActionId.CONSULT_REPLY,
                            ActionId.CONSULT_REVEAL, ActionId.CHANGE_LEVEL})
# FormSpec.id of the forms the dialogs submit (the report form's id comes from flows.incidents.report_form).
FOLLOW_UP_FORM = FOLLOW_UP_FORM_ID
CONSULT_REPLY_FORM = REPLY_FORM_ID
CONSULT_REVEAL_FORM = REVEAL_FORM_ID
LEVEL_FORM = LEVEL_FORM_ID
CONSULT_REPLY_TEXT = "text"  # the reply form's one field (flows.consultation.messages.reply_form)

# What Teams sends alongside a message's text; anything else is an attachment (file, image, card).
TEXT_CONTENT_TYPES = frozenset({"text/html", "text/plain", CARD_CONTENT_TYPE})

# A DATETIME field is two inputs: `<field>.date` (YYYY-MM-DD) and `<field>.time` (HH:MM).
DATE_SUFFIX = ".date"
TIME_SUFFIX = ".time"


def verb(action: ActionId) -> str:
    """Return the Action.Execute verb of a neutral action."""
    return f"{_PREFIX}{action.value}"


def action_of(verb_or_id: str | None) -> ActionId | None:
    """Map a verb (or a bare ActionId value from Action.Submit data) back; None if not ours."""
    text = verb_or_id or ""
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX):]
    try:
        return ActionId(text)
    except ValueError:
        return None


def data_key(action: ActionId) -> str:
    """Return the data key that carries this action's value (`incidentId` for acknowledge)."""
    return DATA_INCIDENT if action is ActionId.ACKNOWLEDGE else DATA_VALUE


def date_input(field_id: str) -> str:
    """Return the id of a DATETIME field's date input (its time input: `time_input`)."""
    return field_id + DATE_SUFFIX


def time_input(field_id: str) -> str:
    return field_id + TIME_SUFFIX
