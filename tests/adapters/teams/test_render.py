"""Adaptive Card rendering of every neutral card and form the flows make (pure functions)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from adapters.teams import ids
from adapters.teams.render.cards import card, form, text
from bot.policy_file import load_policy
from tests.adapters.teams.teams_harness import POLICY
from flows.aftercare import messages as aftercare_messages
from flows.consultation import messages as consultation_messages
from flows.incidents import messages
from flows.incidents.help import help_card
from flows.incidents.sos import sos_card
from flows.cards import ActionId, Card, CardAction, Tone
from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator
from flows.aftercare.forms import build_record_form
from flows.model import Actor, Consultation, FollowUp, FollowUpStatus, Incident, Platform, RiskLevel, Role
from flows.incidents.report_form import build_report_form
from tests.adapters.teams.teams_cards_check import card_problems, inputs, walk

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def policy():
    return load_policy(POLICY)


def incident(**changes) -> Incident:
    base = Incident(unit_id="honsha", reporter=Actor(Platform.TEAMS, "aad-1", "Rido"), occurred_at=NOW,
                    contact_channel="phone", description="大声で*30分以上*一方的に主張 [録音あり]", behaviours=("abuse",),
                    danger=False, level=RiskLevel.L2, assessed_level=RiskLevel.L2, reasons=("abuse",), id=7,
                    case_no="KH-2026-0007", created_at=NOW)
    return replace(base, **changes)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_flows_card_renders_as_a_valid_teams_card(policy, locale):
    t = Translator(locale)
    rendered = [
        card(messages.alert_card(incident(), policy, t, deadline=NOW + timedelta(minutes=15))),
        card(messages.alert_card(incident(acknowledged_at=NOW, acknowledged_by="Boss"), policy, t, deadline=None)),
        card(sos_card(incident(is_sos=True, level=RiskLevel.L4), policy, t)),
        card(help_card(policy, t)),
        card(messages.unknown_command_card(t)),
    ]
    for item in rendered:
        assert card_problems(item) == []


def test_the_card_check_refuses_what_teams_would_refuse(policy):
    """The checker itself can fail: broken variants of a real card each get a problem named."""
    good = card(help_card(policy, Translator("ja")))
    assert card_problems(good) == []
    broken = {"unknown element": lambda c: c["body"].append({"type": "Marquee", "text": "x"}),
              "text of the wrong type": lambda c: c["body"].append({"type": "TextBlock", "text": 5}),
              "an input without its id": lambda c: c["body"].append({"type": "Input.Text"}),
              "an odd enum value": lambda c: c["body"].append({"type": "TextBlock", "text": "x", "size": "Huge"}),
              "an action without its type": lambda c: c.setdefault("actions", []).append({"title": "x"}),
              "a column set of text": lambda c: c["body"].append({"type": "ColumnSet", "columns": ["x"]})}
    for label, breaking in broken.items():
        bad = json.loads(json.dumps(good))
        breaking(bad)
        assert card_problems(bad), label
    assert card_problems({**good, "version": "1.6"}) == ["version '1.6' is not 1.5"]
    assert any("28 KB" in p for p in card_problems({**good, "body": [{"type": "TextBlock", "text": "あ" * 10000}]}))


def test_acknowledge_is_a_universal_action_with_the_incident_id_and_a_refresh(policy):
    rendered = card(messages.alert_card(incident(), policy, Translator("ja"), deadline=NOW))
    [ack, change] = rendered["actions"]
    assert change["data"]["kasuharaAction"] == "change_level" and change["data"]["msteams"] == {"type": "task/fetch"}
    assert ack == {"type": "Action.Execute", "title": "確認して対応する", "verb": "kasuhara.acknowledge",
                   "data": {"incidentId": "7"}}
    assert rendered["refresh"]["action"] == {"type": "Action.Execute", "verb": ids.REFRESH_VERB,
                                             "data": {"incidentId": "7"}}


def test_an_acknowledged_alert_keeps_only_the_level_change_and_no_refresh(policy):
    rendered = card(messages.alert_card(incident(acknowledged_at=NOW, acknowledged_by="Boss"), policy,
                                        Translator("ja"), deadline=None))
    assert [a["data"]["kasuharaAction"] for a in rendered["actions"]] == ["change_level"]
    assert "refresh" not in rendered


def test_open_report_opens_the_dialog_and_carries_the_context(policy):
    rendered = card(sos_card(incident(is_sos=True, level=RiskLevel.L4), policy, Translator("ja")))
    [button] = rendered["actions"]
    assert button["type"] == "Action.Submit"
    assert button["data"] == {"msteams": {"type": "task/fetch"}, "kasuharaAction": "open_report",
                              "kasuharaContext": "sos:7"}


def test_typed_text_is_shown_verbatim_not_as_markdown(policy):
    rendered = card(messages.alert_card(incident(), policy, Translator("ja"), deadline=NOW))
    runs = [n["text"] for n in walk(rendered) if n.get("type") == "TextRun"]
    assert "大声で*30分以上*一方的に主張 [録音あり]" in runs
    assert not any(n.get("type") == "TextBlock" and "*30分以上*" in n.get("text", "") for n in walk(rendered))


def test_tone_colours_the_title_band():
    danger = card(Card("緊急", tone=Tone.DANGER))
    assert danger["body"][0]["style"] == "attention"
    assert danger["body"][0]["items"][0]["inlines"][0]["color"] == "attention"
    assert card(Card("ok", tone=Tone.GOOD))["body"][0]["style"] == "good"


def test_primary_action_comes_first_and_other_actions_are_verbs():
    rendered = card(Card("x", actions=(CardAction(ActionId.CONSULT_CLOSE, "終了", "C-AB23"),
                                       CardAction(ActionId.SNOOZE_FOLLOW_UP, "延期", "12", primary=True))))
    assert [a["verb"] for a in rendered["actions"]] == ["kasuhara.snooze_follow_up", "kasuhara.consult_close"]
    assert rendered["actions"][0]["data"] == {"kasuharaValue": "12"}
    assert rendered["actions"][1]["data"] == {"kasuharaValue": "C-AB23"}


@pytest.mark.parametrize("action_id, value", [(ActionId.RECORD_FOLLOW_UP, "12"), (ActionId.CONSULT_REPLY, "C-AB23"),
                                              (ActionId.CONSULT_REVEAL, "C-AB23"), (ActionId.OPEN_REPORT, "")])
def test_buttons_with_a_form_open_a_dialog_naming_it_and_its_context(action_id, value):
    [button] = card(Card("x", actions=(CardAction(action_id, "開く", value),)))["actions"]
    assert button == {"type": "Action.Submit", "title": "開く",
                      "data": {"msteams": {"type": "task/fetch"}, "kasuharaAction": action_id.value,
                               "kasuharaContext": value}}


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_real_report_form_is_a_valid_dialog_card(policy, locale):
    spec = build_report_form(policy, Translator(locale), context="sos:3")
    rendered = form(spec, nonce="n-1")
    assert card_problems(rendered) == []
    [submit] = rendered["actions"]
    assert submit["type"] == "Action.Submit" and submit["title"] == spec.submit
    assert submit["data"] == {"kasuharaForm": "incident_report", "kasuharaContext": "sos:3", "kasuharaNonce": "n-1",
                              "kasuharaKinds": {f.id: f.kind.value for f in spec.fields
                                                if f.kind in (FieldKind.DATETIME, FieldKind.MULTISELECT)}}
    assert submit["data"]["kasuharaKinds"]["occurred_at"] == "datetime"


def test_form_inputs_follow_the_field_kinds(policy):
    spec = build_report_form(policy, Translator("ja"))
    found = inputs(form(spec))
    assert found["occurred_at.date"]["type"] == "Input.Date" and found["occurred_at.date"]["isRequired"]
    assert found["occurred_at.time"]["type"] == "Input.Time"
    assert found["channel"]["type"] == "Input.ChoiceSet" and found["channel"]["style"] == "compact"
    assert found["channel"]["isMultiSelect"] is False
    assert found["behaviours"]["isMultiSelect"] is True
    assert found["description"]["isMultiline"] is True and found["description"]["maxLength"] == 3000
    assert found["duration_minutes"]["type"] == "Input.Number" and found["duration_minutes"]["max"] == 1440
    assert found["place"]["isRequired"] is False
    assert set(found) == {f.id for f in spec.fields if f.kind is not FieldKind.DATETIME} | {
        "occurred_at.date", "occurred_at.time"}


def test_optional_fields_come_after_a_heading(policy):
    spec = build_report_form(policy, Translator("ja"))
    body = form(spec)["body"]
    heading = next(i for i, n in enumerate(body)
                   if n.get("inlines") and n["inlines"][0]["text"] == spec.optional_heading)
    first_optional = next(i for i, n in enumerate(body) if n.get("id") == "place")
    assert body[heading]["separator"] is True and heading < first_optional


def test_errors_are_red_text_under_their_field_and_the_input_error_message(policy):
    spec = build_report_form(policy, Translator("ja"))
    rendered = form(spec, {"description": "入力してください", "occurred_at": "未来の日時です"})
    assert card_problems(rendered) == []
    body = rendered["body"]
    index = next(i for i, n in enumerate(body) if n.get("id") == "description")
    after = body[index + 1:index + 3]
    assert {"type": "RichTextBlock", "spacing": "None", "inlines": [
        {"type": "TextRun", "text": "入力してください", "color": "Attention", "weight": "Bolder", "size": "Small"}]} in after
    assert inputs(rendered)["description"]["errorMessage"] == "入力してください"
    assert inputs(rendered)["occurred_at.date"]["errorMessage"] == "未来の日時です"
    # Inputs without an error of ours carry the form's message for Teams' own check (empty required field).
    assert inputs(rendered)["channel"]["errorMessage"] == Translator("ja")("form.error.required")
    assert inputs(rendered)["occurred_at.time"]["label"] == Translator("ja")("form.occurred_at.time")


def test_initial_values_are_prefilled():
    spec = FormSpec("f", "T", "送信", "閉じる", timezone="Asia/Tokyo", fields=(
        Field("when", FieldKind.DATETIME, "日時", initial=str(int(NOW.timestamp()))),
        Field("kinds", FieldKind.MULTISELECT, "種類", options=(Option("a", "A"), Option("b", "B")), initial=("a", "b")),
        Field("n", FieldKind.NUMBER, "分", initial="40"),
        Field("t", FieldKind.TEXT, "場所", initial="2F"),
    ))
    found = inputs(form(spec))
    assert (found["when.date"]["value"], found["when.time"]["value"]) == ("2026-11-20", "10:00")
    assert found["kinds"]["value"] == "a,b" and found["n"]["value"] == 40 and found["t"]["value"] == "2F"


def _follow_up(kind: str, **changes) -> FollowUp:
    base = FollowUp(incident_id=7, kind=kind, role=Role.HR, due_at=NOW, remind_every=timedelta(days=1),
                    escalate_after=timedelta(days=2), escalate_to=Role.DIVISION_HEAD, id=3)
    return replace(base, **changes)


def _consultation(**changes) -> Consultation:
    return replace(Consultation(code="C-7KQM", unit_id="honsha", platform=Platform.TEAMS, created_at=NOW, id=2,
                                first_message_at=NOW), **changes)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_after_care_and_consultation_card_renders_as_a_valid_teams_card(policy, locale):
    t = Translator(locale)
    l3 = incident(level=RiskLevel.L3, feelings_support="夜眠れない" * 200)
    recorded = _follow_up("hearing", status=FollowUpStatus.DONE, recorded_by="佐藤", recorded_at=NOW,
                          record={"with_whom": "本人"}, sensitive={"support": ["physician"], "notes": "メモ" * 1500})
    c = _consultation()
    sources = [
        *(aftercare_messages.reminder_card(_follow_up(k), l3, policy, t, stage=s, for_hr=True)
          for k in ("hearing", "review", "meeting", "physician") for s in ("due", "overdue", "escalated")),
        aftercare_messages.recorded_card(recorded, l3, policy, t),
        aftercare_messages.hr_record_card(recorded, l3, policy, t),
        aftercare_messages.checkin_card(l3, policy, t),
        aftercare_messages.checkin_answer_card(l3, "support", "話を聞いてほしい" * 300, policy, t),
        consultation_messages.offer_card([("honsha", "本社"), ("osaka", "大阪支店")], policy, t),
        consultation_messages.started_card(c, policy, t),
        consultation_messages.relayed_card(c, t),
        consultation_messages.continue_card(c, t),
        consultation_messages.attachment_card(c, t),
        consultation_messages.attachment_card(None, t),
        consultation_messages.closed_card(c, policy, t),
        consultation_messages.answer_card(c, "お話を伺います。" * 300, t),
        consultation_messages.relay_card(c, "つらいです。" * 500, policy, t),  # the flows cap text at 3,000
        consultation_messages.deadline_card(c, policy, t, escalation=False),
        consultation_messages.deadline_card(c, policy, t, escalation=True),
        consultation_messages.desk_notice_card(replace(c, revealed_name="ボウエン"), "revealed", policy, t),
        consultation_messages.desk_notice_card(c, "closed", policy, t),
    ]
    for source in sources:
        assert card_problems(card(source)) == [], source.title


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_after_care_and_consultation_forms_are_valid_dialog_cards(policy, locale):
    t = Translator(locale)
    specs = [*(build_record_form(_follow_up(k), incident(level=RiskLevel.L3), policy, t)
               for k in ("hearing", "review", "meeting", "physician")),
             consultation_messages.reveal_form(_consultation(), "Megan Bowen", policy, t),
             consultation_messages.reply_form("C-7KQM", policy, t)]
    for spec in specs:
        rendered = form(spec, {f.id: "エラー" for f in spec.fields}, nonce="n", values={"support": "physician"})
        assert card_problems(rendered) == [], spec.id
        assert rendered["actions"][0]["data"]["kasuharaContext"] == spec.context


def test_an_l3_hearing_form_offers_the_physician_interview_preselected(policy):
    spec = build_record_form(_follow_up("hearing"), incident(level=RiskLevel.L3), policy, Translator("ja"))
    found = inputs(form(spec))
    assert found["support"]["value"] == "physician" and found["support"]["isMultiSelect"] is True
    assert form(spec)["actions"][0]["data"]["kasuharaKinds"] == {"support": "multiselect"}


def test_what_was_typed_comes_back_with_the_errors():
    spec = FormSpec("f", "T", "送信", "閉じる", timezone="Asia/Tokyo", fields=(
        Field("when", FieldKind.DATETIME, "日時", initial=str(int(NOW.timestamp()))),
        Field("kinds", FieldKind.MULTISELECT, "種類", options=(Option("a", "A"), Option("b", "B")), initial=("a",)),
        Field("n", FieldKind.NUMBER, "分"),
        Field("t", FieldKind.TEXTAREA, "内容", initial="初期値"),
    ))
    typed = {"when.date": "2026-11-19", "when.time": "", "kinds": "b", "n": "40", "t": "一行目\n二行目"}
    found = inputs(form(spec, {"t": "長すぎます"}, values=typed))
    assert (found["when.date"]["value"], "value" in found["when.time"]) == ("2026-11-19", False)  # emptied stays empty
    assert found["kinds"]["value"] == "b" and found["n"]["value"] == 40
    assert found["t"]["value"] == "一行目\n二行目" and found["t"]["errorMessage"] == "長すぎます"


def test_a_card_as_text_is_its_title_and_lines():
    assert text(Card("題", lines=("一", "", "二"), fields=(("k", "v"),))) == "題\n一\n二"
