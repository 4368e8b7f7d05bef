"""Pure rendering of the web pages: Jinja2 templates fed with plain view values.

`Pages.page(name, **context) -> str` is the only thing that writes HTML; autoescaping is on
for every template, so text from people (reports, answers) can never become markup.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.cards import Card
from flows.forms import Field, FieldKind, FormSpec, RawValues
from flows.i18n import Translator

TEMPLATES = Path(__file__).parent / "templates"
RADIO_MAX = 6  # up to this many choices are radio buttons (large touch targets), more a <select>


@dataclass(frozen=True)
class FieldView:
    id: str
    kind: str  # text, textarea, number, datetime, select, radio, multiselect
    label: str
    required: bool = False
    hint: str = ""
    placeholder: str = ""
    options: tuple = ()
    value: str = ""
    chosen: tuple[str, ...] = ()
    error: str = ""
    max_length: int = 3000
    min_value: int | None = None
    max_value: int | None = None
    input_type: str = "text"
    autocomplete: str = ""


@dataclass(frozen=True)
class FormView:
    title: str
    submit: str
    intro: str
    optional_heading: str
    required_fields: tuple[FieldView, ...]
    optional_fields: tuple[FieldView, ...]
    optional_open: bool = False


@dataclass(frozen=True)
class CardView:
    title: str
    lines: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    actions: tuple = ()
    tone: str = "info"
    footer: str = ""


@dataclass(frozen=True)
class ActionView:
    id: str
    label: str
    value: str
    primary: bool


@dataclass(frozen=True)
class InboxItem:
    ref: str
    card: CardView
    at: str
    reply: bool = False


class Pages:
    """The template environment; one per adapter."""

    def __init__(self, templates: Path = TEMPLATES):
        self._env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(default=True),
                                undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def page(self, name: str, **context) -> str:
        return self._env.get_template(name).render(**context)


def card_view(card: Card, *, actions: bool = True, allowed: frozenset | None = None) -> CardView:
    """A card as the templates show it: only the buttons the page can act on (`allowed`), or none."""
    shown = tuple(ActionView(a.id.value, a.label, a.value, a.primary) for a in card.actions
                  if actions and (allowed is None or a.id in allowed))
    return CardView(title=card.title, lines=card.lines, fields=card.fields, actions=shown, tone=card.tone.value,
                    footer=card.footer)


def form_view(spec: FormSpec, raw: RawValues | None = None, errors: dict[str, str] | None = None, *,
              defaults: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> FormView:
    """A FormSpec with what was typed (`raw`) and the errors next to their fields."""
    errors = errors or {}
    views = [(f, field_view(f, raw, errors.get(f.id, ""), spec.timezone, (defaults or {}).get(f.id)))
             for f in spec.fields if f.id not in skip]
    required = tuple(v for f, v in views if f.section != "optional")
    optional = tuple(v for f, v in views if f.section == "optional")
    return FormView(title=spec.title, submit=spec.submit, intro=spec.intro, optional_heading=spec.optional_heading,
                    required_fields=required, optional_fields=optional,
                    optional_open=any(v.error or v.value or v.chosen for v in optional))


def field_view(f: Field, raw: RawValues | None, error: str, tz: str, default: str | None = None) -> FieldView:
    kind = f.kind.value
    if f.kind is FieldKind.SELECT and len(f.options) <= RADIO_MAX:
        kind = "radio"
    chosen: tuple[str, ...] = ()
    value = ""
    if raw is not None and f.id in raw:
        given = raw[f.id]
        if isinstance(given, list):
            chosen = tuple(given)
            value = given[0] if given else ""
        else:
            value = given or ""
            chosen = (value,) if value else ()
    elif f.initial is not None:
        chosen = tuple(f.initial) if isinstance(f.initial, tuple) else (f.initial,)
        value = f.initial if isinstance(f.initial, str) else ""
        if f.kind is FieldKind.DATETIME and value.isdigit():
            value = local_input(datetime.fromtimestamp(int(value), ZoneInfo("UTC")), tz)
    elif default is not None:
        value = default
        chosen = (default,)
    return FieldView(id=f.id, kind=kind, label=f.label, required=f.required, hint=f.hint, placeholder=f.placeholder,
                     options=f.options, value=value, chosen=chosen, error=error, max_length=f.max_length,
                     min_value=f.min_value, max_value=f.max_value)


def errors_list(form: FormView, extra: tuple[FieldView, ...] = ()) -> list[FieldView]:
    """The fields with an error, in page order (the summary at the top links to each)."""
    return [f for f in (*form.required_fields, *extra, *form.optional_fields) if f.error]


def local_input(moment: datetime, tz: str) -> str:
    """A moment as the value of <input type=datetime-local> in the policy's timezone."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def translator_globals(t: Translator) -> dict:
    return {"t": t, "lang": t.locale, "other_lang": "en" if t.locale == "ja" else "ja"}


@dataclass
class Chrome:
    """What every page needs around its content: language, links, try-out banner."""

    t: Translator
    home_url: str
    static_url: str
    switch_url: str = ""
    tryout: bool = False
    extra: dict = field(default_factory=dict)

    def context(self) -> dict:
        return {**translator_globals(self.t), "home_url": self.home_url, "static_url": self.static_url,
                "switch_url": self.switch_url, "tryout": self.tryout, "dict": dict, **self.extra}
