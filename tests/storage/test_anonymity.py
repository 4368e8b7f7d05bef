"""After a whole anonymous consultation, no table and no log line holds the employee's user id."""
import logging
import sqlite3

from flows.cards import ActionId
from flows.model import Actor, Platform
from tests.flows.conftest import World

EMPLOYEE = Actor(Platform.SLACK, "U7ANON42", "高橋")
HR = Actor(Platform.SLACK, "U0HRDESK", "鈴木")


def dump(url: str) -> str:
    """Every row of every table (all columns as text), as SQL."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def value(card, action_id):
    return next(a.value for a in card.actions if a.id is action_id)


async def test_the_employee_id_is_in_no_table_and_no_log_line(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # and SQLAlchemy every statement
    caplog.set_level(logging.DEBUG)  # the SQL driver logs statement parameters at DEBUG
    world = World(tmp_path)
    consultations = world.flows.consultation
    [offer] = await consultations.handle_dm(EMPLOYEE, "相談したいです", has_attachment=False, locale="ja",
                                            request_key="slack:event:Ev1")
    started = await consultations.start(EMPLOYEE, value(offer, ActionId.CONSULT_START), locale="ja")
    code = value(started, ActionId.CONSULT_CLOSE)
    await consultations.handle_dm(EMPLOYEE, f"<@{EMPLOYEE.user_id}> の件で困っています", has_attachment=False,
                                  locale="ja", request_key="slack:event:Ev2")
    await consultations.handle_dm(EMPLOYEE, "写真です", has_attachment=True, locale="ja")
    await world.settle()
    relay = world.notifier.to("C0CONSULT")[0]
    await consultations.hr_reply(Platform.SLACK, HR, relay.ref, "お話を伺います", locale="ja", request_key="Ev3")
    spec = await consultations.reveal_form(EMPLOYEE, code, locale="ja")
    await consultations.reveal(EMPLOYEE, spec.context, {"name": "高橋"}, locale="ja")
    await world.later(hours=49)  # first-reply deadline chain has run its course
    await consultations.close(EMPLOYEE, code, locale="ja")
    await world.settle()
    while_open = dump(world.url)
    await world.later(days=31)  # the link is erased after the grace period
    after = dump(world.url)
    await world.store.close()

    # The id did go through the system (so this test can fail): the answer reached the employee's DM.
    assert [s.address for s in world.notifier.sent if s.op == "private"] == [EMPLOYEE.user_id]
    # And the dump and the log capture would show an id if one were stored or logged.
    assert HR.user_id in while_open and code in while_open
    assert any("INSERT INTO outbox" in r.getMessage() for r in caplog.records)

    logs = "\n".join(r.getMessage() for r in caplog.records)
    for text in (while_open, after, logs):
        assert EMPLOYEE.user_id not in text
        assert EMPLOYEE.name not in text  # the display name, and the name given with consent, stay sealed
        assert "困っています" not in text  # the consultation's content is sealed at rest too
    assert "consultation_link_erased" in after
