"""Composition root: build storage, flows, adapters and the web app, and run the timers."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from flows.app import Flows
from flows.delivery import Dispatcher
from flows.deps import Dependencies
from flows.model import DeliveryKind, Platform
from flows.policy import Policy
from flows.ports import Clock, Notifier
from flows.reports.monthly import ReportDelivery
from flows.timers import TimerSweep
from storage import migrate
from storage.crypto import Sealer
from storage.db import Database
from storage.directory import SqlConversationDirectory

log = logging.getLogger(__name__)

# An L4 deadline is 5 minutes: a minute-long polling interval would eat a fifth of it.
SWEEP_INTERVAL_S = 1.0


@dataclass
class Runtime:
    """Everything one `kasuhara serve` process runs."""

    settings: Settings
    policy: Policy
    store: Database
    flows: Flows
    dispatcher: Dispatcher
    sweep: TimerSweep
    web_app: web.Application
    adapters: list = field(default_factory=list)
    sweep_interval: float = SWEEP_INTERVAL_S
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _scheduler: AsyncIOScheduler | None = None
    _wake_task: asyncio.Task | None = None
    _tick_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> None:
        """Start the adapters, the timer sweep and the outbox worker."""
        for adapter in self.adapters:
            await adapter.start()
        await self.flows.reports.monthly.ensure_scheduled()  # the next monthly post, planned once
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(self.tick, "interval", seconds=self.sweep_interval, max_instances=1, coalesce=True,
                                id="sweep")
        self._scheduler.start()
        self._wake_task = asyncio.create_task(self._deliver_on_wake())
        self.wake()  # whatever fell due while we were down goes out now

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.pause()
            async with self._tick_lock:  # let a running tick finish before closing the store
                self._scheduler.shutdown(wait=False)
        if self._wake_task is not None:
            self._wake_task.cancel()
            try:
                await self._wake_task
            except asyncio.CancelledError:
                pass
        for adapter in self.adapters:
            await adapter.stop()
        await self.store.close()

    def wake(self) -> None:
        self._wake.set()

    async def tick(self) -> None:
        """Fire due timers, then send due deliveries (what the scheduler runs every second)."""
        async with self._tick_lock:
            try:
                await self.sweep.run_once()
                await self.dispatcher.run_once()
            except Exception:  # keep the scheduler alive; the next tick retries
                log.exception("sweep failed")

    async def drain(self, rounds: int = 20) -> None:
        """Fire every due timer and send every due delivery now (tests, CLI)."""
        for _ in range(rounds):
            fired = await self.sweep.run_once()
            sent = await self.dispatcher.run_once()
            if not fired and not sent:
                return

    async def _deliver_on_wake(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while await self.dispatcher.run_once():
                    pass
            except Exception:
                log.exception("outbox delivery failed")


def prepare_database(url: str) -> None:
    """Create the schema of an empty database; refuse an outdated one."""
    current = migrate.current_revision(url)
    head = migrate.head_revision(url)
    if current is None:
        log.info("empty database: creating the schema (%s)", head)
        migrate.upgrade(url)
    elif current != head:
        raise ConfigError(f"database {url}: schema revision {current} is older than this version ({head}). "
                          "Fix: run `kasuhara db upgrade` (back up the database first).")


async def build_runtime(settings: Settings, policy: Policy, *, clock: Clock | None = None,
                        sweep_interval: float = SWEEP_INTERVAL_S, tryout=None, web_limits=None) -> Runtime:
    """Wire everything together; the database is created/checked first."""
    await asyncio.to_thread(prepare_database, settings.database_url)
    clock = clock or SystemClock()
    store = Database(settings.database_url, Sealer(settings.secret_key))
    wake_event = asyncio.Event()
    flows = Flows(Dependencies(policy, store, clock, wake=wake_event.set))
    notifiers: dict[Platform, Notifier] = {}
    web_app = web.Application()
    web_app.router.add_get("/healthz", _healthz)
    adapters = []
    if settings.slack_enabled:
        from adapters.slack import build_slack

        slack = build_slack(flows, bot_token=settings.slack_bot_token, signing_secret=settings.slack_signing_secret,
                            api_url=settings.slack_api_url or None, app_token=settings.slack_app_token or None)
        slack.mount(web_app)
        notifiers[Platform.SLACK] = slack.notifier
        adapters.append(slack)
    if settings.teams_enabled:
        from adapters.teams import build_teams

        teams = build_teams(flows, SqlConversationDirectory(store), app_id=settings.teams_app_id,
                            password=settings.teams_app_password, tenant_id=settings.teams_app_tenant_id,
                            app_type=settings.teams_app_type, env=settings.env,
                            allow_unauthenticated=settings.teams_allow_unauthenticated, clock=clock)
        teams.mount(web_app)
        notifiers[Platform.TEAMS] = teams.notifier
        adapters.append(teams)
    web_pages = _web_pages(settings, flows, store, clock, tryout, web_limits)
    web_pages.mount(web_app)
    notifiers[Platform.WEB] = web_pages.notifier
    adapters.append(web_pages)
    dispatcher = Dispatcher(store, notifiers, policy, clock)
    from adapters.documents.images import ChartRenderer

    reports = ReportDelivery(flows.deps, ChartRenderer(font=settings.env.get("KASUHARA_REPORT_FONT") or None))
    dispatcher.on(DeliveryKind.REPORT, reports.deliver)
    sweep = TimerSweep(store, clock)
    for kind, handler in flows.timer_handlers().items():
        sweep.on(kind, handler)
    runtime = Runtime(settings, policy, store, flows, dispatcher, sweep, web_app, adapters,
                      sweep_interval=sweep_interval, _wake=wake_event)
    web_app[RUNTIME_KEY] = runtime
    return runtime


RUNTIME_KEY = web.AppKey("runtime", Runtime)


def _web_pages(settings: Settings, flows: Flows, store: Database, clock: Clock, tryout, limits):
    """The web adapter: report links, SOS, receipts, anonymous consultation (and the try-out console)."""
    from adapters.web import Limits, build_web
    from storage.web_inbox import SqlWebInbox

    return build_web(flows, SqlWebInbox(store), secret=settings.secret_key, clock=clock,
                     public_url=settings.public_url, tryout=tryout,
                     limits=limits or Limits(trust_proxy=settings.trust_proxy))


async def open_flows(settings: Settings, policy: Policy):
    """The flows on the configured database without serving (CLI commands); return (flows, close)."""
    await asyncio.to_thread(prepare_database, settings.database_url)
    store = Database(settings.database_url, Sealer(settings.secret_key))
    return Flows(Dependencies(policy, store, SystemClock())), store.close


async def _healthz(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME_KEY]
    try:
        async with runtime.store.transaction() as tx:
            await tx.requests.seen("healthz")
    except Exception as error:  # report, don't crash: load balancers poll this
        return web.json_response({"status": "error", "database": type(error).__name__}, status=503)
    return web.json_response({"status": "ok", "slack": runtime.settings.slack_enabled,
                              "teams": runtime.settings.teams_enabled})
