"""After-care: 72-hour hearing and 2-week review, reminders, escalation, snooze, check-in."""
import asyncio

from flows.cards import ActionId, Card
from flows.aftercare.forms import FORM_ID
from flows.forms import FormSpec
from flows.model import Actor, FollowUpStatus, IncidentStatus, Platform
from tests.flows.conftest import World, alert_channel
from tests.flows.incidents.test_reporting import MANAGER, REPORTER, form, report
from tests.storage.test_anonymity import dump

HR = Actor(Platform.SLACK, "U0HR", "鈴木")
HR2 = Actor(Platform.SLACK, "U0HR2", "田中")
FEELINGS = "眠れない。面談を希望します。"  # form()'s feelings_support
HEARING = {"with_whom": "本人・店長", "support": ["counselling"], "briefing": "窓口担当に共有",
           "notes": "夜に眠れないとのこと。"}
REVIEW = {"participants": "人事・法務・店長", "findings": "30分超の一方的主張", "measures": "二人対応を徹底",
          "manual_changes": "時間区切りの話法を追記"}


def follow_up_cards(world, address):
    return [s.card for s in world.notifier.to(address)
            if any(a.id is ActionId.RECORD_FOLLOW_UP for a in s.card.actions)]


def action_value(card, action_id):
    return next(a.value for a in card.actions if a.id is action_id)


async def acknowledged_report(world, **overrides):
    incident = await report(world, **overrides)
    await world.flows.incidents.acknowledge(incident.id, MANAGER, where=alert_channel(incident))
    await world.settle()
    return incident


async def test_the_72_hour_hearing_is_reminded_when_due_recorded_and_done(world):
    incident = await acknowledged_report(world)
    await world.later(hours=71)
    assert follow_up_cards(world, "C0HR") == []
    await world.later(hours=1)
    [reminder] = follow_up_cards(world, "C0HR")
    assert incident.case_no in reminder.title and "72時間" in reminder.title
    assert [a.id for a in reminder.actions] == [ActionId.RECORD_FOLLOW_UP, ActionId.SNOOZE_FOLLOW_UP]
    assert any(FEELINGS in value for _, value in reminder.fields)  # HR is the one role that sees it
    follow_up_id = int(action_value(reminder, ActionId.RECORD_FOLLOW_UP))

    spec = await world.flows.aftercare.record_form(follow_up_id, HR, where="C0HR", locale="ja")
    assert isinstance(spec, FormSpec) and spec.id == FORM_ID and spec.context == str(follow_up_id)
    assert {f.id for f in spec.fields} == {"with_whom", "support", "briefing", "notes"}
    missing = await world.flows.aftercare.record(follow_up_id, HR, {}, where="C0HR", locale="ja", request_key="v0")
    assert set(missing.errors) == {"with_whom"}
    outcome = await world.flows.aftercare.record(follow_up_id, HR, HEARING, where="C0HR", locale="ja", request_key="v1")
    assert outcome.first and not outcome.errors
    shown = " ".join([outcome.card.title, *outcome.card.lines, *(v for _, v in outcome.card.fields)])
    assert "鈴木" in shown and "夜に眠れない" not in shown and "カウンセリング" not in shown  # safe anywhere
    await world.settle()
    hr_record = [s.card for s in world.notifier.to("C0HR") if "人事のみ" in s.card.title]
    assert len(hr_record) == 1 and any("夜に眠れない" in v for _, v in hr_record[0].fields)

    await world.later(days=3)
    assert len(follow_up_cards(world, "C0HR")) == 1  # recorded: no more reminders
    async with world.store.transaction() as tx:
        [hearing, review] = await tx.follow_ups.for_incident(incident.id)
        assert hearing.status is FollowUpStatus.DONE and hearing.sensitive["notes"] == HEARING["notes"]
        assert (hearing.recorded_by, hearing.recorded_by_id) == ("鈴木", "slack:U0HR")  # shown, and who it was
        assert (await tx.incidents.get(incident.id)).status is IncidentStatus.ACKNOWLEDGED
        actions = [e.action for e in await tx.audit.for_incident(incident.id)]
    assert "follow_up_viewed" in actions and "follow_up_recorded" in actions


async def test_hearing_notes_and_feelings_are_sealed_at_rest(world):
    incident = await acknowledged_report(world)
    await world.later(hours=72)
    async with world.store.transaction() as tx:
        [hearing, _] = await tx.follow_ups.for_incident(incident.id)
    await world.flows.aftercare.record(hearing.id, HR, HEARING, where="C0HR", locale="ja", request_key="v1")
    text = dump(world.url)
    assert "夜に眠れない" not in text and "counselling" not in text
    assert FEELINGS not in text  # the HR reminder carried it: sealed in the outbox as well
    await world.settle()  # ...and opened only to be delivered to HR
    assert any("夜に眠れない" in str(s.card) for s in world.notifier.to("C0HR"))
    assert "本人・店長" in text  # the non-sensitive part stays readable for the case's handlers


