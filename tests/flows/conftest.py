from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import prepare_database
from bot.policy_file import load_policy
from flows.app import Flows
from flows.delivery import Dispatcher
from flows.deps import Dependencies
from flows.model import Platform
from flows.timers import TimerSweep
from storage.db import Database
from tests.databases import migrated_sqlite
from tests.fakes import FakeClock, RecordingNotifier
from tests.keys import TEST_KEY, sealer_for

ROOT = Path(__file__).resolve().parents[2]


class World:
    """Flows wired to a real SQLite database, a fake clock and a recording notifier."""

    def __init__(self, tmp_path: Path, policy_path: Path = ROOT / "kasuhara.example.yaml"):
        self.url = migrated_sqlite(tmp_path / 'flows.db', TEST_KEY)  # a copy of the session's migrated template
        prepare_database(self.url)
        self.policy = load_policy(policy_path)
        self.clock = FakeClock()
        self.store = Database(self.url, sealer_for(self.url))
        self.notifier = RecordingNotifier()
        self.flows = Flows(Dependencies(self.policy, self.store, self.clock))
        self.dispatcher = Dispatcher(self.store, {Platform.SLACK: self.notifier}, self.policy, self.clock)
        self.sweep = TimerSweep(self.store, self.clock)
        for kind, handler in self.flows.timer_handlers().items():
            self.sweep.on(kind, handler)

    async def settle(self) -> None:
        for _ in range(20):
            if not (await self.sweep.run_once()) + (await self.dispatcher.run_once()):
                return

    async def later(self, **delta: float) -> None:
        self.clock.advance(**delta)
        await self.settle()


def alert_channel(incident) -> str:
    """The first conversation an incident was alerted to: where a manager's click comes from."""
    return incident.snapshot.first[0].target.address


@pytest.fixture
async def world(tmp_path):
    w = World(tmp_path)
    yield w
    await w.store.close()
