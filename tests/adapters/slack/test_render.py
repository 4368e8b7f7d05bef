"""Rendering is pure: forms and cards become Block Kit that slack_sdk's models accept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack import ids, parse
from adapters.slack.render import views
from flows.cards import ActionId, Card, CardAction, Tone
from flows.chat import report_launcher
from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator
from flows.incidents.report_form import build_report_form
from flows.incidents.risk import DEFAULT_SIGNALS
from flows.model import ChainStep, Platform, RiskLevel, Role, Target
from flows.policy import Contact, Policy, Unit


def small_policy(units: int = 1) -> Policy:
    step = ChainStep(RiskLevel.L2, (Role.FIELD_MANAGER,), timedelta(minutes=15), (Role.DIVISION_HEAD,))
    return Policy(
        timezone="Asia/Tokyo", locale="ja", admins={},
        units=tuple(Unit(f"u{i}", f"拠点{i}", None, {Role.FIELD_MANAGER: (Target(Platform.SLACK, "C0MGR"),)})
                    for i in range(units)),
        escalation={level: step for level in RiskLevel}, signals=DEFAULT_SIGNALS,
        contacts=(Contact("警察相談", phone="#9110"),),
    )


def assert_valid_view(view: dict) -> None:
    """slack_sdk validates limits on to_dict(); equality proves nothing was dropped."""
    assert View(**view).to_dict() == view


def assert_valid_blocks(blocks: list[dict]) -> None:
    for block in blocks:
        assert Block.parse(block).to_dict() == block


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_report_modal_is_a_valid_view_with_required_part_first(locale):
    spec = build_report_form(small_policy(), Translator(locale), context="sos:7")
    view = views.report_modal(spec, locale=locale)

    assert_valid_view(view)
    assert view["callback_id"] == ids.REPORT_CALLBACK
    assert view["private_metadata"] == "sos:7"
    kinds = [b["type"] for b in view["blocks"]]
    divider = kinds.index("divider")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [f.id for f in spec.fields]
    required_ids = {f.id for f in spec.fields if f.required}
    assert all(b["block_id"] in required_ids for b in view["blocks"][:divider] if b["type"] == "input")
    assert all(b["optional"] for b in view["blocks"][divider:] if b["type"] == "input")
    assert view["blocks"][divider + 1]["text"]["text"] == spec.optional_heading


def test_long_form_title_falls_back_to_the_short_catalog_title():
    spec = FormSpec(id="f", title="A very long incident report form title", submit="Send", close="Close",
                    fields=(Field("x", FieldKind.TEXT, "X", required=True),))
    view = views.report_modal(spec, locale="en")
    assert view["title"]["text"] == Translator("en")("slack.modal.title")
    assert len(view["title"]["text"]) <= 24
    assert_valid_view(view)


def test_every_field_kind_renders_an_element_parse_can_read_back():
    spec = FormSpec(id="f", title="T", submit="S", close="C", timezone="Asia/Tokyo", fields=(
        Field("when", FieldKind.DATETIME, "When", required=True, initial="2026-01-01T09:00"),
        Field("what", FieldKind.TEXTAREA, "What", placeholder="p" * 200, max_length=5000),
        Field("n", FieldKind.NUMBER, "N", min_value=0, max_value=1440, initial="5"),
        Field("one", FieldKind.SELECT, "One", options=(Option("a", "A" * 100), Option("b", "B")), initial="b"),
        Field("many", FieldKind.MULTISELECT, "Many", options=(Option("a", "A"), Option("b", "B")), initial=("a",)),
    ))
    view = views.report_modal(spec)
    assert_valid_view(view)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["when"]["initial_date_time"] == 1767225600  # 09:00 JST = 00:00 UTC
    assert elements["what"]["multiline"] is True and elements["what"]["max_length"] == 3000
    assert len(elements["what"]["placeholder"]["text"]) == 150
    assert elements["n"] == {**elements["n"], "type": "number_input", "min_value": "0", "max_value": "1440"}
    assert len(elements["one"]["options"][0]["text"]["text"]) == 75
    assert elements["one"]["initial_option"]["value"] == "b"
    assert [o["value"] for o in elements["many"]["initial_options"]] == ["a"]


def test_more_than_100_units_become_option_groups():
    spec = build_report_form(small_policy(units=150), Translator("ja"))
    view = views.report_modal(spec)
    assert_valid_view(view)
    unit = next(b for b in view["blocks"] if b.get("block_id") == "unit")["element"]
    assert "options" not in unit
    assert sum(len(g["options"]) for g in unit["option_groups"]) == 150


def test_context_longer_than_private_metadata_is_refused():
    spec = FormSpec(id="f", title="T", submit="S", close="C", context="x" * 3001,
                    fields=(Field("x", FieldKind.TEXT, "X"),))
    with pytest.raises(ValueError, match="private_metadata"):
        views.report_modal(spec)


def test_errors_map_to_block_ids_and_unknown_keys_land_on_the_first_field():
    spec = build_report_form(small_policy(), Translator("ja"))
    errors = views.errors_for([f.id for f in spec.fields], {"description": "入力してください。", "": "保存できませんでした。"})
    assert errors == {"description": "入力してください。", spec.fields[0].id: "保存できませんでした。"}


def test_errors_can_be_shown_inline_in_a_rendered_modal():
    spec = build_report_form(small_policy(), Translator("ja"))
    view = views.report_modal(spec, {"description": "入力してください。"})
    assert_valid_view(view)
    position = next(i for i, b in enumerate(view["blocks"]) if b.get("block_id") == "description")
    assert "入力してください。" in view["blocks"][position + 1]["elements"][0]["text"]


def test_card_blocks_render_everything_and_escape_markup():
    card = Card(
        title="L3 重大 <!channel>",
        lines=("相手が <@U123> & <!here> と書いた", ""),
        fields=tuple((f"項目{i}", f"値{i}") for i in range(12)),
        actions=(CardAction(ActionId.ACKNOWLEDGE, "確認して対応する", "42", primary=True),
                 CardAction(ActionId.CHECKIN_ANSWER, "はい", "yes"), CardAction(ActionId.CHECKIN_ANSWER, "いいえ", "no")),
        tone=Tone.DANGER, footer="フッター <b>",
    )
    blocks = views.card_blocks(card)
    assert_valid_blocks(blocks)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "actions", "context"]
    assert blocks[0]["text"]["text"].startswith(views.TONE_MARK[Tone.DANGER])
    assert blocks[1]["text"]["text"] == "相手が &lt;@U123&gt; &amp; &lt;!here&gt; と書いた"
    assert len(blocks[2]["fields"]) == 10 and len(blocks[3]["fields"]) == 2
    assert blocks[2]["fields"][0]["text"] == "*項目0*\n値0"
    buttons = blocks[4]["elements"]
    assert [b["action_id"] for b in buttons] == ["kasuhara.acknowledge", "kasuhara.checkin_answer",
                                                 "kasuhara.checkin_answer.1"]
    assert buttons[0]["style"] == "primary" and buttons[0]["value"] == "42"
    assert [ids.parse_action_id(b["action_id"]) for b in buttons] == [
        ActionId.ACKNOWLEDGE, ActionId.CHECKIN_ANSWER, ActionId.CHECKIN_ANSWER]
    assert blocks[5]["elements"][0]["text"] == "フッター &lt;b&gt;"


def test_long_texts_are_clipped_to_slack_limits():
    card = Card(title="T" * 400, lines=("x" * 2500, "y" * 2500), fields=(("L", "v" * 3000),),
                actions=(CardAction(ActionId.OPEN_REPORT, "B" * 100),), summary="s" * 5000)
    message = views.card_message(card)
    assert_valid_blocks(message["blocks"])
    assert len(message["blocks"][0]["text"]["text"]) == 150
    assert [len(b["text"]["text"]) for b in message["blocks"][1:3]] == [2500, 2500]
    assert len(message["blocks"][4]["elements"][0]["text"]["text"]) == 75
    assert "value" not in message["blocks"][4]["elements"][0]  # empty values are omitted
    assert len(message["text"]) <= 3000


def test_clipping_never_leaves_half_an_escape():
    card = Card(title="t", fields=(("L", "a" * 1994 + "&&&&"),))
    text = views.card_blocks(card)[1]["fields"][0]["text"]
    assert len(text) <= 2000 and text.endswith("…") and not text.rstrip("…").endswith(("&", "&a", "&am"))


def test_card_message_uses_the_fallback_as_notification_text():
    card = Card(title="題名", summary="要約 <b>")
    assert views.card_message(card)["text"] == "要約 &lt;b&gt;"
    assert views.card_message(Card(title="題名"))["text"] == "題名"


def test_confirmation_view_is_a_valid_modal():
    card = Card(title="報告を受け付けました（K-1）", lines=("ありがとうございます。",), fields=(("番号", "K-1"),))
    view = views.confirmation_view(card, locale="en")
    assert_valid_view(view)
    assert view["title"]["text"] == Translator("en")("slack.confirm.title")
    assert view["callback_id"] == ids.CONFIRM_CALLBACK
    assert "submit" not in view


def test_rendered_modal_round_trips_through_parse():
    spec = build_report_form(small_policy(), Translator("ja"))
    view = views.report_modal(spec)
    state = {b["block_id"]: {b["element"]["action_id"]: {"type": b["element"]["type"]}}
             for b in view["blocks"] if b["type"] == "input"}
    raw = parse.raw_values(state)
    assert set(raw) == {f.id for f in spec.fields}


# -- after-care and consultation modals ------------------------------------------------------------
def aftercare_forms(locale: str) -> list[FormSpec]:
    """The record, reveal and reply forms exactly as the flows build them."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from flows.consultation.messages import reply_form, reveal_form
    from flows.aftercare.forms import build_record_form
    from flows.model import Consultation, FollowUp, Role

    policy, t = small_policy(), Translator(locale)
    now = datetime(2026, 1, 4, tzinfo=timezone.utc)
    incident = SimpleNamespace(case_no="K-2026-0001", level=RiskLevel.L3)  # all a record form reads
    forms = [build_record_form(FollowUp(1, kind, Role.HR, now, timedelta(days=1), timedelta(days=2), Role.HR, id=7),
                               incident, policy, t) for kind in ("hearing", "review", "meeting", "physician")]
    consultation = Consultation(id=1, code="C-2345", unit_id="u0", platform=Platform.SLACK, created_at=now)
    return [*forms, reveal_form(consultation, "takahashi", policy, t), reply_form("C-2345", policy, t)]


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_aftercare_and_consultation_form_is_a_valid_modal(locale):
    for spec in aftercare_forms(locale):
        view = views.form_modal(spec, callback_id=ids.FOLLOW_UP_CALLBACK)
        assert_valid_view(view)
        assert view["title"]["text"] == spec.title  # every title fits: nothing clipped
        assert view["private_metadata"] == spec.context
        assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [f.id for f in spec.fields]


