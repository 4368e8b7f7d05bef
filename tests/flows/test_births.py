"""Deliveries claimed at birth (flows.ports.Births): sent the moment their transaction commits,
rendered from the incident as that transaction left it, without reading it back."""
from __future__ import annotations

import pytest

from flows.cards import notice_card
from flows.delivery import Dispatcher
from flows.model import Delivery, DeliveryKind, Platform, PrivatePayload, Target
from flows.payloads import plain
from tests.flows.conftest import World, alert_channel
from tests.flows.incidents.test_reporting import MANAGER, REPORTER, form


class CountingReads:
    """Counts the store's read units (each one a connection, a BEGIN and a rollback)."""

    def __init__(self, store):
        self.count = 0
        self._read = store.read
        store.read = self

    def __call__(self):
        self.count += 1
        return self._read()


@pytest.fixture
async def world(tmp_path):
    w = World(tmp_path)
    w.dispatcher.instance = "test-instance"  # a running server's dispatcher: it claims at birth
    w.store.births = w.dispatcher
    await w.dispatcher.pump()  # as at start-up: nothing older waits, so new deliveries are claimed at birth
    yield w
    await w.store.close()


def shown(card) -> str:
    return " ".join([card.title, *card.lines, *(f"{k} {v}" for k, v in card.fields), card.footer])


async def submit(world, key, **overrides):
    outcome = await world.flows.incidents.submit_report(REPORTER, form(world, **overrides), locale="ja",
                                                        request_key=key)
    assert not outcome.errors, outcome.errors
    await world.dispatcher.settle()  # only what was born: no pump, no timer sweep
    return outcome


async def test_a_reports_alert_and_confirmation_leave_at_commit_without_reading_the_incident_back(world):
    reads = CountingReads(world.store)
    incident = (await submit(world, "a")).incident
    [alert] = world.notifier.to("C1MANAGER")
    [confirmation] = world.notifier.to(REPORTER.user_id, op="private")
    assert incident.case_no in alert.card.title and incident.case_no in shown(confirmation.card)
    assert reads.count == 0
    async with world.store.read() as tx:  # what a send after a restart would render: the same card
        assert (await tx.incidents.get(incident.id)) == incident


async def test_a_repeat_customers_alert_at_birth_names_the_earlier_case(world):
    first = (await submit(world, "a", customer_id="090-1234-5678")).incident
    world.clock.advance(days=3)
    second = (await submit(world, "b", customer_id="09012345678", behaviours=["rough_tone"])).incident
    [alert] = [s.card for s in world.notifier.to("C1MANAGER") if second.case_no in s.card.title]
    assert first.case_no in shown(alert) and "同じ顧客の報告が過去180日以内に1件" in shown(alert)


async def test_the_updates_an_acknowledgement_queues_show_who_acknowledged(world):
    incident = (await submit(world, "a")).incident
    outcome = await world.flows.incidents.acknowledge(incident.id, MANAGER, where=alert_channel(incident))
    await world.dispatcher.settle()
    assert outcome.first
    [update] = world.notifier.to("C1MANAGER", op="update")
    assert "佐藤" in shown(update.card)


def _due(world, kind: DeliveryKind, n: int) -> Delivery:
    if kind is DeliveryKind.PRIVATE:
        return Delivery(kind, Target(Platform.SLACK, f"U0PERSON{n}"), payload=PrivatePayload(plain(notice_card("x"))),
                        dedupe_key=f"test:{n}", next_attempt_at=world.clock.now())
    return Delivery(kind, Target(Platform.SLACK, "C1MANAGER"), incident_id=n, next_attempt_at=world.clock.now(),
                    dedupe_key=f"test:{kind.value}:{n}")


async def test_alerts_may_take_every_slot_everything_else_half(world):
    dispatcher = Dispatcher(world.store, {Platform.SLACK: world.notifier}, world.policy, world.clock,
                            instance="test-instance", concurrency=4)
    await dispatcher.pump()  # nothing waits
    private, alert = DeliveryKind.PRIVATE, DeliveryKind.ALERT
    assert dispatcher.accept(_due(world, private, 1)) and dispatcher.accept(_due(world, private, 2))
    assert not dispatcher.accept(_due(world, private, 3))  # half of the slots hold confirmations
    assert dispatcher.accept(_due(world, alert, 1)) and dispatcher.accept(_due(world, alert, 2))
    assert not dispatcher.accept(_due(world, alert, 3))  # every slot taken
    dispatcher.release([_due(world, private, 1)])  # its transaction rolled back: a slot is free again
    assert dispatcher.accept(_due(world, alert, 3))


async def test_only_what_is_at_least_as_urgent_and_waiting_goes_first(world):
    dispatcher = world.dispatcher
    dispatcher.queued([_due(world, DeliveryKind.PRIVATE, 1)])  # a confirmation waits for the pump
    assert not dispatcher.accept(_due(world, DeliveryKind.PRIVATE, 2))  # the older one goes first
    assert dispatcher.accept(_due(world, DeliveryKind.ALERT, 1))  # an alert need not wait for it
    dispatcher.queued([_due(world, DeliveryKind.ALERT, 2)])
    assert not dispatcher.accept(_due(world, DeliveryKind.ALERT, 3))


async def test_under_a_backlog_of_confirmations_a_reports_alert_still_leaves_at_commit(world):
    world.store.births = None  # queued by another process: waiting for a pump
    async with world.store.transaction() as tx:
        waiting = [await tx.outbox.add(_due(world, DeliveryKind.PRIVATE, n)) for n in range(12)]
    world.store.births = world.dispatcher
    world.dispatcher.queued(waiting)
    incident = (await submit(world, "a")).incident  # settles what was born, pumps nothing
    [alert] = world.notifier.to("C1MANAGER")
    assert incident.case_no in alert.card.title
    assert world.notifier.to(REPORTER.user_id, op="private") == []  # the confirmation waits its turn
    await world.dispatcher.run_once()  # the pump: confirmations, at most half the slots at a time
    assert len([s for s in world.notifier.sent if s.op == "private"]) == world.dispatcher._concurrency // 2
