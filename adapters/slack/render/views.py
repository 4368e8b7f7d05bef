"""Render neutral forms and cards as Block Kit: pure functions, no I/O.

`form_modal` turns any `FormSpec` into a modal (block_id == field id, so `parse.raw_values`
reads it back); `card_blocks` renders any `Card` the same way everywhere it is shown.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from adapters.slack import ids
from adapters.slack.render.blocks import (
    ACTIONS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    FIELD_TEXT_MAX,
    HEADER_MAX,
    LABEL_MAX,
    MESSAGE_BLOCKS_MAX,
    MESSAGE_TEXT_MAX,
    MODAL_TITLE_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    OPTIONS_MAX,
    PLACEHOLDER_MAX,
    PRIVATE_METADATA_MAX,
    SECTION_FIELDS_MAX,
    SECTION_TEXT_MAX,
    TEXT_INPUT_MAX,
    VIEW_BLOCKS_MAX,
    chunks,
    clip,
    escape,
    join_within,
    mrkdwn,
    plain,
)
from adapters.slack.parse import MessageAt
from flows.cards import Card, CardAction, Tone
from flows.forms import Field, FieldKind, FormSpec, Option, parse_datetime
from flows.i18n import DEFAULT_LOCALE, Translator

TONE_MARK = {
    Tone.INFO: ":information_source:",
    Tone.GOOD: ":white_check_mark:",
    Tone.WARNING: ":warning:",
    Tone.DANGER: ":rotating_light:",
}
ERROR_MARK = ":warning:"


# -- modals ------------------------------------------------------------------------------------
def report_modal(spec: FormSpec, errors: Mapping[str, str] | None = None, *, locale: str = DEFAULT_LOCALE) -> dict:
    """Render the report form (a title too long for Slack becomes the catalog's short one)."""
    return form_modal(spec, errors, callback_id=ids.REPORT_CALLBACK,
                      fallback_title=Translator(locale)("slack.modal.title"))


def form_modal(spec: FormSpec, errors: Mapping[str, str] | None = None, *, callback_id: str,
               origin: MessageAt | None = None, fallback_title: str = "") -> dict:
    """Render a form as a modal: intro, required inputs, then a divider, heading and the rest.

    `errors` (field id -> message) adds a warning line under each field, for views.update;
    after a submission Slack shows errors itself (see `errors_for`). `origin` is the message
    whose button opened the modal, carried in private_metadata so the submission can update it.
    """
    metadata = modal_metadata(spec.context, origin)
    if len(metadata) > PRIVATE_METADATA_MAX:
        raise ValueError(f"form context is {len(metadata)} chars; Slack private_metadata holds {PRIVATE_METADATA_MAX}")
    title = spec.title if len(spec.title) <= MODAL_TITLE_MAX or not fallback_title else fallback_title
    blocks: list[dict] = []
    if spec.intro:
        blocks.append({"type": "section", "block_id": ids.INTRO_BLOCK, "text": mrkdwn(escape(spec.intro))})
    required = [f for f in spec.fields if f.section != "optional"]
    optional = [f for f in spec.fields if f.section == "optional"]
    for item in required:
        blocks.extend(_field_blocks(item, spec.timezone, errors))
    if optional:
        blocks.append({"type": "divider"})
        if spec.optional_heading:
            blocks.append({"type": "header", "block_id": ids.OPTIONAL_BLOCK,
                           "text": plain(spec.optional_heading, HEADER_MAX)})
        for item in optional:
            blocks.extend(_field_blocks(item, spec.timezone, errors))
    if len(blocks) > VIEW_BLOCKS_MAX:
        raise ValueError(f"the form needs {len(blocks)} blocks; a Slack modal holds {VIEW_BLOCKS_MAX}")
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "submit": plain(spec.submit, MODAL_TITLE_MAX),
        "close": plain(spec.close, MODAL_TITLE_MAX),
        "blocks": blocks,
    }
    if metadata:
        view["private_metadata"] = metadata
    return view


