"""Run the web server until interrupted, saying what runs and where.

At start one line each: version, database (password hidden), platforms and Slack mode, policy
file, listening address. A platform that rejects its credentials, a taken port or a database
that can't be reached stops the start with one line (bot.cli turns it into exit code 2). On
SIGTERM/SIGINT the server stops accepting, lets requests in flight finish, then stops the
timers and the outbox and closes the database.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
from importlib import metadata

from aiohttp import web

from adapters.errors import CredentialsRejected, PlatformUnreachable
from bot.checks import EXAMPLE_IDS, mode_mismatch
from bot.config import ConfigError, Settings
from bot.console import Console
from bot.failures import StartupError, check_database_url
from bot.redact import redact_url
from flows.policy import Policy
from storage.db import ServerLockError, acquire_server_lock

log = logging.getLogger("kasuhara")

GRACE_S = 30.0  # requests in flight may take this long to finish after SIGTERM
# aiohttp closes a connection that is idle this long, and a connection counts as idle until
# its request headers are complete: so this also bounds a client that sends half its headers
# and waits (slowloris). Bodies are bounded per route (client_max_size; adapters/teams).
HEADER_TIMEOUT_S = 15
MAX_FIELD_SIZE = 8190  # one header line, aiohttp's default, stated here on purpose


def make_runner(app: web.Application, *, header_timeout: float = HEADER_TIMEOUT_S) -> web.AppRunner:
    """The HTTP server's limits: idle/header read timeout, header sizes, no access log; the stop grace."""
    return web.AppRunner(app, access_log=None, keepalive_timeout=header_timeout, max_field_size=MAX_FIELD_SIZE,
                         max_headers=64, shutdown_timeout=GRACE_S)


def version() -> str:
    try:
        return metadata.version("kasuhara")
    except metadata.PackageNotFoundError:
        return "unknown"


def run(settings: Settings, console: Console) -> int:
    """Check the configuration, then serve until a signal arrives; 0 after a graceful stop."""
    from bot.policy_file import load_policy

    policy = load_policy(settings.config_path)
    problems = settings.problems(policy, console.t)
    if problems:
        raise ConfigError("\n  ".join(problems))
    check_database_url(settings.database_url, console.t)
    asyncio.run(serve(settings, policy, console))
    return 0


def platforms_line(settings: Settings, t) -> str:
    names = []
    if settings.slack_enabled:
        names.append(t("cli.state.slack_socket") if settings.slack_app_token else t("cli.state.slack_http"))
    if settings.teams_enabled:
        names.append(t("cli.state.teams_local_dev") if settings.teams_allow_unauthenticated else "Teams")
    return ", ".join(names)


def announce(settings: Settings, policy: Policy, console: Console) -> None:
    """The running-state lines that come before anything can go wrong with the platforms."""
    t = console.t
    log.info(t("cli.state.version", version=version(), python=sys.version.split()[0]))
    log.info(t("cli.state.database", url=redact_url(settings.database_url)))
    log.info(t("cli.state.platforms", platforms=platforms_line(settings, t)))
    log.info(t("cli.state.policy", path=str(settings.config_path.resolve()), units=len(policy.units),
               timezone=policy.timezone))
    mismatch = mode_mismatch(settings)
    if mismatch:
        log.warning(t(mismatch[0], **mismatch[1]))
    placeholders = sorted({target.address for unit in policy.units for targets in unit.targets.values()
                           for target in targets} & EXAMPLE_IDS)
    if placeholders:
        log.warning(console.t("cli.state.placeholders", ids=", ".join(placeholders), path=str(settings.config_path)))


async def verify_platforms(runtime, console: Console) -> None:
    """Ask each platform once whether our credentials work; only a refusal stops the start."""
    for adapter in runtime.adapters:
        verify = getattr(adapter, "verify_credentials", None)
        if verify is None:
            continue
        try:
            await verify()
        except CredentialsRejected as rejected:
            raise StartupError(console.t("cli.serve.rejected", setting=rejected.setting, reason=rejected.reason))
        except PlatformUnreachable as unreachable:
            log.warning(console.t("cli.serve.unreachable", url=unreachable.url, reason=unreachable.reason))


async def listen(runner: web.AppRunner, settings: Settings, console: Console) -> web.TCPSite:
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise StartupError(console.t("cli.serve.port_in_use", host=settings.host, port=settings.port)) from None
        if error.errno in (errno.EACCES, errno.EPERM):
            raise StartupError(console.t("cli.serve.port_denied", host=settings.host, port=settings.port)) from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise StartupError(console.t("cli.serve.host_unavailable", host=settings.host)) from None
        raise
    return site


async def serve(settings: Settings, policy: Policy, console: Console | None = None) -> None:
    from bot.app import build_runtime

    console = console or Console("en")
    t = console.t
    announce(settings, policy, console)
    try:  # SQLite: one server per file (held until this process exits, even by SIGKILL)
        server_lock = acquire_server_lock(settings.database_url)  # noqa: F841
    except ServerLockError as error:
        raise ConfigError(str(error)) from None
    runtime = await build_runtime(settings, policy)
    runner = make_runner(runtime.web_app)
    started = False
    try:
        await verify_platforms(runtime, console)
        if settings.teams_allow_unauthenticated:
            log.warning("!!! KASUHARA_TEAMS_LOCAL_DEV is set: Teams requests are NOT authenticated. "
                        "Listening on 127.0.0.1 only. Never use this in production. !!!")
        await runner.setup()
        await listen(runner, settings, console)
        started = True
        try:
            await runtime.start()
        except CredentialsRejected as rejected:  # e.g. Socket Mode's app-level token
            raise StartupError(t("cli.serve.rejected", setting=rejected.setting, reason=rejected.reason)) from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info(t("cli.state.listening", url=f"http://{settings.host}:{settings.port}"))
        await stop.wait()
        log.info(t("cli.state.stopping", seconds=int(GRACE_S)))
    finally:
        await runner.cleanup()  # stop accepting, wait for requests in flight (up to GRACE_S)
        if started:
            await runtime.stop()  # a running sweep finishes; the outbox keeps what is not sent
        else:
            await runtime.store.close()
    log.info(t("cli.state.stopped"))
