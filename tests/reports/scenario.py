"""A month of real activity (through the flows, on SQLite, with a fake clock) to report on.

November 2026, Asia/Tokyo:
- K1 L2 中央区役所, phone, 45 min (long), acknowledged after 4 min; 72-hour hearing recorded
  on time, 2-week review recorded a day late (closes the case).
- K2 L3 本社, face to face, threat; acknowledged after 20 min (deadline 15: re-escalated);
  its 72-hour hearing is never recorded.
- K3 L1 中央区役所, email, 10 min, acknowledged after 30 min (deadline 60).
- K4 L4 本社, danger now, acknowledged after 2 min.
October has one L2 report (the previous month of the trend).
"""
from __future__ import annotations

from tests.flows.conftest import alert_channel

from datetime import datetime, timezone

from flows.model import Actor, Platform
from tests.flows.incidents.test_reporting import MANAGER, REPORTER, form

HR = Actor(Platform.SLACK, "U0HR", "鈴木")
HEARING = {"with_whom": "本人・店長", "support": ["counselling"], "briefing": "窓口担当に共有",
           "notes": "夜に眠れないとのこと。"}
REVIEW = {"participants": "人事・法務・店長", "findings": "30分超の一方的主張", "measures": "二人対応を徹底",
          "manual_changes": "時間区切りの話法を追記"}
FEELINGS = "眠れない。面談を希望します。"


async def at(world, moment: datetime) -> None:
    """Move the fake clock to `moment` and fire what fell due (as after a quiet night)."""
    world.clock._now = moment
    await world.settle()


async def submit(world, key: str, **overrides):
    outcome = await world.flows.incidents.submit_report(REPORTER, form(world, **overrides), locale="ja", request_key=key)
    assert not outcome.errors, outcome.errors
    await world.settle()
    return outcome.incident


async def follow_up_id(world, incident, kind: str) -> int:
    async with world.store.transaction() as tx:
        return next(f.id for f in await tx.follow_ups.for_incident(incident.id) if f.kind == kind)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


async def november(world) -> dict:
    """Play the month; return the incidents by name. The clock ends on 2026-12-02 00:00 UTC."""
    world.clock._now = utc(2026, 10, 10, 1, 0)
    october = await submit(world, "oct", description="電話で罵倒")
    world.clock.advance(minutes=6)
    await world.flows.incidents.acknowledge(october.id, MANAGER, where=alert_channel(october))

    await at(world, utc(2026, 11, 3, 1, 0))
    k1 = await submit(world, "k1", duration_minutes="45", types=["verbal_abuse", "restraint"])
    world.clock.advance(minutes=4)
    await world.flows.incidents.acknowledge(k1.id, MANAGER, where=alert_channel(k1))

    await at(world, utc(2026, 11, 5, 2, 0))
    k2 = await submit(world, "k2", unit="honsha", channel="face_to_face", behaviours=["threat"],
                      types=["intimidation"], description="「ただじゃおかない」と発言")
    await at(world, utc(2026, 11, 5, 2, 20))
    await world.flows.incidents.acknowledge(k2.id, MANAGER, where=alert_channel(k2))

    await at(world, utc(2026, 11, 5, 4, 0))
    await world.flows.aftercare.record(await follow_up_id(world, k1, "hearing"), HR, HEARING, where="C0HR", locale="ja",
                                       request_key="h1")

    await at(world, utc(2026, 11, 10, 3, 0))
    k3 = await submit(world, "k3", channel="email_chat", behaviours=["rough_tone"], duration_minutes="10",
                      description="メールで語気の荒い要求")
    await at(world, utc(2026, 11, 10, 3, 30))
    await world.flows.incidents.acknowledge(k3.id, MANAGER, where=alert_channel(k3))

    await at(world, utc(2026, 11, 12, 5, 0))
    k4 = await submit(world, "k4", unit="honsha", channel="face_to_face", danger="danger_now", behaviours=["violence"],
                      types=["violence"], description="カウンター越しに物を投げた")
    world.clock.advance(minutes=2)
    await world.flows.incidents.acknowledge(k4.id, MANAGER, where=alert_channel(k4))

    await at(world, utc(2026, 11, 18, 1, 0))  # the review of K1 was due on 11-17 01:00: a day late
    await world.flows.aftercare.record(await follow_up_id(world, k1, "review"), HR, REVIEW, where="C0HR", locale="ja",
                                       request_key="r1")
    await at(world, utc(2026, 12, 2, 0, 0))
    return {"october": october, "k1": k1, "k2": k2, "k3": k3, "k4": k4}
