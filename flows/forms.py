"""One neutral form definition, rendered by each adapter, validated here.

Adapters turn a `FormSpec` into a Slack modal or an Adaptive Card, and turn the submitted
state back into `RawValues` (field id -> str, list of str, or None). Validation and typing
happen once, here, so both platforms give the same inline errors.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from zoneinfo import ZoneInfo

from flows.i18n import Translator

RawValue = str | list[str] | None
RawValues = Mapping[str, RawValue]

TEXT_MAX = 3000  # Slack plain_text_input max_length


class FieldKind(str, Enum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    DATETIME = "datetime"  # raw: unix seconds, or "YYYY-MM-DDTHH:MM" in the form's timezone
    SELECT = "select"
    MULTISELECT = "multiselect"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    id: str
    kind: FieldKind
    label: str
    required: bool = False
    hint: str = ""
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    initial: str | tuple[str, ...] | None = None
    max_length: int = TEXT_MAX
    min_value: int | None = None
    max_value: int | None = None
    section: str = "required"  # "required" part first, "optional" part after a divider
    time_label: str = ""  # DATETIME: the label of the time half (platforms that split date and time)


@dataclass(frozen=True)
class FormSpec:
    id: str
    title: str
    submit: str
    close: str
    fields: tuple[Field, ...]
    intro: str = ""
    optional_heading: str = ""
    timezone: str = "Asia/Tokyo"
    context: str = ""  # opaque to adapters: carried through the round trip (e.g. SOS id)
    invalid: str = ""  # what a platform shows by an input it refuses itself (empty required field)

    def field(self, field_id: str) -> Field:
        for item in self.fields:
            if item.id == field_id:
                return item
        raise KeyError(field_id)


@dataclass
class Validated:
    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(spec: FormSpec, raw: RawValues, t: Translator, now: datetime) -> Validated:
    """Check every field and convert it to a typed value; collect one error per field."""
    result = Validated()
    for item in spec.fields:
        value = raw.get(item.id)
        try:
            typed = _convert(item, value, spec.timezone, now, t)
        except _Invalid as problem:
            result.errors[item.id] = str(problem)
            continue
        if item.required and typed in (None, "", ()):
            result.errors[item.id] = t("form.error.required")
            continue
        result.values[item.id] = typed
    return result


class _Invalid(ValueError):
    pass


def _convert(item: Field, value: RawValue, tz: str, now: datetime, t: Translator) -> object:
    if item.kind is FieldKind.MULTISELECT:
        chosen = [value] if isinstance(value, str) else list(value or [])
        chosen = [v for v in chosen if v]
        allowed = {o.value for o in item.options}
        if any(v not in allowed for v in chosen):
            raise _Invalid(t("form.error.choice"))
        return tuple(dict.fromkeys(chosen))
    if isinstance(value, list):
        value = value[0] if value else None
    text = (value or "").strip()
    if item.kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
        if len(text) > item.max_length:
            raise _Invalid(t("form.error.too_long", max=item.max_length))
        return text
    if not text:
        return None
    if item.kind is FieldKind.SELECT:
        if text not in {o.value for o in item.options}:
            raise _Invalid(t("form.error.choice"))
        return text
    if item.kind is FieldKind.NUMBER:
        try:
            number = int(text)
        except ValueError:
            raise _Invalid(t("form.error.number")) from None
        if (item.min_value is not None and number < item.min_value) or (
            item.max_value is not None and number > item.max_value
        ):
            raise _Invalid(t("form.error.range", min=item.min_value, max=item.max_value))
        return number
    if item.kind is FieldKind.DATETIME:
        moment = parse_datetime(text, tz)
        if moment is None:
            raise _Invalid(t("form.error.datetime"))
        if moment > now.astimezone(timezone.utc).replace(second=59):
            raise _Invalid(t("form.error.future"))
        return moment
    raise AssertionError(item.kind)


def parse_datetime(text: str, tz: str) -> datetime | None:
    """Return an aware UTC datetime from unix seconds or a local ISO date-time."""
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(timezone.utc)
