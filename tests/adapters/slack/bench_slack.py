"""Measure Slack round trips against the stand-in with the real runtime running.

    .venv/bin/python tests/adapters/slack/bench_slack.py [runs]

1. signed POST `/kasuhara report` -> views.open received by the stand-in (must stay far
   below the 3 s a trigger_id lives);
2. signed POST view_submission -> chat.postMessage of the alert received by the stand-in
   (the outbox dispatcher and timer sweep run for real; no drain()).
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.adapters.slack.slack_fixtures import STORE_MANAGERS, open_world, payload, slash_command  # noqa: E402
from tests.adapters.slack.slack_standin import SlackStandIn  # noqa: E402


def summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"{name}: n={len(ordered)} median={statistics.median(ordered):.1f} ms "
            f"p95={p95:.1f} ms max={ordered[-1]:.1f} ms")


async def time_modal(world, run: int) -> float:
    fields = slash_command(world, "report", trigger_id=f"bench.{run}.trigger")
    before = len(world.standin.calls_to("views.open"))
    started = time.perf_counter()
    reply = await world.send.command(fields)
    assert reply.status == 200, reply
    calls = await world.standin.wait_for("views.open", count=before + 1)
    assert calls[-1].args["trigger_id"] == fields["trigger_id"]
    return (calls[-1].at - started) * 1000


async def time_alert(world, run: int) -> float:
    body = payload("slack_view_submission_report")
    body["view"]["id"] = f"VBENCH{run:05d}"

    def alerts() -> list:
        return [c for c in world.standin.calls_to("chat.postMessage") if c.args["channel"] == STORE_MANAGERS]

    before = len(alerts())
    started = time.perf_counter()
    reply = await world.send.interaction(body)
    assert reply.json()["response_action"] == "update", reply
    while len(alerts()) <= before:
        await asyncio.wait_for(world.standin.wait_for("chat.postMessage",
                                                      count=len(world.standin.calls_to("chat.postMessage")) + 1), 10)
    return (alerts()[before].at - started) * 1000


async def main(runs: int) -> None:
    standin = SlackStandIn()
    await standin.start()
    with tempfile.TemporaryDirectory() as tmp:
        world, close = await open_world(Path(tmp), standin, start=True)
        try:
            await time_modal(world, -1)  # warm-up: the lazy auth.test and first connections
            await time_alert(world, -1)
            modal = [await time_modal(world, run) for run in range(runs)]
            alert = [await time_alert(world, run) for run in range(runs)]
        finally:
            await close()
            await standin.stop()
    print(summary("/kasuhara report -> views.open       ", modal))
    print(summary("view_submission -> alert postMessage ", alert))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
