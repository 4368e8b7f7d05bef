"""Repeat customers: a second report of the same customer names the first case, is at least L2,
shows the measures HR recorded, and the identifier stays sealed (HR only)."""
from __future__ import annotations

from pathlib import Path

import hashlib
import sqlite3
from datetime import timedelta

import pytest

from flows.model import RiskLevel
from flows.reports.customers import normalize_identifier
from flows.reports.period import Month, ReportInputError
from storage.keys import generate
from tests.databases import migrated_sqlite
from tests.keys import TEST_KEY, sealer_for
from storage.customers import DIGEST_PURPOSE
from tests.flows.conftest import World
from tests.flows.incidents.test_reporting import REPORTER, form
from tests.reports.test_monthly_report import POLICY, build

PHONE = "+81 90-1234-5678"


@pytest.fixture
async def world(tmp_path):
    w = World(tmp_path)
    yield w
    await w.store.close()


async def submit(world, key, **overrides):
    outcome = await world.flows.incidents.submit_report(REPORTER, form(world, **overrides), locale="ja",
                                                        request_key=key)
    assert not outcome.errors, outcome.errors
    await world.settle()
    return outcome


def alerts(world, address):
    return [s.card for s in world.notifier.to(address)]


def shown(card) -> str:
    return " ".join([card.title, *card.lines, *(f"{k} {v}" for k, v in card.fields), card.footer])


@pytest.mark.parametrize("text, normalised", [
    ("+81 90-1234-5678", "09012345678"), ("090 1234 5678", "09012345678"), ("０９０－１２３４－５６７８", "09012345678"),
    ("Cust-0042", "cust0042"), ("品川 300 あ 12-34", "品川300あ1234"), (" 、。・- ", ""),
])
def test_identifiers_are_normalised_before_matching(text, normalised):
    assert normalize_identifier(text) == normalised


async def test_a_second_report_of_the_same_customer_names_the_first_case_and_is_at_least_l2(world):
    first = (await submit(world, "a", customer_id=PHONE)).incident
    world.clock.advance(days=20)
    second = await submit(world, "b", customer_id="090-1234-5678", behaviours=["rough_tone"])  # an L1 behaviour
    assert second.incident.level is RiskLevel.L2 and "repeat_customer" in second.incident.reasons
    [alert] = [c for c in alerts(world, "C1MANAGER") if second.incident.case_no in c.title]
    assert first.case_no in shown(alert) and "同じ顧客の報告が過去180日以内に1件" in shown(alert)
    assert "同じ顧客からの繰返し" in shown(alert)  # the reason, in the alert's fields
    assert "1234" not in shown(alert)  # the identifier itself never reaches a channel
    assert "同じ顧客の過去の報告が1件" in shown(second.card)
    stored = sqlite3.connect(world.url.removeprefix("sqlite:///")).execute(
        "select digest, identifier_enc from customer_links").fetchall()
    assert len(stored) == 2 and stored[0][0] == stored[1][0]
    assert all("1234" not in digest + sealed and "5678" not in sealed for digest, sealed in stored)


async def test_the_digest_is_keyed_by_the_secret_key(world):
    await submit(world, "a", customer_id=PHONE)
    stored = sqlite3.connect(world.url.removeprefix("sqlite:///")).execute(
        "select digest from customer_links").fetchone()[0]
    assert stored == world.store.sealer.digest(DIGEST_PURPOSE + "09012345678")
    other_url = migrated_sqlite(Path(world.url.removeprefix("sqlite:///")).with_name("other.db"))
    assert stored != sealer_for(other_url, generate()).digest(DIGEST_PURPOSE + "09012345678")
    assert stored != hashlib.sha256(b"09012345678").hexdigest()  # never an unkeyed digest


async def test_matches_only_within_the_window(world):
    await submit(world, "a", customer_id=PHONE)
    world.clock.advance(days=181)
    later = await submit(world, "b", customer_id=PHONE, behaviours=["rough_tone"])
    assert later.incident.level is RiskLevel.L1 and "repeat_customer" not in later.incident.reasons


async def test_an_identifier_of_only_spaces_or_punctuation_is_ignored_and_the_reporter_told(world):
    outcome = await submit(world, "a", customer_id=" ・、- ")
    assert "照合には使いませんでした" in shown(outcome.card)
    assert sqlite3.connect(world.url.removeprefix("sqlite:///")).execute(
        "select count(*) from customer_links").fetchone()[0] == 0


async def test_a_measure_recorded_by_hr_is_shown_on_later_matches(world):
    first = (await submit(world, "a", customer_id=PHONE)).incident
    done = await world.flows.reports.record_measure(first.case_no, "warning_letter", "文書番号 2026-88", actor="cli:hr")
    assert done.ok and "警告書" in done.message
    world.clock.advance(days=3)
    second = (await submit(world, "b", customer_id=PHONE)).incident
    [alert] = [c for c in alerts(world, "C1MANAGER") if second.case_no in c.title]
    assert "この顧客に講じた措置：警告書" in shown(alert) and "2026-88" not in shown(alert)


async def test_measures_need_a_known_case_with_a_customer_and_a_known_kind(world):
    plain = (await submit(world, "a")).incident
    refused = await world.flows.reports.record_measure(plain.case_no, "ban", "", actor="cli:hr")
    assert not refused.ok and "顧客を識別する情報がありません" in refused.message
    with pytest.raises(ReportInputError) as unknown_case:
        await world.flows.reports.record_measure("K-1999-00001", "ban", "", actor="cli:hr")
    assert unknown_case.value.key == "customers.unknown_case"
    with pytest.raises(ReportInputError) as unknown_kind:
        await world.flows.reports.record_measure(plain.case_no, "fine", "", actor="cli:hr")
    assert "warning_letter, ban, police_report, other" in unknown_kind.value.fields["known"]


async def test_the_monthly_report_lists_repeat_customers_identifier_for_hr_only(world):
    world.clock._now = world.clock.now().replace(day=2)  # early November 2026
    first = (await submit(world, "a", customer_id=PHONE)).incident
    world.clock.advance(days=5)
    second = (await submit(world, "b", customer_id="09012345678")).incident
    await world.flows.reports.record_measure(second.case_no, "ban", "", actor="cli:hr")
    path = world.url.removeprefix("sqlite:///")
    world.clock.advance(days=40)
    report = await build(path, month=Month(2026, 11))
    [row] = report.table("repeat_customers").rows
    assert row[0] == "顧客1" and row[1] == 2 and first.case_no in row[2] and second.case_no in row[2]
    assert "出入り禁止" in row[3]
    incidents = {r[0]: r for r in report.table("incidents").rows}
    assert incidents[second.case_no][-1] == first.case_no  # 同一顧客の過去事案
    assert report.kpis.repeat_customer == 1
    hr = await build(path, month=Month(2026, 11), sensitive=True, secret=TEST_KEY)
    assert hr.table("repeat_customers").rows[0][0] == "09012345678"
    assert POLICY.reports.repeat_window == timedelta(days=180)
