"""After a whole Teams consultation, neither the database nor any log line names the employee.

The one exception is the row Teams needs to reach her at all: her personal chat's conversation
reference (conversation_refs, keyed by her Entra object id). That row must hold nothing that
ties it to a consultation: no case code, no consultation id, no time of day.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
from urllib.parse import quote

from tests.adapters.teams.teams_consult import (
    EMPLOYEE_AAD,
    EMPLOYEE_CHAT,
    EMPLOYEE_ID,
    EMPLOYEE_NAME,
    click,
    desk_posts,
    reply_as_desk,
    start_case,
    write,
)
from tests.adapters.teams.teams_harness import DESK_CHANNEL, install_in_team, payload, posts_to

WORDS = "夜も眠れず、出勤するのがこわいです。"
REFS_TABLE = "conversation_refs"


def dump(path) -> list[str]:
    """Every row of every table, as SQL statements (all columns as text)."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def identifying() -> tuple[str, ...]:
    """What would tie a line to the employee: her ids (raw and URL-encoded), name, chat, words."""
    values = (EMPLOYEE_AAD, EMPLOYEE_ID, EMPLOYEE_NAME, EMPLOYEE_CHAT, WORDS)
    return tuple(dict.fromkeys((*values, *(quote(v, safe="") for v in values))))


async def test_no_table_and_no_log_line_names_the_employee_of_a_teams_consultation(world, caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # and SQLAlchemy every statement
    caplog.set_level(logging.DEBUG)  # every logger; aiosqlite logs statement parameters at DEBUG
    await install_in_team(world, DESK_CHANNEL)
    code = await start_case(world)
    await write(world, WORDS)
    await world.drain()
    await reply_as_desk(world, code, "お話を伺います。")
    await world.drain()
    await write(world, "ありがとうございます。")
    await click(world, "consult_close", code)
    await world.drain()
    while_open = dump(tmp_path / "kasuhara.db")
    world.clock.advance(days=31)  # the link to the employee is erased after the grace period
    await world.drain()
    after = dump(tmp_path / "kasuhara.db")

    # The ids did go through the system, so that this test can fail: they came in with every activity,
    # the desk's answer reached her chat, and the one reference row and its SQL log lines hold them.
    inbound = json.dumps(payload("teams_message_personal_consult"), ensure_ascii=False)
    assert EMPLOYEE_AAD in inbound and EMPLOYEE_ID in inbound and EMPLOYEE_NAME in inbound
    assert any("お話を伺います。" in str(r.card) for r in posts_to(world, EMPLOYEE_CHAT))
    assert WORDS in str(desk_posts(world)[0].card)
    refs = [line for line in while_open if f'INSERT INTO "{REFS_TABLE}"' in line]
    assert any(EMPLOYEE_AAD in line and EMPLOYEE_NAME in line for line in refs)
    logs = [record.getMessage() for record in caplog.records]
    # SQL statements are logged, their parameters never (hide_parameters; no aiosqlite DEBUG lines).
    assert any(REFS_TABLE in line for line in logs)
    assert any("INSERT INTO outbox" in line for line in logs)
    assert code in "\n".join(while_open)

    # Only the reference row (and the SQL statements that read or write it) may name her ...
    for text in (*while_open, *after, *logs):
        if REFS_TABLE in text:
            continue
        for value in identifying():
            assert value not in text, f"{value[:12]}… in: {text[:300]}"
    # ... and that row holds nothing of a consultation, nor when she last wrote.
    for line in (*refs, *(line for line in logs if REFS_TABLE in line)):
        assert code not in line and "consultation" not in line.lower() and WORDS not in line
    assert all(re.search(r"'\d{4}-\d\d-\d\d 00:00:00(\.000000)?'", line) for line in refs)
    assert "consultation_link_erased" in "\n".join(after)


async def test_a_failing_consultation_is_logged_without_the_person_or_the_words(world, caplog, tmp_path):
    await install_in_team(world, DESK_CHANNEL)
    code = await start_case(world)
    with sqlite3.connect(tmp_path / "kasuhara.db") as database:  # break storage for real
        database.execute("ALTER TABLE consultations RENAME TO consultations_gone")
    caplog.set_level(logging.DEBUG)
    [sorry] = await write(world, WORDS)
    assert "actions" not in sorry and "もう一度" in str(sorry)
    closed = await click(world, "consult_close", code)
    assert closed["type"] == "application/vnd.microsoft.activity.message"
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("OperationalError" in line for line in failures)
    for line in (r.getMessage() for r in caplog.records if "conversation_refs" not in r.getMessage()):
        for value in identifying():
            assert value not in line, f"{value[:12]}… in: {line[:300]}"
