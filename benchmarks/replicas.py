"""Two `kasuhara serve` replicas on one PostgreSQL against one process on SQLite, in one run.

    python benchmarks/replicas.py [--employees 50] [--seconds 8] [--rounds 2]

The same closed-loop employees as benchmarks/report_path.py (a signed `/kasuhara report`, then
the form's submission, then wait for the alert at the Slack stand-in on 127.0.0.1). With two
replicas the employees are split between them, as a load balancer would. PostgreSQL is a
throwaway cluster started with this machine's initdb/pg_ctl, with its default durability
(fsync and synchronous commit on, like SQLite's WAL with synchronous=FULL here). Besides the
speed it counts duplicates: an alert posted more than once for one case, a confirmation sent
twice to one reporter.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_path as rp  # noqa: E402  (also puts the test stand-ins on sys.path)
from slack_fixtures import STORE_MANAGERS  # noqa: E402
from slack_signing import SlackSender  # noqa: E402


class CountingStandIn(rp.BenchStandIn):
    """The bench stand-in, also counting alert posts per case and DMs per delivery key."""

    def __init__(self):
        super().__init__()
        self.alerts: collections.Counter[str] = collections.Counter()
        self.dms: collections.Counter[str] = collections.Counter()

    async def _record(self, method, args, token="", response=None):
        await super()._record(method, args, token, response)
        if method != "chat.postMessage":
            return
        if args.get("channel") == STORE_MANAGERS:
            for case in rp.CASE.findall(json.dumps(args, ensure_ascii=False))[:1]:
                self.alerts[case] += 1
        elif str(args.get("channel", "")).startswith("U"):
            metadata = args.get("metadata")
            metadata = json.loads(metadata) if isinstance(metadata, str) else metadata or {}
            self.dms[(metadata.get("event_payload") or {}).get("key", "")] += 1

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.alerts.values() if n > 1) + sum(n - 1 for k, n in self.dms.items() if k and n > 1)


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    """A throwaway cluster with default durability; `url()` makes a fresh database each time."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="kasuhara-bench-pg-"))
        self.port = rp.free_port()
        self.count = 0

    def start(self) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if not initdb:  # Debian keeps them under /usr/lib/postgresql/<version>/bin
            found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
            if not found:
                raise SystemExit("no PostgreSQL here: apt-get install postgresql")
            initdb, pg_ctl = str(found[-1]), str(found[-1].parent / "pg_ctl")
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        data = self.base / "data"
        subprocess.run(_as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                       check=True, capture_output=True)
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", f"-p {self.port} -k {self.base} -h 127.0.0.1",
                                     "-w", "-l", str(self.base / "log"), "start"]), check=True, capture_output=True)
        self._pg_ctl, self._data = pg_ctl, data

    def url(self) -> str:
        self.count += 1
        name = f"bench{self.count}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                        f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_postgres([self._pg_ctl, "-D", str(self._data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


async def start(standin: rp.BenchStandIn, workdir: Path, database_url: str, instance: str):
    return await rp.start_server("kasuhara", standin, workdir,
                                 extra_env={"DATABASE_URL": database_url, "KASUHARA_INSTANCE_ID": instance})


async def measure(urls: list[str], employees: int, seconds: float) -> tuple[dict, int]:
    standin = CountingStandIn()
    await standin.start()
    sample = rp.Sample()
    processes = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for n, url in enumerate(urls):
                workdir = Path(tmp) / f"r{n}"
                workdir.mkdir()
                processes.append(await start(standin, workdir, url.replace("{dir}", str(workdir)), f"bench-{n}"))
            senders = [SlackSender(events) for _, events in processes]
            for sender in senders:
                await sender.__aenter__()
            try:
                for n, sender in enumerate(senders):  # warm every replica
                    await rp.employee(-1 - n, sender, standin, time.perf_counter() + 0.5, rp.Sample(), [0])
                cpu_before = sum(rp.cpu_seconds(p.pid) for p, _ in processes)
                started = time.perf_counter()
                serial = [0]
                await asyncio.gather(*(rp.employee(n + 1, senders[n % len(senders)], standin, started + seconds,
                                                   sample, serial) for n in range(employees)))
                sample.seconds = time.perf_counter() - started
                sample.cpu_s = sum(rp.cpu_seconds(p.pid) for p, _ in processes) - cpu_before
                await asyncio.sleep(3)  # late duplicates (a second replica's claim) would arrive now
            finally:
                for sender in senders:
                    await sender.__aexit__(None, None, None)
        finally:
            for process, _ in processes:
                process.send_signal(signal.SIGTERM)
            for process, _ in processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
            await standin.stop()
    return rp.figures(sample), standin.duplicates()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    postgres = Postgres()
    postgres.start()
    try:
        rounds: dict[str, list[tuple[dict, int]]] = {"1 × SQLite": [], "2 × PostgreSQL": []}
        for _ in range(args.rounds):
            rounds["1 × SQLite"].append(await measure(["sqlite:///{dir}/kasuhara.db"], args.employees, args.seconds))
            url = postgres.url()
            rounds["2 × PostgreSQL"].append(await measure([url, url], args.employees, args.seconds))
    finally:
        postgres.stop()
    print(f"\n== {args.employees} employees, {args.rounds} rounds of {args.seconds:.0f} s, median of rounds")
    print(f"{'':24}{'1 × SQLite':>16}{'2 × PostgreSQL':>16}")
    for name in ("incidents/s", "CPU ms/incident", "ack p99 ms", "submit->alert p50 ms", "submit->alert p99 ms",
                 "no alert in 5 s", "errors"):
        cells = [statistics.median(f[name] for f, _ in rounds[kind]) for kind in rounds]
        print(f"{name:24}" + "".join(f"{c:16.1f}" for c in cells))
    print(f"{'duplicates (sum)':24}" + "".join(f"{sum(d for _, d in rounds[kind]):16d}" for kind in rounds))


if __name__ == "__main__":
    asyncio.run(main())
