"""The local try-out: `kasuhara serve` with no Slack or Teams credentials.

Everything runs on this machine: an embedded SQLite in a temporary folder, the example policy
when there is no policy file, every role's alerts delivered to a web inbox, and a clock the
console can move forward so deadlines, escalations and follow-ups show in minutes. It listens
on 127.0.0.1 only and never starts when credentials are set.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import signal
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp import web

from bot.config import ConfigError, Settings
from bot.policy_file import load_policy
from flows.model import Platform, Role, Target
from flows.policy import Policy, Unit

log = logging.getLogger("kasuhara")

LOCALHOST = "127.0.0.1"
EXAMPLE_POLICY = Path(__file__).resolve().parents[1] / "kasuhara.example.yaml"


class TryoutClock:
    """The real time plus however far the console moved it forward."""

    def __init__(self):
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


def tryout_allowed(settings: Settings) -> bool:
    """Only with no chat credentials at all: a configured bot never falls back to the try-out."""
    return not settings.slack_enabled and not settings.teams_enabled


def tryout_policy(settings: Settings) -> tuple[Policy, Path]:
    """The operator's policy file when there is one, else the example; every target becomes a web inbox."""
    path = settings.config_path if settings.config_path.exists() else EXAMPLE_POLICY
    if not path.exists():
        raise ConfigError(f"{settings.config_path}: no policy file, and the example {EXAMPLE_POLICY} is missing. "
                          "Fix: copy kasuhara.example.yaml from the source tree next to you as kasuhara.yaml.")
    return to_web_inboxes(load_policy(path)), path


def to_web_inboxes(policy: Policy) -> Policy:
    """Replace every Slack/Teams target with the web inbox of that unit and role."""
    from adapters.web.ids import inbox_address

    units = tuple(Unit(u.id, u.name, u.parent, {role: (Target(Platform.WEB, inbox_address(u.id, role.value)),)
                                                 for role, targets in u.targets.items() if targets})
                  for u in policy.units)
    return dataclasses.replace(policy, units=units, admins={})


def tryout_settings(settings: Settings, folder: Path) -> Settings:
    return dataclasses.replace(
        settings, database_url=f"sqlite:///{folder / 'kasuhara-tryout.db'}", host=LOCALHOST,
        secret_key=secrets.token_urlsafe(32), public_url=f"http://{LOCALHOST}:{settings.port}", trust_proxy=False)


def inboxes(policy: Policy) -> list[tuple[str, str, str]]:
    order = {role: i for i, role in enumerate(Role)}
    return [(u.id, u.name, role.value) for u in policy.units
            for role in sorted(u.targets, key=lambda r: order[r]) if u.targets[role]]


async def open_tryout(settings: Settings, folder: Path):
    """Build the try-out runtime in `folder` (not yet serving); return (runtime, local settings, policy path)."""
    from adapters.web import Tryout
    from bot.app import build_runtime

    local = tryout_settings(settings, folder)
    policy, source = tryout_policy(settings)
    clock = TryoutClock()
    tryout = Tryout(units=[], inboxes=inboxes(policy), advance=clock.advance, wake=lambda: None)
    runtime = await build_runtime(local, policy, clock=clock, tryout=tryout)
    tryout.wake = runtime.wake
    for unit in policy.units:
        token, _ = await runtime.flows.incidents.links.create(unit.id)
        tryout.units.append((unit.id, unit.name, token))
    return runtime, local, source


async def serve_tryout(settings: Settings) -> None:
    """Run the try-out until Ctrl+C; the temporary database goes with it."""
    with tempfile.TemporaryDirectory(prefix="kasuhara-tryout-") as folder:
        runtime, local, source = await open_tryout(settings, Path(folder))
        runner = web.AppRunner(runtime.web_app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, LOCALHOST, local.port).start()
        except OSError as error:
            await runtime.stop()
            raise ConfigError(f"environment: cannot listen on {LOCALHOST}:{local.port} ({error.strerror}). "
                              "Fix: stop the other program on that port or set PORT to a free one.") from None
        await runtime.start()
        print(banner(local, source), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runtime.stop()
        await runner.cleanup()


def banner(settings: Settings, policy_source: Path) -> str:
    url = f"http://{LOCALHOST}:{settings.port}/"
    line = "=" * 72
    return "\n".join((
        line,
        " kasuhara お試しモード / LOCAL TRY-OUT",
        " Slack・Teams の認証情報がないため、このコンピューターの中だけで動かしています。",
        " No Slack or Teams credentials are set: this is a local try-out, not a bot.",
        "",
        f"   ブラウザで開く / open in a browser:  {url}",
        "",
        f" ポリシー / policy: {policy_source}   通知は役割ごとの受信箱へ / alerts go to per-role web inboxes",
        " データは一時フォルダにあり、終了（Ctrl+C）で消えます / data is discarded when you stop (Ctrl+C)",
        " 本番運用 / to run for real: set SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET or TEAMS_APP_ID +",
        "   TEAMS_APP_PASSWORD, and KASUHARA_SECRET_KEY (README)",
        line,
    ))
