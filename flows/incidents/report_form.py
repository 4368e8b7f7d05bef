"""The incident report form (インシデント報告票, manual appendix B), defined once.

The required part is what a shaken employee can fill in a minute; the rest is optional and
can be completed later.
"""
from __future__ import annotations

from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator
from flows.policy import Policy, Signal
from flows.incidents.risk import DANGER_SIGNALS

CONTACT_CHANNELS = ("face_to_face", "phone", "email_chat", "sns", "privacy")  # how the customer reached us
TYPES = ("restraint", "repeat", "verbal_abuse", "violence", "intimidation", "authority", "online_defamation", "sexual")
EVIDENCE = ("recording", "video", "photo", "capture")
FINAL_ACTIONS = ("cut_off", "asked_to_leave", "police", "written_reply", "lawyer")
LEVELS = ("L1", "L2", "L3", "L4")

REPORT_FORM_ID = "incident_report"
EDIT_PREFIX = "edit:"  # form context: add details to an existing incident
SOS_PREFIX = "sos:"  # form context: the full report of an SOS
# The field id of the customer-contact channel stays "channel": it is the block / input id of forms
# already open in chat clients, and of the recorded payloads.
CONTACT_CHANNEL_FIELD = "channel"
REQUIRED_FIELDS = ("occurred_at", "unit", CONTACT_CHANNEL_FIELD, "description", "behaviours", "danger")


def signal_label(signal: Signal, t: Translator) -> str:
    """Label a risk signal: the policy's own words first, else the catalog's."""
    own = signal.label_en if t.locale == "en" else signal.label_ja
    return own or signal.label_ja or signal.label_en or t(f"signal.{signal.id}")


def build_report_form(policy: Policy, t: Translator, *, context: str = "") -> FormSpec:
    """Return the localized report form for this policy (units, signal table)."""

    def opts(prefix: str, values: tuple[str, ...]) -> tuple[Option, ...]:
        return tuple(Option(v, t(f"{prefix}.{v}")) for v in values)

    level_word = {s.id: f"[{s.level.name}] " for s in policy.signals}
    required = (
        Field("occurred_at", FieldKind.DATETIME, t("form.occurred_at"), required=True, hint=t("form.occurred_at.hint"),
              time_label=t("form.occurred_at.time")),
        Field("unit", FieldKind.SELECT, t("form.unit"), required=True,
              options=tuple(Option(u.id, u.name) for u in policy.units),
              initial=policy.units[0].id if len(policy.units) == 1 else None),
        Field(CONTACT_CHANNEL_FIELD, FieldKind.SELECT, t("form.contact_channel"), required=True,
              options=opts("contact_channel", CONTACT_CHANNELS)),
        Field("description", FieldKind.TEXTAREA, t("form.description"), required=True,
              placeholder=t("form.description.placeholder"), max_length=3000),
        Field("behaviours", FieldKind.MULTISELECT, t("form.behaviours"), required=True, hint=t("form.behaviours.hint"),
              options=tuple(Option(s.id, (level_word[s.id] + signal_label(s, t))[:75]) for s in policy.signals)),
        Field("danger", FieldKind.SELECT, t("form.danger"), required=True, options=opts("danger", tuple(DANGER_SIGNALS))),
    )
    optional = (
        Field("place", FieldKind.TEXT, t("form.place"), max_length=200),
        Field("duration_minutes", FieldKind.NUMBER, t("form.duration"), min_value=0, max_value=24 * 60),
        Field("requested_level", FieldKind.SELECT, t("form.requested_level"), hint=t("form.requested_level.hint"),
              options=tuple(Option(v, v) for v in LEVELS)),
        Field("types", FieldKind.MULTISELECT, t("form.types"), options=opts("type", TYPES)),
        Field("counterpart", FieldKind.TEXT, t("form.counterpart"), hint=t("form.counterpart.hint"), max_length=500),
        Field("customer_id", FieldKind.TEXT, t("form.customer_id"), hint=t("form.customer_id.hint"), max_length=200),
        Field("first_response", FieldKind.TEXTAREA, t("form.first_response"), max_length=3000),
        Field("evidence", FieldKind.MULTISELECT, t("form.evidence"), options=opts("evidence", EVIDENCE)),
        Field("injury_damage", FieldKind.TEXT, t("form.injury_damage"), max_length=500),
        Field("final_action", FieldKind.MULTISELECT, t("form.final_action"), options=opts("final_action", FINAL_ACTIONS)),
        Field("prevention", FieldKind.TEXTAREA, t("form.prevention"), max_length=3000),
        Field("feelings_support", FieldKind.TEXTAREA, t("form.feelings_support"), hint=t("form.feelings_support.hint"),
              max_length=3000),
    )
    if context.startswith(EDIT_PREFIX):  # completing a report later: the optional part only
        return FormSpec(
                        invalid=t("form.error.required"),
                        id=REPORT_FORM_ID, title=t("form.title_edit"), submit=t("form.submit_edit"),
                        close=t("form.close"), intro=t("form.intro_edit"), optional_heading="",
                        timezone=policy.timezone, context=context, fields=tuple(_optional(f) for f in optional))
    return FormSpec(
        invalid=t("form.error.required"),
        id=REPORT_FORM_ID,
        title=t("form.title"),
        submit=t("form.submit"),
        close=t("form.close"),
        intro=t("form.intro"),
        optional_heading=t("form.optional_heading"),
        timezone=policy.timezone,
        context=context,
        fields=required + tuple(_optional(f) for f in optional),
    )


def _optional(item: Field) -> Field:
    return Field(**{**item.__dict__, "section": "optional"})
