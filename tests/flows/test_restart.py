"""A restart loses nothing: what fell due while the bot was down fires once after it starts."""
from flows.model import Actor, Platform
from tests.flows.conftest import World, alert_channel
from tests.flows.incidents.test_reporting import form


async def test_a_deadline_that_fell_due_while_down_fires_once_after_start(tmp_path):
    before = World(tmp_path)
    out = await before.flows.incidents.submit_report(Actor(Platform.SLACK, "U1"), form(before), locale="ja", request_key="k")
    await before.settle()
    assert before.notifier.to("C1MANAGER")
    await before.store.close()  # the bot goes down

    after = World(tmp_path)  # same database file, new process
    after.clock.advance(minutes=40)  # down for 40 minutes: two reminder periods passed
    await after.settle()
    await after.settle()
    assert len(after.notifier.to("C0DIVISION")) == 1  # once, not once per missed period
    assert len(after.notifier.to("C1MANAGER")) == 1
    await after.flows.incidents.acknowledge(out.incident.id, Actor(Platform.SLACK, "U2", "佐藤"),
                                            where=alert_channel(out.incident))
    await after.later(hours=1)
    assert len(after.notifier.to("C0DIVISION")) == 1
    await after.store.close()


async def test_an_alert_queued_but_not_sent_before_a_crash_is_sent_after_restart(tmp_path):
    before = World(tmp_path)
    await before.flows.incidents.submit_report(Actor(Platform.SLACK, "U1"), form(before), locale="ja", request_key="k")
    await before.store.close()  # crashed after commit, before the dispatcher ran
    assert before.notifier.sent == []

    after = World(tmp_path)
    await after.settle()
    assert len(after.notifier.to("C1MANAGER")) == 1
    await after.store.close()
