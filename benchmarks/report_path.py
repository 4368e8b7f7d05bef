"""kasuhara against a bare slack-bolt app doing the same HTTP work, side by side in one run.

    python benchmarks/report_path.py [--employees 1,10,50] [--seconds 8] [--rounds 3]

Each "employee" loops: a signed `/kasuhara report` (the server opens the modal through
views.open at the stand-in), then a signed view_submission of the report form (the server
acks with the confirmation view and posts the alert through chat.postMessage). The Slack Web
API is a stand-in on 127.0.0.1 (tests/adapters/slack/slack_standin.py) that records the time
each call arrives, so submit -> alert is measured to the moment the alert reaches "Slack".

Both servers run as child processes (fresh ones for every measurement), alternating floor /
kasuhara, so CPU time and peak RSS are theirs alone. The machine is shared: run a few rounds
and read the ratios, which move much less than the absolute figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "adapters" / "slack"))
sys.path.insert(0, str(ROOT))

from slack_fixtures import STORE_MANAGERS, payload, write_policy  # noqa: E402
from slack_signing import BOT_TOKEN, SIGNING_SECRET, SlackSender  # noqa: E402
from slack_standin import SlackStandIn  # noqa: E402

CASE = re.compile(r"(?<![A-Za-z])(?:K-\d{4}-\d{5}|B-\d{5})(?!\d)")
ALERT_TIMEOUT_S = 30


class BenchStandIn(SlackStandIn):
    """The stand-in, with waiters keyed by trigger id / case number instead of a growing scan."""

    def __init__(self):
        super().__init__()
        self.waiters: dict[tuple[str, str], asyncio.Future] = {}
        self.arrived: dict[tuple[str, str], float] = {}

    def expect(self, method: str, key: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if (method, key) in self.arrived:
            future.set_result(self.arrived.pop((method, key)))
        else:
            self.waiters[(method, key)] = future
        return future

    async def _record(self, method, args, token="", response=None):
        now = time.perf_counter()
        if method == "views.open":
            keys = [args.get("trigger_id", "")]
        elif method == "chat.postMessage" and args.get("channel") == STORE_MANAGERS:
            keys = CASE.findall(json.dumps(args, ensure_ascii=False))[:1]
        else:
            keys = []
        for key in keys:
            waiter = self.waiters.pop((method, key), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)
            else:
                self.arrived[(method, key)] = now
        self.calls_count = getattr(self, "calls_count", 0) + 1


@dataclass
class Sample:
    acks_ms: list[float] = field(default_factory=list)
    alerts_ms: list[float] = field(default_factory=list)
    incidents: int = 0
    missing_alerts: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def start_server(kind: str, standin: BenchStandIn, workdir: Path, project: Path = ROOT,
                       extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": standin.api_url, "PORT": str(port), "KASUHARA_HOST": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(project)}
    if kind == "kasuhara":
        env.update(DATABASE_URL=f"sqlite:///{workdir / 'kasuhara.db'}", KASUHARA_CONFIG=str(write_policy(workdir)),
                   KASUHARA_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789")
        command = [sys.executable, "-m", "bot.cli", "serve"]
    else:
        command = [sys.executable, str(ROOT / "benchmarks" / "bare_bolt.py")]
    env.update(extra_env or {})
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/slack/events"
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz"):
                    return process, url
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


async def employee(n: int, sender: SlackSender, standin: BenchStandIn, until: float, sample: Sample,
                   serial: list[int]) -> None:
    command = payload("slack_slash_command_report")
    submission = payload("slack_view_submission_report")
    # An incident that just happened (the fixture's date would make every follow-up overdue).
    picked = submission["view"]["state"]["values"]["occurred_at"]["kasuhara.field.occurred_at"]
    picked["selected_date_time"] = int(time.time()) - 300
    while time.perf_counter() < until:
        run = serial[0] = serial[0] + 1
        trigger = f"bench.{n}.{run}"
        opened = standin.expect("views.open", trigger)
        command.update(text="report", trigger_id=trigger, user_id=f"U0BENCH{n:04d}",
                       response_url=standin.response_url("bench"))
        started = time.perf_counter()
        reply = await sender.command(command)
        sample.acks_ms.append((time.perf_counter() - started) * 1000)
        if reply.status != 200:
            sample.errors += 1
            continue
        await asyncio.wait_for(opened, ALERT_TIMEOUT_S)
        submission["view"]["id"] = f"VB{n:04d}{run:07d}"
        submission["user"]["id"] = f"U0BENCH{n:04d}"
        started = time.perf_counter()
        reply = await sender.interaction(submission)
        sample.acks_ms.append((time.perf_counter() - started) * 1000)
        found = CASE.findall(reply.text)
        if reply.status != 200 or not found:
            sample.errors += 1
            continue
        sample.incidents += 1
        try:
            arrived = await asyncio.wait_for(standin.expect("chat.postMessage", found[0]), ALERT_TIMEOUT_S)
        except asyncio.TimeoutError:
            sample.missing_alerts += 1
            continue
        sample.alerts_ms.append((arrived - started) * 1000)


async def measure(kind: str, employees: int, seconds: float, project: Path = ROOT) -> Sample:
    standin = BenchStandIn()
    await standin.start()
    sample = Sample()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = await start_server(kind, standin, Path(tmp), project)
        try:
            async with SlackSender(url) as sender:
                warm = Sample()  # first connections, bolt's lazy auth.test, SQLite's first pages
                await employee(0, sender, standin, time.perf_counter() + 0.5, warm, [0])
                cpu_before = cpu_seconds(process.pid)
                started = time.perf_counter()
                serial = [0]
                await asyncio.gather(*(employee(n + 1, sender, standin, started + seconds, sample, serial)
                                       for n in range(employees)))
                sample.seconds = time.perf_counter() - started
                sample.cpu_s = cpu_seconds(process.pid) - cpu_before
                sample.peak_rss_mb = peak_rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            await standin.stop()
    return sample


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def figures(s: Sample) -> dict[str, float]:
    return {
        "incidents/s": s.incidents / s.seconds if s.seconds else 0.0,
        "CPU ms/incident": 1000 * s.cpu_s / s.incidents if s.incidents else float("nan"),
        "ack p99 ms": pct(s.acks_ms, 0.99),
        "submit->alert p50 ms": pct(s.alerts_ms, 0.50),
        "submit->alert p99 ms": pct(s.alerts_ms, 0.99),
        "peak RSS MB": s.peak_rss_mb,
        "no alert in 5 s": sum(1 for a in s.alerts_ms if a > 5000) + s.missing_alerts,
        "errors": s.errors,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="the kasuhara checkout to serve (e.g. an older commit, for before/after figures)")
    args = parser.parse_args()
    for employees in [int(x) for x in args.employees.split(",")]:
        rounds: dict[str, list[dict]] = {"bolt": [], "kasuhara": []}
        for _ in range(args.rounds):
            for kind in ("bolt", "kasuhara"):  # alternating, so both see the same machine load
                rounds[kind].append(figures(await measure(kind, employees, args.seconds, args.project)))
        print(f"\n== {employees} employee(s), {args.rounds} rounds of {args.seconds:.0f} s, "
              f"median of rounds (ratio = kasuhara / bolt, per-round ratios in brackets)")
        print(f"{'':24}{'bare bolt':>12}{'kasuhara':>12}{'ratio':>8}   per round")
        for name in rounds["bolt"][0]:
            floor = statistics.median(r[name] for r in rounds["bolt"])
            ours = statistics.median(r[name] for r in rounds["kasuhara"])
            per_round = [k[name] / b[name] if b[name] else float("nan")
                         for b, k in zip(rounds["bolt"], rounds["kasuhara"])]
            ratio = f"{ours / floor:8.2f}" if floor else f"{'-':>8}"
            spread = " ".join(f"{r:.2f}" for r in per_round) if floor else ""
            print(f"{name:24}{floor:12.1f}{ours:12.1f}{ratio}   {spread}")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