async def test_the_2_week_review_closes_the_case(world):
    incident = await acknowledged_report(world)
    await world.later(days=14)
    review = next(c for c in follow_up_cards(world, "C0HR") if "2週間" in c.title)
    outcome = await world.flows.aftercare.record(int(action_value(review, ActionId.RECORD_FOLLOW_UP)), HR, REVIEW,
                                                 where="C0HR", locale="ja", request_key="v2")
    assert outcome.first and "クローズ" in " ".join(outcome.card.lines)
    async with world.store.transaction() as tx:
        assert (await tx.incidents.get(incident.id)).status is IncidentStatus.CLOSED
        statuses = {f.kind: f.status for f in await tx.follow_ups.for_incident(incident.id)}
        assert "case_closed" in [e.action for e in await tx.audit.for_incident(incident.id)]
    assert statuses == {"hearing": FollowUpStatus.CANCELLED, "review": FollowUpStatus.DONE}
    await world.settle()  # the recorded reminder is replaced in place (an update, not a ping)
    assert [s.op for s in world.notifier.sent if s.op == "update" and s.address == "C0HR"] == ["update"]
    before = len(world.notifier.sent)
    await world.later(days=5)
    assert len(world.notifier.sent) == before  # a closed case pings nobody


async def test_a_report_made_after_the_deadline_is_followed_up_at_once(world):
    four_days_ago = str(int(world.clock.now().timestamp()) - 4 * 86400)
    await acknowledged_report(world, occurred_at=four_days_ago)
    assert len(follow_up_cards(world, "C0HR")) == 1  # the hearing, now; the review later
    assert len(world.notifier.to("U0REPORTER", op="private")) == 3  # confirmation, "help is coming", check-in


async def test_an_unrecorded_follow_up_is_reminded_daily_and_escalated_to_the_division_head(world):
    await acknowledged_report(world)
    await world.later(hours=72)  # due: reminder 1
    await world.later(days=1)  # overdue: reminder 2
    assert len(follow_up_cards(world, "C0HR")) == 2 and follow_up_cards(world, "C0DIVISION") == []
    await world.later(days=1)  # escalate_after (2 days): reminder 3 + escalation
    [escalated] = follow_up_cards(world, "C0DIVISION")
    assert "エスカレーション" in escalated.title
    assert not any(FEELINGS in v for _, v in escalated.fields)  # the division head is not HR
    assert [a.id for a in escalated.actions] == [ActionId.RECORD_FOLLOW_UP]
    await world.later(days=1)  # still nobody: both keep being reminded
    assert len(follow_up_cards(world, "C0HR")) == 4 and len(follow_up_cards(world, "C0DIVISION")) == 2
    follow_up_id = int(action_value(escalated, ActionId.RECORD_FOLLOW_UP))
    assert (await world.flows.aftercare.record(follow_up_id, MANAGER, HEARING, where="C0DIVISION", locale="ja", request_key="v")).first
    await world.later(days=3)
    assert len(follow_up_cards(world, "C0HR")) == 4 and len(follow_up_cards(world, "C0DIVISION")) == 2
    # every posted copy, in both channels, is replaced: no stale Record button stays live
    updates = [s for s in world.notifier.sent if s.op == "update"]
    posted = [s for s in world.notifier.sent if s.op == "post" and s.address in ("C0HR", "C0DIVISION")
              and any(a.id is ActionId.RECORD_FOLLOW_UP for a in s.card.actions)]
    assert sorted(u.ref for u in updates if u.address in ("C0HR", "C0DIVISION")) == sorted(p.ref for p in posted)
    assert all(not u.card.actions and "佐藤" in " ".join([u.card.title, *u.card.lines, *(v for _, v in u.card.fields)])
               for u in updates if u.address in ("C0HR", "C0DIVISION"))


async def test_snooze_postpones_a_day_but_never_past_the_escalation(world):
    await acknowledged_report(world)
    await world.later(hours=72)
    [first] = follow_up_cards(world, "C0HR")
    follow_up_id = int(action_value(first, ActionId.SNOOZE_FOLLOW_UP))
    card = await world.flows.aftercare.snooze(follow_up_id, HR, where="C0HR", locale="ja")
    assert "再通知" in card.title
    await world.later(hours=23)
    assert len(follow_up_cards(world, "C0HR")) == 1
    await world.later(hours=1)
    assert len(follow_up_cards(world, "C0HR")) == 2
    await world.later(hours=12)  # 36 h after due; a day's snooze would pass the 48 h escalation
    await world.flows.aftercare.snooze(follow_up_id, HR, where="C0HR", locale="ja")
    await world.later(hours=11)
    assert len(follow_up_cards(world, "C0HR")) == 2 and follow_up_cards(world, "C0DIVISION") == []
    await world.later(hours=1)  # exactly at the escalation
    assert len(follow_up_cards(world, "C0HR")) == 3 and len(follow_up_cards(world, "C0DIVISION")) == 1


