"""Anonymous consultation by DM: offer, notice, relay, answer, close, deadlines, bad input."""
from flows.consultation.anonymity import CODE_RE
from flows.cards import ActionId, Card
from flows.consultation.messages import REVEAL_FORM_ID
from flows.forms import FormSpec
from flows.model import Actor, Platform

EMPLOYEE = Actor(Platform.SLACK, "U0EMPLOYEE7", "高橋")
OTHER = Actor(Platform.SLACK, "U0OTHER", "伊藤")
HR = Actor(Platform.SLACK, "U0HRDESK", "人事 鈴木")


def action(card: Card, action_id: ActionId):
    return next(a for a in card.actions if a.id is action_id)


def desk(world, address="C0CONSULT"):
    return world.notifier.to(address)


def to_employee(world):
    return world.notifier.to(EMPLOYEE.user_id, op="private")


async def dm(world, text, *, attachment=False, key=""):
    return await world.flows.consultation.handle_dm(EMPLOYEE, text, has_attachment=attachment, locale="ja",
                                                     request_key=key)


async def open_case(world, actor=EMPLOYEE) -> str:
    [offer] = await world.flows.consultation.handle_dm(actor, "相談", has_attachment=False, locale="ja")
    started = await world.flows.consultation.start(actor, action(offer, ActionId.CONSULT_START).value, locale="ja")
    return action(started, ActionId.CONSULT_CLOSE).value


async def test_offer_notice_relay_answer_and_close(world):
    [offer] = await dm(world, "上司に相談しづらいことがあります")
    text = " ".join(offer.lines)
    assert "誰か" in text and "管理者" in text and "暗号化" in text and "30日後" in text  # anonymity, plainly
    assert {a.id for a in offer.actions} == {ActionId.CONSULT_START, ActionId.OPEN_REPORT}
    await world.settle()
    assert desk(world) == []  # nothing is relayed before the employee chose to start

    started = await world.flows.consultation.start(EMPLOYEE, action(offer, ActionId.CONSULT_START).value, locale="ja")
    code = action(started, ActionId.CONSULT_CLOSE).value
    assert CODE_RE.match(code) and code in started.title
    [sent] = await dm(world, "お客様から毎日 <@U0EMPLOYEE7> 宛てに電話があり、つらいです", key="Ev1")
    assert code in sent.title and {a.id for a in sent.actions} >= {ActionId.CONSULT_CLOSE, ActionId.CONSULT_NEW}
    await world.settle()
    [relay] = desk(world)
    assert code in relay.card.title and "毎日" in relay.card.lines[0]
    assert "U0EMPLOYEE7" not in str(relay.card) and "高橋" not in str(relay.card)
    assert action(relay.card, ActionId.CONSULT_REPLY).value == code

    assert (await world.flows.consultation.hr_reply(Platform.SLACK, HR, relay.ref, "お話を伺います。", locale="ja",
                                                     request_key="Ev2")).title.startswith(f"相談 {code}")
    await world.settle()
    [answer] = to_employee(world)
    assert "お話を伺います。" in answer.card.lines and code in answer.card.title

    await dm(world, "ありがとうございます。", key="Ev3")
    await world.settle()
    assert len(desk(world)) == 2 and code in desk(world)[-1].card.title  # either side can continue

    closed = await world.flows.consultation.close(EMPLOYEE, code, locale="ja")
    assert code in closed.title and action(closed, ActionId.CONSULT_NEW)
    await world.settle()
    assert "終了" in desk(world)[-1].card.title
    late = await world.flows.consultation.hr_reply(Platform.SLACK, HR, code, "その後いかがですか", where="C0CONSULT", locale="ja")
    assert "終了" in late.title
    await world.settle()
    assert len(to_employee(world)) == 1  # the reply to a closed case was not sent
    [again] = await dm(world, "別の件です")
    assert action(again, ActionId.CONSULT_START)  # closed: a new DM offers a new consultation


async def test_a_dm_while_a_case_is_open_continues_it_and_another_can_be_started(world):
    code = await open_case(world)
    [shown] = await dm(world, "相談")
    assert code in shown.title and action(shown, ActionId.CONSULT_NEW)
    again = await world.flows.consultation.start(EMPLOYEE, "honsha", locale="ja")
    assert code in again.title  # a second click on start opens nothing new
    await dm(world, "続きです", key="a")
    new = await world.flows.consultation.start_new(EMPLOYEE, "honsha", locale="ja", request_key="n1")
    twice = await world.flows.consultation.start_new(EMPLOYEE, "honsha", locale="ja", request_key="n1")
    new_code = action(new, ActionId.CONSULT_CLOSE).value
    assert new_code != code and new.title == twice.title
    await dm(world, "別の件です", key="b")
    await dm(world, "別の件です", key="b")  # the platform redelivered the same event
    await world.settle()
    assert [code in s.card.title for s in desk(world)] == [True, False]


