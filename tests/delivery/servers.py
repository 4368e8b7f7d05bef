"""`kasuhara serve` as a real child process, to be killed with SIGKILL and started again."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from slack_fixtures import write_policy
from slack_signing import BOT_TOKEN, SIGNING_SECRET
from storage.db import sync_url
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One replica: same port, database and instance id across restarts."""

    def __init__(self, workdir: Path, database_url: str, api_url: str, *, instance: str = "replica-1"):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.events_url = f"{self.url}/slack/events"
        policy = write_policy(workdir)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "KASUHARA_"))}
        self.env.update(DATABASE_URL=database_url, KASUHARA_CONFIG=str(policy), PORT=str(self.port),
                        KASUHARA_HOST="127.0.0.1", KASUHARA_SECRET_KEY=TEST_KEY,
                        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url,
                        KASUHARA_INSTANCE_ID=instance, PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
        self.process: subprocess.Popen | None = None
        self.log = workdir / f"{instance}.log"

    def spawn(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=self.workdir,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)

    async def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"server exited {self.process.returncode}: {self.log.read_text()[-3000:]}")
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        return json.loads(await response.text())
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
        raise AssertionError(f"server not healthy in {timeout}s: {self.log.read_text()[-3000:]}")

    async def start(self) -> dict:
        self.spawn()
        return await self.wait_healthy()

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, like a crash or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


async def wait_for(check, timeout: float) -> float:
    """Poll `check` until it is true; return how long it took (fails after `timeout` seconds)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def settled(standin, database_url: str, timeout: float = 20) -> float:
    """Wait until nothing can still be posted: no outbox row pending, no Web API call being answered.

    A post repeated later would need a pending row (a sent or failed row is never sent again)
    or a call already on its way (a dead replica's post the stand-in still holds). Once both
    are gone, counting the posts shows every duplicate there will ever be.
    """
    engine = create_engine(sync_url(database_url))

    def quiet() -> bool:
        if standin.in_progress:
            return False
        with engine.connect() as connection:
            pending = connection.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar()
        return pending == 0 and standin.in_progress == 0

    try:
        return await wait_for(quiet, timeout)
    finally:
        engine.dispose()