async def test_a_follow_up_recorded_twice_keeps_one_record_and_tells_the_second_who(world):
    incident = await acknowledged_report(world)
    await world.later(hours=72)
    follow_up_id = int(action_value(follow_up_cards(world, "C0HR")[0], ActionId.RECORD_FOLLOW_UP))
    first, second = await asyncio.gather(
        world.flows.aftercare.record(follow_up_id, HR, HEARING, where="C0HR", locale="ja", request_key="a"),
        world.flows.aftercare.record(follow_up_id, HR2, {**HEARING, "notes": "別のメモ"}, where="C0HR", locale="ja", request_key="b"))
    assert [first.first, second.first].count(True) == 1
    loser, winner = (second, HR) if first.first else (first, HR2)
    assert winner.name in loser.card.title and "記録済み" in loser.card.title
    again = await world.flows.aftercare.record(follow_up_id, HR, HEARING, where="C0HR", locale="ja", request_key="a")
    assert again.card is not None and not again.errors  # a resubmitted form is not an error
    async with world.store.transaction() as tx:
        [hearing, _] = await tx.follow_ups.for_incident(incident.id)
        recorded = [e for e in await tx.audit.for_incident(incident.id) if e.action == "follow_up_recorded"]
    assert len(recorded) == 1 and hearing.recorded_by in (HR.name, HR2.name)
    assert isinstance(await world.flows.aftercare.record_form(follow_up_id, HR2, where="C0HR", locale="ja"), Card)


async def test_the_check_in_reaches_the_employee_privately_and_the_answer_only_hr(world):
    await acknowledged_report(world)
    await world.later(hours=72)
    checkin = world.notifier.to("U0REPORTER", op="private")[-1].card
    assert checkin.title == "その後、いかがですか"
    answers = [a for a in checkin.actions if a.id is ActionId.CHECKIN_ANSWER]
    assert len(answers) == 3
    support = next(a for a in answers if a.value.endswith(":support"))
    before = {s.address for s in world.notifier.sent}
    assert (await world.flows.aftercare.checkin_answer(support.value, MANAGER, locale="ja")).title \
        == "この確認は見つかりませんでした。"  # only the person concerned may answer
    thanks = await world.flows.aftercare.checkin_answer(support.value, REPORTER, locale="ja", note="少し休みたいです")
    assert "人事" in thanks.title
    await world.settle()
    new = world.notifier.sent[-1:]
    assert [s.address for s in new] == ["C0HR"] and any("少し休みたい" in v for _, v in new[0].card.fields)
    assert all("少し休みたい" not in str(s.card) for s in world.notifier.sent if s.address != "C0HR")
    assert {s.address for s in world.notifier.sent} == before | {"C0HR"}
    await world.later(days=1)
    assert len(world.notifier.to("U0REPORTER", op="private")) == 3  # confirmation, "help is coming", check-in


async def test_l3_gets_a_first_meeting_reminder_and_the_physician_interview_offered(world):
    await acknowledged_report(world, behaviours=["threat"])
    await world.later(hours=1)
    [meeting] = follow_up_cards(world, "C0DIVISION")
    assert "初動会議" in meeting.title
    await world.later(hours=71)
    hearing = next(c for c in follow_up_cards(world, "C0HR") if "72時間" in c.title)
    assert any("産業医面談" in line for line in hearing.lines)
    spec = await world.flows.aftercare.record_form(int(action_value(hearing, ActionId.RECORD_FOLLOW_UP)), HR,
                                                   where="C0HR", locale="en")
    assert spec.field("support").initial == ("physician",) and "physician" in spec.intro


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_restart(tmp_path):
    before = World(tmp_path)
    out = await before.flows.incidents.submit_report(REPORTER, form(before), locale="ja", request_key="k")
    await before.flows.incidents.acknowledge(out.incident.id, MANAGER, where=alert_channel(out.incident))
    await before.settle()
    await before.store.close()  # down for four days

    after = World(tmp_path)
    after.clock.advance(hours=80)
    await after.settle()
    await after.settle()
    assert len(follow_up_cards(after, "C0HR")) == 1
    assert len(after.notifier.to("U0REPORTER", op="private")) == 1  # the check-in, once
    await after.store.close()

    again = World(tmp_path)  # and a second restart sends nothing twice
    again.clock.advance(hours=81)
    await again.settle()
    assert follow_up_cards(again, "C0HR") == [] and again.notifier.to("U0REPORTER", op="private") == []
    await again.store.close()