def test_a_modal_opened_from_a_message_carries_that_message_in_its_metadata():
    spec = aftercare_forms("ja")[0]
    origin = parse.MessageAt("C0HRDESK", "1767225600.000010")
    view = views.form_modal(spec, callback_id=ids.FOLLOW_UP_CALLBACK, origin=origin)
    assert_valid_view(view)
    assert view["callback_id"] == ids.FOLLOW_UP_CALLBACK
    assert parse.modal_metadata(view["private_metadata"]) == (spec.context, origin)


def test_every_modal_has_its_own_callback_id():
    callbacks = [ids.REPORT_CALLBACK, ids.FOLLOW_UP_CALLBACK, ids.CONSULT_REPLY_CALLBACK, ids.CONSULT_REVEAL_CALLBACK,
                 ids.CONFIRM_CALLBACK, ids.DONE_CALLBACK]
    assert len(set(callbacks)) == len(callbacks)


def test_errors_of_a_form_without_the_spec_land_on_its_submitted_fields():
    assert views.errors_for(["with_whom", "notes"], {"with_whom": "必須です。", "": "保存できませんでした。"}) == {
        "with_whom": "必須です。 保存できませんでした。"}


def test_result_view_shows_a_card_in_place_of_the_form():
    card = Card(title="72時間フォローを記録しました：K-1", lines=("hr-satoさんが記録しました。",))
    view = views.result_view(card, title=Translator("ja")("slack.done.follow_up"), locale="ja")
    assert_valid_view(view)
    assert view["callback_id"] == ids.DONE_CALLBACK and "submit" not in view


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_report_launcher_is_one_button_that_opens_the_form(locale):
    message = views.card_message(report_launcher(Translator(locale)))
    assert_valid_blocks(message["blocks"])
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [b["action_id"] for b in actions["elements"]] == [ids.action_id(ActionId.OPEN_REPORT)]
    assert "value" not in actions["elements"][0]  # an empty context: a new report