def modal_metadata(context: str, origin: MessageAt | None = None) -> str:
    """Pack a form context (and the message that opened the form) for private_metadata."""
    if origin is None and not context.startswith("{"):
        return context  # read back as is by parse.modal_metadata (the report's "sos:7" stays readable)
    packed = {ids.META_CONTEXT: context}
    if origin is not None:
        packed.update({ids.META_CHANNEL: origin.channel_id, ids.META_TS: origin.ts})
    return json.dumps(packed, ensure_ascii=False, separators=(",", ":"))


def errors_for(field_ids: Sequence[str], errors: Mapping[str, str]) -> dict[str, str]:
    """Map flow errors to block ids (= field ids of the form) for `response_action: errors`.

    Slack refuses errors for block ids the view lacks, so a message for an unknown key is
    shown on the first field instead of being lost.
    """
    known = list(field_ids)
    result: dict[str, str] = {}
    for key, message in errors.items():
        block_id = key if key in known or not known else known[0]
        result[block_id] = clip(f"{result[block_id]} {message}" if block_id in result else message, LABEL_MAX)
    return result


def _field_blocks(item: Field, tz: str, errors: Mapping[str, str] | None) -> list[dict]:
    block: dict = {
        "type": "input",
        "block_id": item.id,
        "label": plain(item.label, LABEL_MAX),
        "optional": not item.required,
        "element": _element(item, tz),
    }
    if item.hint:
        block["hint"] = plain(item.hint, LABEL_MAX)
    blocks = [block]
    if errors and item.id in errors:
        blocks.append({"type": "context", "elements": [mrkdwn(f"{ERROR_MARK} {escape(errors[item.id])}")]})
    return blocks


def _element(item: Field, tz: str) -> dict:
    element: dict = {"action_id": ids.field_action_id(item.id)}
    initial = item.initial
    if item.kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
        element.update(type="plain_text_input", multiline=item.kind is FieldKind.TEXTAREA,
                       max_length=min(item.max_length, TEXT_INPUT_MAX))
        if isinstance(initial, str) and initial:
            element["initial_value"] = initial
    elif item.kind is FieldKind.NUMBER:
        element.update(type="number_input", is_decimal_allowed=False)
        if item.min_value is not None:
            element["min_value"] = str(item.min_value)
        if item.max_value is not None:
            element["max_value"] = str(item.max_value)
        if isinstance(initial, str) and initial:
            element["initial_value"] = initial
    elif item.kind is FieldKind.DATETIME:
        element["type"] = "datetimepicker"
        parsed = parse_datetime(initial, tz) if isinstance(initial, str) else None
        if parsed is not None:
            element["initial_date_time"] = int(parsed.timestamp())
        return element  # datetimepicker takes no placeholder
    elif item.kind in (FieldKind.SELECT, FieldKind.MULTISELECT):
        element.update(_select(item))
    if item.placeholder:
        element["placeholder"] = plain(item.placeholder, PLACEHOLDER_MAX)
    return element


def _select(item: Field) -> dict:
    options = [_option(o) for o in item.options]
    multi = item.kind is FieldKind.MULTISELECT
    element: dict = {"type": "multi_static_select" if multi else "static_select"}
    if len(options) <= OPTIONS_MAX:
        element["options"] = options
    else:  # e.g. hundreds of stores: Slack allows 100 groups of 100 options
        groups = chunks(options, OPTIONS_MAX)[:OPTIONS_MAX]
        element["option_groups"] = [
            {"label": plain(f"{g[0]['text']['text'][:30]} – {g[-1]['text']['text'][:30]}", OPTION_TEXT_MAX), "options": g}
            for g in groups
        ]
    chosen = (item.initial,) if isinstance(item.initial, str) else tuple(item.initial or ())
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        if multi:
            element["initial_options"] = initial
        else:
            element["initial_option"] = initial[0]
    return element


def _option(option: Option) -> dict:
    if not option.value or len(option.value) > OPTION_VALUE_MAX:
        raise ValueError(f"option value {option.value!r} must be 1–{OPTION_VALUE_MAX} chars for Slack")
    return {"text": plain(option.label, OPTION_TEXT_MAX), "value": option.value}


