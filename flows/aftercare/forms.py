"""The record forms of follow-ups (72-hour hearing, 2-week review, first meeting), defined once.

Which answers are sensitive (support decided, hearing notes) is declared here, so storage
seals exactly those and only HR ever sees them.
"""
from __future__ import annotations

from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator
from flows.model import FollowUp, Incident, RiskLevel
from flows.policy import Policy

FORM_ID = "follow_up_record"  # FormSpec.id of every record form; context = the follow-up id
SUPPORT = ("physician", "counselling", "work_arrangement", "leave", "none")
PHYSICIAN_LEVEL = RiskLevel.L3  # manual §5-2: 産業医面談 for L3 and above (or on request)
SENSITIVE = frozenset({"support", "notes"})  # 要配慮個人情報: sealed at rest, HR only

_T, _AREA, _MULTI = FieldKind.TEXT, FieldKind.TEXTAREA, FieldKind.MULTISELECT
# kind -> (field id, kind, required); a kind not listed (e.g. "physician") gets GENERIC.
FIELDS: dict[str, tuple[tuple[str, FieldKind, bool], ...]] = {
    "hearing": (("with_whom", _T, True), ("support", _MULTI, False), ("briefing", _AREA, False),
                ("notes", _AREA, False)),
    "review": (("participants", _T, True), ("findings", _AREA, True), ("measures", _AREA, False),
               ("manual_changes", _AREA, False)),
    "meeting": (("participants", _T, True), ("decisions", _AREA, False)),
}
GENERIC = (("summary", _T, True), ("notes", _AREA, False))


def kind_label(kind: str, t: Translator) -> str:
    return t(f"fu.kind.{kind}") if t.has(f"fu.kind.{kind}") else kind


def offers_physician(follow_up: FollowUp, incident: Incident) -> bool:
    """Offer the occupational physician interview in the hearing of an L3+ case."""
    return follow_up.kind == "hearing" and incident.level >= PHYSICIAN_LEVEL


def build_record_form(follow_up: FollowUp, incident: Incident, policy: Policy, t: Translator) -> FormSpec:
    """Return the localized record form of one follow-up."""
    fields = []
    for field_id, kind, required in FIELDS.get(follow_up.kind, GENERIC):
        options = tuple(Option(v, t(f"fu.support.{v}")) for v in SUPPORT) if kind is _MULTI else ()
        initial = ("physician",) if field_id == "support" and offers_physician(follow_up, incident) else None
        hint = t("fu.field.sensitive_hint") if field_id in SENSITIVE else ""
        fields.append(Field(field_id, kind, t(f"fu.field.{field_id}"), required=required, options=options,
                            initial=initial, hint=hint, max_length=200 if kind is _T else 3000))
    intro = [t("fu.form.intro", case=incident.case_no, kind=kind_label(follow_up.kind, t))]
    if offers_physician(follow_up, incident):
        intro.append(t("fu.physician"))
    if follow_up.kind == "review":
        intro.append(t("fu.form.review_closes"))
    title_key = f"fu.form.title.{follow_up.kind}"
    return FormSpec(
                    invalid=t("form.error.required"),
                    id=FORM_ID, title=t(title_key) if t.has(title_key) else t("fu.form.title.other"),
                    submit=t("fu.form.submit"), close=t("fu.form.close"), fields=tuple(fields),
                    intro="\n".join(intro), timezone=policy.timezone, context=str(follow_up.id))


def split_record(values: dict[str, object]) -> tuple[dict, dict]:
    """Split validated answers into (shown to the case's handlers, sealed for HR only)."""
    record, sensitive = {}, {}
    for key, value in values.items():
        plain = list(value) if isinstance(value, tuple) else value
        if plain in ("", [], None):
            continue
        (sensitive if key in SENSITIVE else record)[key] = plain
    return record, sensitive


def answer_lines(answers: dict, t: Translator) -> tuple[tuple[str, str], ...]:
    """Render stored answers as (label, value) pairs for a card."""
    pairs = []
    for key, value in answers.items():
        if isinstance(value, list):
            value = ("、" if t.locale == "ja" else ", ").join(t(f"fu.support.{v}") for v in value)
        pairs.append((t(f"fu.field.{key}"), str(value)))
    return tuple(pairs)
