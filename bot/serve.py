"""Run the web server until interrupted."""
from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import build_runtime
from bot.config import ConfigError, Settings
from flows.policy import Policy
from storage.db import ServerLockError, acquire_server_lock

log = logging.getLogger("kasuhara")

# aiohttp closes a connection that is idle this long, and a connection counts as idle until
# its request headers are complete: so this also bounds a client that sends half its headers
# and waits (slowloris). Bodies are bounded per route (client_max_size; adapters/teams).
HEADER_TIMEOUT_S = 15
MAX_FIELD_SIZE = 8190  # one header line, aiohttp's default, stated here on purpose


def make_runner(app: web.Application, *, header_timeout: float = HEADER_TIMEOUT_S) -> web.AppRunner:
    """The HTTP server's limits: idle/header read timeout, header sizes, no access log."""
    return web.AppRunner(app, access_log=None, keepalive_timeout=header_timeout, max_field_size=MAX_FIELD_SIZE,
                         max_headers=64)


async def serve(settings: Settings, policy: Policy) -> None:
    try:  # SQLite: one server per file (held until this process exits, even by SIGKILL)
        server_lock = acquire_server_lock(settings.database_url)  # noqa: F841
    except ServerLockError as error:
        raise ConfigError(str(error)) from None
    runtime = await build_runtime(settings, policy)
    if settings.teams_allow_unauthenticated:
        log.warning("!!! KASUHARA_TEAMS_LOCAL_DEV is set: Teams requests are NOT authenticated. "
                    "Listening on 127.0.0.1 only. Never use this in production. !!!")
    runner = make_runner(runtime.web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    await runtime.start()
    log.info("kasuhara listening on http://%s:%s (slack=%s, teams=%s)", settings.host, settings.port,
             settings.slack_enabled, settings.teams_enabled)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await runtime.stop()
    await runner.cleanup()
