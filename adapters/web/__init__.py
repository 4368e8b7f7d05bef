"""The web adapter: report links, SOS, receipts, anonymous consultation, and the try-out console.

Server-rendered pages (Jinja2) that work without JavaScript on a cheap phone, Japanese first
with an English switch, under a strict Content-Security-Policy. Same inner shape as the Slack
and Teams adapters: parse, render, ids, notifier, and one routes module per capability.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiohttp import web

from adapters.web import ids
from adapters.web.aftercare import AftercarePages
from adapters.web.consultation import ConsultationPages
from adapters.web.console import ConsolePages
from adapters.web.guard import Guard, Limits
from adapters.web.incidents import IncidentPages
from adapters.web.notifier import WebNotifier
from adapters.web.render import Pages
from adapters.web.respond import Tryout, Web, static_css
from flows.ports import Clock, WebInbox

log = logging.getLogger(__name__)

__all__ = ["WebAdapter", "build_web", "Limits", "Tryout"]

PURGE_EVERY_S = 3600


class WebAdapter:
    """What bot/ needs from the web pages: a notifier, the routes and a start/stop lifecycle."""

    def __init__(self, web_: Web):
        self.web = web_
        self.notifier = WebNotifier(web_.inbox, web_.clock)
        incidents = IncidentPages(web_)
        aftercare = AftercarePages(web_, incidents)
        self._modules = [incidents, aftercare, ConsultationPages(web_)]
        if web_.tryout is not None:
            self._modules.append(ConsolePages(web_, aftercare))
        self._purger: asyncio.Task | None = None

    def mount(self, app: web.Application) -> None:
        app.router.add_get(ids.HOME, self.web.route(self._home, name="home"))
        app.router.add_get(ids.STATIC, static_css)
        for module in self._modules:
            for method, path, handler, name in module.routes():
                app.router.add_route(method, path, self.web.route(handler, name=name))

    async def _home(self, request: web.Request) -> web.StreamResponse:
        if self.web.tryout is not None:
            raise web.HTTPSeeOther(self.web.url(ids.CONSOLE, request))
        return self.web.page(request, "home.html", consult_url=self.web.url(ids.CONSULT, request),
                             status_url=self.web.url(ids.STATUS, request))

    async def start(self) -> None:
        self._purger = asyncio.create_task(self._purge_forever())

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger

    async def _purge_forever(self) -> None:
        """Forget web inbox messages once their case would be forgotten anyway."""
        rule = self.web.flows.policy.consultation
        keep = rule.close_after_idle + rule.forget_after_close + timedelta(days=30)
        while True:
            try:
                removed = await self.web.inbox.purge(self.web.clock.now() - keep)
                if removed:
                    log.info("web inbox: %s old messages forgotten", removed)
            except Exception as error:
                log.warning("web inbox purge failed: %s", type(error).__name__)
            await asyncio.sleep(PURGE_EVERY_S)


def build_web(flows, inbox: WebInbox, *, secret: str, clock: Clock, public_url: str = "",
              limits: Limits | None = None, tryout: Tryout | None = None) -> WebAdapter:
    """Wire the pages to the flows; `tryout` adds the console (local try-out only)."""
    web_ = Web(flows=flows, pages=Pages(), guard=Guard(secret, limits or Limits()), inbox=inbox, clock=clock,
               public_url=public_url.rstrip("/"), tryout=tryout)
    return WebAdapter(web_)
