"""What people wrote is shown as text everywhere: every card and form, on Slack and on Teams.

Hostile strings (links, mentions, `<!channel>`, markdown, HTML, zero-width and RTL characters)
go into every user-written field of every card the flows build; the renderings must not turn
them into links, mentions or markup. Teams cards also go through the Adaptive Card 1.5 schema
and Teams' own rules (every input has a label and an errorMessage) — checked in Python here:
the `adaptivecards` npm parser is not part of the test environment.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters.slack.render import views
from adapters.teams.render import cards as teams_cards
from bot.policy_file import load_policy
from flows.aftercare import messages as aftercare_messages
from flows.aftercare.forms import build_record_form
from flows.consultation import messages as consultation_messages
from flows.i18n import Translator
from flows.incidents import messages
from flows.incidents.help import help_card
from flows.incidents.level import level_form
from flows.incidents.report_form import build_report_form
from flows.incidents.sos import sos_card
from flows.model import Actor, Consultation, FollowUp, Incident, Platform, RiskLevel, Role
from tests.adapters.teams.teams_cards_check import card_problems, walk

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
HOSTILE = ("sos [社内ポータルで安否登録](https://evil.example/sso) <https://evil.example/login|ログイン> <!channel> "
           "<!here> <@U0ADMIN> @channel **太字** _斜体_ ~取消~ `code` <script>alert(1)</script> <b>html</b> "
           "<at>Admin</at> &lt;escaped&gt; \u200bzero\u200dwidth \u202eRTL\u202c")
LINK_MARKERS = ("](https://evil", "<https://evil", "<!channel>", "<!here>", "<@U0ADMIN>", "<script>", "<at>")


@pytest.fixture(scope="module")
def policy():
    return load_policy(ROOT / "kasuhara.example.yaml")


def hostile_incident(**changes) -> Incident:
    base = Incident(unit_id="chuo", reporter=Actor(Platform.SLACK, "U1", HOSTILE), occurred_at=NOW,
                    contact_channel="phone", description=HOSTILE, behaviours=("abuse",), danger=False,
                    level=RiskLevel.L2, assessed_level=RiskLevel.L2, reasons=("abuse",), place=HOSTILE,
                    counterpart=HOSTILE, first_response=HOSTILE, injury_damage=HOSTILE, prevention=HOSTILE,
                    feelings_support=HOSTILE, id=7, case_no="K-2026-00007", created_at=NOW)
    return replace(base, **changes)


def every_card(policy, t):
    """Every card the flows build, each user-written field hostile."""
    incident = hostile_incident()
    acked = hostile_incident(acknowledged_at=NOW, acknowledged_by=HOSTILE, level_reason=HOSTILE,
                             level_changed_by=HOSTILE, level_changed_at=NOW)
    follow_up = FollowUp(incident_id=7, kind="hearing", role=Role.HR, due_at=NOW, remind_every=timedelta(days=1),
                         escalate_after=timedelta(days=2), escalate_to=Role.DIVISION_HEAD, id=3,
                         recorded_by=HOSTILE, recorded_at=NOW, record={"with_whom": HOSTILE},
                         sensitive={"notes": HOSTILE})
    case = Consultation(code="C-7KQM", unit_id="chuo", platform=Platform.SLACK, created_at=NOW, id=1,
                        revealed_name=HOSTILE)
    return {
        "alert": messages.alert_card(incident, policy, t, deadline=NOW),
        "alert acknowledged, level changed": messages.alert_card(acked, policy, t, deadline=None),
        "confirmation": messages.confirmation_card(incident, policy, t, notified_roles=("field_manager",),
                                                   deadline=NOW),
        "help is coming": messages.acknowledged_notice(acked, policy, t),
        "sos": sos_card(hostile_incident(is_sos=True, level=RiskLevel.L4), policy, t),
        "help": help_card(policy, t),
        "reminder for hr": aftercare_messages.reminder_card(follow_up, incident, policy, t, stage="due", for_hr=True),
        "recorded": aftercare_messages.recorded_card(follow_up, incident, policy, t),
        "hr record": aftercare_messages.hr_record_card(follow_up, incident, policy, t),
        "check-in answer": aftercare_messages.checkin_answer_card(incident, "support", HOSTILE, policy, t),
        "consultation relay": consultation_messages.relay_card(case, HOSTILE, policy, t),
        "consultation answer": consultation_messages.answer_card(case, HOSTILE, t),
        "consultation name given": consultation_messages.desk_notice_card(case, "revealed", policy, t),
    }


def every_form(policy, t):
    incident = hostile_incident()
    follow_up = FollowUp(incident_id=7, kind="hearing", role=Role.HR, due_at=NOW, remind_every=timedelta(days=1),
                         escalate_after=timedelta(days=2), escalate_to=Role.DIVISION_HEAD, id=3)
    case = Consultation(code="C-7KQM", unit_id="chuo", platform=Platform.SLACK, created_at=NOW, id=1)
    return {
        "report": build_report_form(policy, t),
        "record": build_record_form(follow_up, incident, policy, t),
        "reveal": consultation_messages.reveal_form(case, HOSTILE, policy, t),
        "reply": consultation_messages.reply_form("C-7KQM", policy, t),
        "level": level_form(incident, policy, t),
    }


def test_the_hostile_text_reaches_every_card_so_the_checks_below_can_fail(policy):
    for name, card in every_card(policy, Translator("ja")).items():
        if name in ("help",):
            continue
        shown = json.dumps([card.title, card.lines, card.fields, card.footer], ensure_ascii=False)
        assert "evil.example" in shown or name in ("help is coming", "consultation name given",
                                                   "recorded", "hr record", "reminder for hr", "sos",
                                                   "confirmation"), name


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_slack_shows_user_text_as_text(policy, locale):
    t = Translator(locale)
    for name, card in every_card(policy, t).items():
        message = views.card_message(card)
        texts = [message["text"]] + [n["text"] for n in walk(message["blocks"]) if n.get("type") == "mrkdwn"]
        for text in texts:
            assert not any(marker in text for marker in ("<https://evil", "<!channel>", "<!here>", "<@U0ADMIN>",
                                                          "<script>", "<at>")), (name, text[:200])
    for name, spec in every_form(policy, t).items():
        modal = views.form_modal(spec, callback_id="x")
        for node in walk(modal):
            if node.get("type") == "mrkdwn":
                assert "<!channel>" not in node["text"] and "<https://evil" not in node["text"], name


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_teams_shows_user_text_as_plain_text_runs_only(policy, locale):
    t = Translator(locale)
    for name, card in every_card(policy, t).items():
        rendered = teams_cards.card(card)
        assert card_problems(rendered) == [], name
        kinds = {node.get("type") for node in walk(rendered)}
        # TextBlock and FactSet run their text through markdown in Teams: a link would be live.
        assert not kinds & {"TextBlock", "FactSet"}, (name, kinds & {"TextBlock", "FactSet"})
        for node in walk(rendered):
            if node.get("type") == "TextRun":
                assert set(node) <= {"type", "text", "weight", "size", "color", "isSubtle", "italic"}, name


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_teams_dialog_passes_the_schema_and_every_input_has_a_label_and_an_error_message(policy, locale):
    t = Translator(locale)
    for name, spec in every_form(policy, t).items():
        for errors in ({}, {f.id: "エラー" for f in spec.fields}):
            rendered = teams_cards.form(spec, errors, nonce="n")
            assert card_problems(rendered) == [], name
            for node in walk(rendered):
                if str(node.get("type", "")).startswith("Input."):
                    assert node.get("label"), (name, node["id"], "no label")
                    assert node.get("errorMessage"), (name, node["id"], "no errorMessage")
            assert not {n.get("type") for n in walk(rendered)} & {"TextBlock", "FactSet"}, name
