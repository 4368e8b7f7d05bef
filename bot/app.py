"""Composition root: build storage, flows, adapters and the web app, and run the timers."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import SystemClock
from bot.config import ConfigError, Settings
from bot.metrics import CONTENT_TYPE, Metrics
from flows.app import Flows
from flows.delivery import Dispatcher
from flows.deps import Dependencies
from flows.model import DeliveryKind, Platform
from flows.policy import Policy
from flows.ports import Clock, Notifier
from flows.reports.monthly import ReportDelivery
from flows.timers import TimerSweep
from storage import migrate
from storage.anchors import AuditAnchors
from storage.db import Database
from storage.keys import KeyProblem, open_keys
from storage.directory import SqlConversationDirectory

log = logging.getLogger(__name__)

# An L4 deadline is 5 minutes: a minute-long polling interval would eat a fifth of it.
SWEEP_INTERVAL_S = 1.0
STOP_GRACE_S = 5.0
ANCHOR_INTERVAL_S = 3600  # the audit chain's head is anchored outside the database at least hourly


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
    metrics: Metrics = field(default_factory=Metrics)
    clock: Clock = field(default_factory=SystemClock)
    anchors: AuditAnchors | None = None
    sweep_interval: float = SWEEP_INTERVAL_S
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _scheduler: AsyncIOScheduler | None = None
    _wake_task: asyncio.Task | None = None
    _tick_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> None:
        """Start the adapters, the timer sweep and the outbox worker."""
        recovered = await self.dispatcher.recover()  # what this instance had claimed goes out now
        if recovered:
            log.info("outbox: %s deliveries claimed before a restart are due again", recovered)
        for adapter in self.adapters:
            await adapter.start()
        await self.flows.reports.monthly.ensure_scheduled()  # the next monthly post, planned once
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(self.tick, "interval", seconds=self.sweep_interval, max_instances=1, coalesce=True,
                                id="sweep")
        if self.anchors is not None:
            await self.anchor("start")
            self._scheduler.add_job(self.anchor, "interval", args=("hourly",), seconds=ANCHOR_INTERVAL_S,
                                    max_instances=1, coalesce=True, id="audit_anchor")
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
        try:  # sends in flight are recorded before the store closes (their lease covers a kill)
            await asyncio.wait_for(self.dispatcher.settle(), STOP_GRACE_S)
        except asyncio.TimeoutError:
            log.warning("stopping with %s deliveries in flight; they are retried after the restart",
                        self.dispatcher.in_flight)
        for adapter in self.adapters:
            await adapter.stop()
        if self.anchors is not None:
            await self.anchor("stop")
        await self.store.close()

    async def anchor(self, reason: str) -> None:
        """Anchor the audit chain's head outside the database (never stops the bot)."""
        try:
            await self.anchors.write(reason, datetime.now(timezone.utc))  # wall time, not the flows' clock
        except Exception as error:
            log.error("could not write the audit anchor to %s: %s", self.anchors.path, type(error).__name__)

    def wake(self) -> None:
        self._wake.set()

    async def tick(self) -> None:
        """Fire due timers, then start due deliveries (what the scheduler runs every second)."""
        async with self._tick_lock:
            try:
                await self.sweep.run_once()
                await self.dispatcher.pump()
            except Exception as error:  # keep the scheduler alive; the next tick retries
                log.error("sweep failed: %s", type(error).__name__)

    async def drain(self, rounds: int = 20) -> None:
        """Fire every due timer and send every due delivery now (tests, CLI)."""
        for _ in range(rounds):
            fired = await self.sweep.run_once()
            sent = await self.dispatcher.run_once()
            if not fired and not sent:
                return

    async def _deliver_on_wake(self) -> None:
        """Start deliveries the moment a transaction queued them (or a send finished)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.dispatcher.pump(look=False)
            except Exception as error:  # the database may be away: the next tick retries
                log.error("outbox delivery failed: %s", type(error).__name__)


def load_keys(settings: Settings):
    """Derive the keys for this database; a weak or wrong KASUHARA_SECRET_KEY refuses to start."""
    try:
        return open_keys(settings.database_url, settings.secret_key, settings.secret_key_old)
    except KeyProblem as problem:
        raise ConfigError(str(problem)) from None


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
                        sweep_interval: float = SWEEP_INTERVAL_S, tryout=None, web_limits=None,
                        slack_timeout: float | None = None) -> Runtime:
    """Wire everything together; the database is created/checked first.

    `slack_timeout` bounds each Slack Web API call (default: adapters.slack's REQUEST_TIMEOUT_S).
    """
    await asyncio.to_thread(prepare_database, settings.database_url)
    clock = clock or SystemClock()
    sealer = await asyncio.to_thread(load_keys, settings)
    store = Database(settings.database_url, sealer)
    anchors = AuditAnchors(store, settings.audit_anchors)
    try:
        anchors.check_writable()
    except OSError as error:
        await store.close()
        raise ConfigError(f"environment: KASUHARA_AUDIT_ANCHORS: cannot write {settings.audit_anchors} "
                          f"({error.strerror}). Fix: point KASUHARA_AUDIT_ANCHORS at a file the bot can append to, "
                          "kept with the backups.") from None
    wake_event = asyncio.Event()
    flows = Flows(Dependencies(policy, store, clock, wake=wake_event.set))
    notifiers: dict[Platform, Notifier] = {}
    web_app = web.Application()
    web_app.router.add_get("/healthz", _healthz)
    web_app.router.add_get("/metrics", _metrics)
    adapters = []
    if settings.slack_enabled:
        from adapters.slack import build_slack

        timeout = {} if slack_timeout is None else {"request_timeout": slack_timeout}
        slack = build_slack(flows, bot_token=settings.slack_bot_token, signing_secret=settings.slack_signing_secret,
                            api_url=settings.slack_api_url or None, app_token=settings.slack_app_token or None,
                            **timeout)
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
    metrics = Metrics()
    dispatcher = Dispatcher(store, notifiers, policy, clock, instance=settings.instance_id,
                            on_outcome=metrics.delivery)
    dispatcher.wake = wake_event.set
    store.births = dispatcher  # deliveries due at once start the moment their transaction commits
    from adapters.documents.images import ChartRenderer

    reports = ReportDelivery(flows.deps, ChartRenderer(font=settings.env.get("KASUHARA_REPORT_FONT") or None))
    dispatcher.on(DeliveryKind.REPORT, reports.deliver)
    sweep = TimerSweep(store, clock, on_fired=metrics.timer)
    for kind, handler in flows.timer_handlers().items():
        sweep.on(kind, handler)
    runtime = Runtime(settings, policy, store, flows, dispatcher, sweep, web_app, adapters, metrics, clock,
                      anchors=anchors, sweep_interval=sweep_interval, _wake=wake_event)
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
    store = Database(settings.database_url, await asyncio.to_thread(load_keys, settings))
    return Flows(Dependencies(policy, store, SystemClock())), store.close


async def _healthz(request: web.Request) -> web.Response:
    """The truth for load balancers and operators: 503 when the database does not answer.

    A platform that is unreachable does not make it 503 (reports are still recorded and
    their alerts wait in the outbox), but it is reported, with the oldest pending delivery.
    """
    runtime: Runtime = request.app[RUNTIME_KEY]
    body: dict = {"status": "ok", "slack": runtime.settings.slack_enabled, "teams": runtime.settings.teams_enabled,
                  "instance": runtime.settings.instance_id}
    try:
        stats = await asyncio.wait_for(runtime.store.stats(), HEALTH_DB_TIMEOUT_S)
    except Exception as error:  # report, don't crash: load balancers poll this
        return web.json_response({"status": "error", "database": type(error).__name__}, status=503)
    body["database"] = "ok"
    oldest = stats["oldest_pending"]
    body["oldest_pending_delivery_s"] = round((runtime.clock.now() - oldest).total_seconds(), 1) if oldest else 0
    body["deliveries_in_flight"] = runtime.dispatcher.in_flight
    body["platforms"] = platforms = {}
    for adapter in runtime.adapters:
        health = getattr(adapter, "health", None)
        name = type(adapter).__name__.removesuffix("Adapter").lower()
        platforms[name] = await health() if health is not None else {}
        if platforms[name].get("reachable") is False or platforms[name].get("socket_mode_connected") is False:
            body["status"] = "degraded"  # still 200: reports are recorded, alerts wait in the outbox
    return web.json_response(body)


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus text format (prometheus-client)."""
    runtime: Runtime = request.app[RUNTIME_KEY]
    try:
        stats = await asyncio.wait_for(runtime.store.stats(), HEALTH_DB_TIMEOUT_S)
        runtime.metrics.incidents.set(stats["incidents"])
        oldest = stats["oldest_pending"]
        runtime.metrics.oldest_pending.set((runtime.clock.now() - oldest).total_seconds() if oldest else 0)
    except Exception as error:  # noqa: BLE001 (the counters are still worth reading)
        log.warning("metrics: database did not answer (%s)", type(error).__name__)
    return web.Response(body=runtime.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


HEALTH_DB_TIMEOUT_S = 2.0
