"""Render neutral cards and forms as Adaptive Cards (v1.5, what Teams renders for bots).

Pure functions: same input, same JSON; no I/O and no catalog look-ups, so they are tested
directly. Every text goes into RichTextBlock/TextRun, which Teams does not run through markdown
(backslash escapes render differently per client): not TextBlock, and not FactSet, whose values
Teams renders as markdown ("[ポータル](https://evil.example)" became a live link). Facts are
rows of two RichTextBlocks. Every input has a label and an errorMessage (Teams' own checks).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from adapters.teams import ids
from flows.cards import ActionId, Card, CardAction, Tone
from flows.forms import Field, FieldKind, FormSpec

_STYLE = {Tone.INFO: "emphasis", Tone.GOOD: "good", Tone.WARNING: "warning", Tone.DANGER: "attention"}
_COLOR = {Tone.INFO: "default", Tone.GOOD: "good", Tone.WARNING: "warning", Tone.DANGER: "attention"}


def card(source: Card, *, image_url: str = "", image_alt: str = "") -> dict:
    """Render any neutral Card: title band, plain lines, an image (e.g. a chart), facts, footer, buttons."""
    body: list[dict] = [{
        "type": "Container", "style": _STYLE[source.tone], "bleed": True,
        "items": [_plain(source.title, weight="Bolder", size="Medium", color=_COLOR[source.tone])],
    }]
    if image_url:
        body.append({"type": "Image", "url": image_url, "altText": image_alt, "size": "Stretch"})
    body += [_plain(line) for line in source.lines if line]
    if source.fields:
        body.append(_facts(source.fields))
    if source.footer:
        body.append(_plain(source.footer, isSubtle=True, size="Small"))
    ordered = sorted(source.actions, key=lambda a: not a.primary)
    rendered = _envelope(body, [action(a) for a in ordered], source.fallback)
    ack = next((a for a in source.actions if a.id is ActionId.ACKNOWLEDGE), None)
    if ack is not None:
        # Manual "refresh card" in Teams; every posted copy is also updated by the outbox.
        rendered["refresh"] = {"action": {"type": "Action.Execute", "verb": ids.REFRESH_VERB,
                                          "data": {ids.DATA_INCIDENT: ack.value}}}
    return rendered


def action(item: CardAction) -> dict:
    """Render one button: dialog actions open a dialog (task/fetch), the rest are Action.Execute."""
    if item.id in ids.DIALOG_ACTIONS:
        return {"type": "Action.Submit", "title": item.label,
                "data": {"msteams": {"type": ids.TASK_FETCH}, ids.DATA_ACTION: item.id.value,
                         ids.DATA_CONTEXT: item.value}}
    return {"type": "Action.Execute", "title": item.label, "verb": ids.verb(item.id),
            "data": {ids.data_key(item.id): item.value}}


def text(source: Card) -> str:
    """Return a card as plain text: for answers Teams shows as a message, not as a card."""
    return "\n".join(part for part in (source.title, *source.lines) if part)


def form(spec: FormSpec, errors: Mapping[str, str] | None = None, *, nonce: str = "",
         values: Mapping[str, object] | None = None) -> dict:
    """Render a form for a dialog; `errors` (field id -> text) show under the fields.

    `values` (input id -> what Teams submitted) refill the inputs when the form comes back
    with errors, so nothing typed is lost. The submit data carries the kinds of the list and
    date-time fields, so a submit is read back without the FormSpec (see parse.dialog_submit).
    """
    errors, values = errors or {}, values or {}
    body: list[dict] = [_plain(spec.intro)] if spec.intro else []
    optional_started = False
    for item in spec.fields:
        if item.section == "optional" and not optional_started:
            optional_started = True
            if spec.optional_heading:
                body.append({**_plain(spec.optional_heading, weight="Bolder"), "separator": True, "spacing": "Large"})
        body += _field(item, errors.get(item.id, ""), spec.timezone, values, spec.invalid)
    kinds = {f.id: f.kind.value for f in spec.fields if f.kind in (FieldKind.MULTISELECT, FieldKind.DATETIME)}
    data = {ids.DATA_FORM: spec.id, ids.DATA_CONTEXT: spec.context, ids.DATA_NONCE: nonce}
    if kinds:
        data[ids.DATA_KINDS] = kinds
    submit = {"type": "Action.Submit", "title": spec.submit, "data": data}
    return _envelope(body, [submit], spec.title)


def _field(item: Field, error: str, tz: str, values: Mapping[str, object], invalid: str) -> list[dict]:
    # Teams validates required inputs itself before submitting, and shows errorMessage then.
    common = {"label": item.label, "isRequired": item.required, "errorMessage": error or invalid or item.label}
    if item.kind is FieldKind.DATETIME:
        day, clock = _split_datetime(item.initial, tz)
        day = _submitted(values, ids.date_input(item.id), day)
        clock = _submitted(values, ids.time_input(item.id), clock)
        date_input = {"type": "Input.Date", "id": ids.date_input(item.id), **common, **_value(day)}
        time_input = {"type": "Input.Time", "id": ids.time_input(item.id), **common,
                      "label": item.time_label or item.label, **_value(clock)}
        elements = [{"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [date_input]},
            {"type": "Column", "width": "stretch", "verticalContentAlignment": "Bottom", "items": [time_input]},
        ]}]
    elif item.kind in (FieldKind.SELECT, FieldKind.MULTISELECT):
        initial = item.initial if isinstance(item.initial, (tuple, list)) else (item.initial,) if item.initial else ()
        elements = [{"type": "Input.ChoiceSet", "id": item.id, **common, "style": "compact", "wrap": True,
                     "isMultiSelect": item.kind is FieldKind.MULTISELECT,
                     "choices": [{"title": o.label, "value": o.value} for o in item.options],
                     **_value(_submitted(values, item.id, ",".join(initial))), **_placeholder(item)}]
    elif item.kind is FieldKind.NUMBER:
        bounds = {k: v for k, v in (("min", item.min_value), ("max", item.max_value)) if v is not None}
        shown = _submitted(values, item.id, item.initial if isinstance(item.initial, str) else "")
        number = {"value": int(shown)} if shown.isdigit() else {}
        elements = [{"type": "Input.Number", "id": item.id, **common, **bounds, **number, **_placeholder(item)}]
    else:
        shown = _submitted(values, item.id, item.initial if isinstance(item.initial, str) else "")
        elements = [{"type": "Input.Text", "id": item.id, **common, "maxLength": item.max_length,
                     "isMultiline": item.kind is FieldKind.TEXTAREA, **_value(shown), **_placeholder(item)}]
    if item.hint:
        elements.append({**_plain(item.hint, isSubtle=True, size="Small"), "spacing": "None"})
    if error:
        elements.append({**_plain(error, color="Attention", weight="Bolder", size="Small"), "spacing": "None"})
    return elements


def _split_datetime(initial: object, tz: str) -> tuple[str, str]:
    """Split an initial value (unix seconds or local 'YYYY-MM-DDTHH:MM') into date and time."""
    if not isinstance(initial, str) or not initial:
        return "", ""
    if initial.isdigit():
        moment = datetime.fromtimestamp(int(initial), tz=timezone.utc).astimezone(ZoneInfo(tz))
        return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")
    day, _, clock = initial.partition("T")
    return day, clock[:5]


def _submitted(values: Mapping[str, object], input_id: str, initial: str) -> str:
    """What the person submitted for an input (even when empty), else the initial value."""
    if input_id not in values:
        return initial
    value = values[input_id]
    return "" if value is None else str(value).strip()


def _plain(text: str, **style: str) -> dict:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def _facts(fields) -> dict:
    """Label and value rows, all plain text (FactSet would run the values through markdown)."""
    return {"type": "Container", "spacing": "Medium", "items": [
        {"type": "ColumnSet", "spacing": "Small", "columns": [
            {"type": "Column", "width": 2, "items": [_plain(label, weight="Bolder", isSubtle=True)]},
            {"type": "Column", "width": 5, "items": [_plain(value or "-")]},
        ]} for label, value in fields]}


def _value(text: str) -> dict:
    return {"value": text} if text else {}


def _placeholder(item: Field) -> dict:
    return {"placeholder": item.placeholder} if item.placeholder else {}


def _envelope(body: list[dict], actions: list[dict], fallback: str) -> dict:
    rendered = {"type": "AdaptiveCard", "$schema": ids.CARD_SCHEMA, "version": ids.CARD_VERSION, "body": body,
                "fallbackText": fallback}
    if actions:
        rendered["actions"] = actions
    return rendered