# -- cards -------------------------------------------------------------------------------------
def card_blocks(card: Card) -> list[dict]:
    """Render a card: header, text lines, fields (10 per section), buttons, footer."""
    blocks: list[dict] = [{"type": "header", "text": plain(f"{TONE_MARK[card.tone]} {card.title}", HEADER_MAX)}]
    for text in join_within([escape(line) for line in card.lines if line.strip()], SECTION_TEXT_MAX):
        blocks.append({"type": "section", "text": mrkdwn(text)})
    for group in chunks(list(card.fields), SECTION_FIELDS_MAX):
        blocks.append({"type": "section", "fields": [_field_text(label, value) for label, value in group]})
    for number, group in enumerate(chunks(list(card.actions), ACTIONS_MAX)):
        block_id = ids.CARD_ACTIONS_BLOCK + (f".{number}" if number else "")
        blocks.append({"type": "actions", "block_id": block_id, "elements": _buttons(group)})
    if card.footer.strip():
        blocks.append({"type": "context", "elements": [mrkdwn(escape(card.footer))]})
    return blocks[:MESSAGE_BLOCKS_MAX]


def card_message(card: Card) -> dict:
    """Return chat.postMessage / chat.update arguments: notification text and blocks."""
    return {"text": clip(escape(card.fallback), MESSAGE_TEXT_MAX), "blocks": card_blocks(card)}


def answer_message(card: Card) -> dict:
    """A short answer: a card of one line (a notice) as plain text, any other card as blocks."""
    if card.lines or card.fields or card.actions or card.footer:
        return card_message(card)
    return text_message(card.title)


def file_comment(card: Card) -> str:
    """The message introducing an uploaded file (files.completeUploadExternal initial_comment): mrkdwn text."""
    parts = [f"*{escape(card.title)}*", *(escape(line) for line in card.lines if line.strip())]
    if card.footer.strip():
        parts.append(f"_{escape(card.footer)}_")
    return clip("\n".join(parts), MESSAGE_TEXT_MAX)


def text_message(text: str) -> dict:
    """Return message arguments for a one-line note (ephemeral answers, errors)."""
    return {"text": clip(escape(text), MESSAGE_TEXT_MAX)}


def confirmation_view(card: Card, *, locale: str = DEFAULT_LOCALE) -> dict:
    """Render the modal that replaces the report form after a successful submission."""
    return result_view(card, title=Translator(locale)("slack.confirm.title"), locale=locale,
                       callback_id=ids.CONFIRM_CALLBACK)


def pending_view(*, locale: str = DEFAULT_LOCALE) -> dict:
    """The modal shown when saving a report outlasts Slack's answer deadline: the case number
    and next steps follow as a direct message."""
    t = Translator(locale)
    return result_view(Card(title=t("slack.pending.title"), lines=(t("slack.pending.text"),)),
                       title=t("slack.confirm.title"), locale=locale, callback_id=ids.PENDING_CALLBACK)


def result_view(card: Card, *, title: str, locale: str = DEFAULT_LOCALE, callback_id: str = ids.DONE_CALLBACK) -> dict:
    """Render a card as the modal that replaces a submitted form (nothing left to submit)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(Translator(locale)("slack.modal.close"), MODAL_TITLE_MAX),
        "blocks": card_blocks(card)[:VIEW_BLOCKS_MAX],
    }


def _field_text(label: str, value: str) -> dict:
    text = f"*{escape(label)}*\n{escape(value or '-')}" if label.strip() else escape(value or "-")
    return mrkdwn(text, FIELD_TEXT_MAX)


def _buttons(actions: list[CardAction]) -> list[dict]:
    seen: dict[str, int] = {}
    buttons = []
    for action in actions:
        index = seen.get(action.id.value, 0)
        seen[action.id.value] = index + 1
        button: dict = {"type": "button", "action_id": ids.action_id(action.id, index),
                        "text": plain(action.label, BUTTON_TEXT_MAX)}
        if action.value:
            if len(action.value) > BUTTON_VALUE_MAX:
                raise ValueError(f"button value is {len(action.value)} chars; Slack allows {BUTTON_VALUE_MAX}")
            button["value"] = action.value
        if action.primary:
            button["style"] = "primary"
        buttons.append(button)
    return buttons
