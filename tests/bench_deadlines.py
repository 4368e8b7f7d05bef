"""Benchmark: how late does an acknowledgement deadline fire, with the real runtime?

Run: python tests/bench_deadlines.py  (not collected by pytest). Reports, over N incidents
whose L2 deadline is 2 s, the delay from the due time to the escalation message arriving
at a stand-in Slack Web API on 127.0.0.1 (sweep every second, as in production).
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "adapters" / "slack")]

from tests.adapters.slack.slack_standin import SlackStandIn  # noqa: E402

from bot.app import build_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.policy_file import load_policy  # noqa: E402
from flows.model import Actor, Platform  # noqa: E402
from storage.keys import generate  # noqa: E402

RUNS = 20


async def main() -> None:
    standin = SlackStandIn()
    await standin.start()
    tmp = Path(tempfile.mkdtemp())
    policy_text = (ROOT / "kasuhara.example.yaml").read_text().replace(
        "L2: {notify: [field_manager], ack_within: 15m", "L2: {notify: [field_manager], ack_within: 2s")
    (tmp / "kasuhara.yaml").write_text(policy_text)
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "KASUHARA_SECRET_KEY": generate(),
                                  "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench",
                                  "SLACK_API_URL": standin.api_url})
    runtime = await build_runtime(settings, load_policy(tmp / "kasuhara.yaml"))
    await runtime.start()
    delays = []
    try:
        for i in range(RUNS):
            now = datetime.now(timezone.utc)
            raw = {"occurred_at": str(int(now.timestamp()) - 60), "unit": "chuo", "channel": "phone",
                   "description": f"bench {i}", "behaviours": ["abuse"], "danger": "none"}
            out = await runtime.flows.incidents.submit_report(Actor(Platform.SLACK, "UBENCH"), raw, locale="ja",
                                                    request_key=f"bench-{i}")
            due = time.perf_counter() + 2.0
            while True:
                hits = [c for c in standin.calls if c.method == "chat.postMessage" and c.args.get("channel") == "C0DIVISION"
                        and out.incident.case_no in str(c.args)]
                if hits:
                    delays.append(hits[0].at - due)
                    break
                await asyncio.sleep(0.01)
            await runtime.flows.incidents.acknowledge(out.incident.id, Actor(Platform.SLACK, "UM", "bench"),
                                                      where=out.incident.snapshot.first[0].target.address)
    finally:
        await runtime.stop()
        await standin.stop()
    delays.sort()
    print(f"deadline firing delay over {RUNS} runs (sweep every {runtime.sweep_interval}s): "
          f"median {statistics.median(delays) * 1000:.0f} ms, p95 {delays[int(0.95 * (RUNS - 1))] * 1000:.0f} ms, "
          f"max {delays[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