async def test_an_attachment_is_refused_and_nothing_is_relayed(world):
    [refused] = await dm(world, "写真を見てください", attachment=True)
    assert "ファイル" in refused.title
    code = await open_case(world)
    [refused] = await dm(world, "録音です", attachment=True, key="f1")
    assert "特定" in " ".join(refused.lines) and action(refused, ActionId.CONSULT_CLOSE).value == code
    await world.settle()
    assert desk(world) == []


async def test_hr_replies_to_a_closed_an_unknown_or_an_unrelated_thread(world):
    code = await open_case(world)
    await dm(world, "相談です", key="x")
    await world.settle()
    assert await world.flows.consultation.hr_reply(Platform.SLACK, HR, "C0CONSULT|999", "?", locale="ja") is None
    unknown = await world.flows.consultation.hr_reply(Platform.SLACK, HR, "C-2222", "?", where="C0CONSULT", locale="ja")
    assert "C-2222" in unknown.title and "見つかりません" in unknown.title
    other = await world.flows.consultation.close(OTHER, code, locale="ja")
    assert "見つからない" in other.title  # only the employee may close their case
    await world.flows.consultation.close(EMPLOYEE, code, locale="ja")
    closed = await world.flows.consultation.hr_reply(Platform.SLACK, HR, desk(world)[0].ref, "遅くなりました",
                                                      locale="ja")
    assert "終了" in closed.title
    await world.settle()
    assert to_employee(world) == []


async def test_no_first_reply_is_reminded_then_escalated_anonymously(world):
    code = await open_case(world)
    await dm(world, "夜眠れません。体調がすぐれません。", key="m1")
    await world.later(hours=23)
    assert len(desk(world)) == 1
    await world.later(hours=1)  # first_reply_within 24h
    reminder = desk(world)[-1]
    assert "未返信" in reminder.card.title and action(reminder.card, ActionId.CONSULT_REPLY).value == code
    await world.later(hours=24)  # escalate_after 48h: HR and the division head, still anonymous
    for address in ("C0HR", "C0DIVISION"):
        [escalation] = world.notifier.to(address)
        assert code in escalation.card.title and "眠れません" not in str(escalation.card)
        assert "U0EMPLOYEE7" not in str(escalation.card) and "高橋" not in str(escalation.card)
    await world.flows.consultation.hr_reply(Platform.SLACK, HR, reminder.ref, "返信が遅くなりすみません", locale="ja")
    await world.later(days=3)
    assert len(world.notifier.to("C0HR")) == 1 and len(to_employee(world)) == 1  # answered: no more pings


async def test_the_employee_may_give_a_name_and_the_link_is_erased_after_the_grace_period(world):
    code = await open_case(world)
    spec = await world.flows.consultation.reveal_form(EMPLOYEE, code, locale="ja")
    assert isinstance(spec, FormSpec) and spec.id == REVEAL_FORM_ID and spec.field("name").initial == "高橋"
    assert isinstance(await world.flows.consultation.reveal_form(OTHER, code, locale="ja"), Card)
    outcome = await world.flows.consultation.reveal(EMPLOYEE, spec.context, {"name": "高橋 花子"}, locale="ja")
    assert not outcome.errors and code in outcome.card.title
    await dm(world, "名前を伝えました", key="r1")
    await world.settle()
    revealed, relay = desk(world)
    assert "高橋 花子" in str(revealed.card) and "高橋 花子" in str(relay.card)
    assert "U0EMPLOYEE7" not in str(revealed.card) + str(relay.card)

    await world.flows.consultation.close(EMPLOYEE, code, locale="ja")
    async with world.store.transaction() as tx:
        consultation = await tx.consultations.get(code=code)
        assert (await tx.consultation_links.recipient(consultation.id)).user_id == EMPLOYEE.user_id
    await world.later(days=30)  # forget_after_close
    async with world.store.transaction() as tx:
        assert await tx.consultation_links.recipient(consultation.id) is None
        assert not await tx.consultation_links.is_owner(consultation.id, EMPLOYEE)
    assert "相談" in (await dm(world, "まだいますか"))[0].title  # a fresh offer: the old link is gone


async def test_a_case_nobody_writes_in_is_closed_and_then_forgotten(world):
    code = await open_case(world)
    await world.later(days=60)
    await dm(world, "まだ迷っています", key="q1")  # any message restarts the idle clock
    await world.later(days=89)
    assert not [s for s in to_employee(world) if "終了" in s.card.title]
    await world.later(days=1)  # 90 days of silence: closed, and both sides are told
    [closed] = [s for s in to_employee(world) if "終了" in s.card.title]
    assert code in closed.card.title and action(closed.card, ActionId.CONSULT_NEW)
    assert any("長くやり取りがない" in s.card.title for s in desk(world))
    async with world.store.transaction() as tx:
        consultation = await tx.consultations.get(code=code)
        assert (await tx.consultation_links.recipient(consultation.id)) is not None
    await world.later(days=30)  # then forgotten like any closed case
    async with world.store.transaction() as tx:
        assert await tx.consultation_links.recipient(consultation.id) is None
