"""The plumbing every web route shares: limits first, then the form, then a page with headers.

A route handler reads like a listener elsewhere: parse, one flow call, render. Everything
around it (rate limit, body size, same-origin check, error pages) happens here, so every page
gets it, reads included.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict

from adapters.web import ids
from adapters.web.guard import HEADERS, MAX_BODY, MAX_FIELDS, Guard
from adapters.web.render import Chrome, Pages
from flows.i18n import Translator, normalize_locale
from flows.ports import Clock, WebInbox

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _key(name: str, kind: type):
    factory = getattr(web, "RequestKey", None)  # aiohttp >= 3.12 wants typed keys for request storage
    return factory(name, kind) if factory is not None else name


FORM_KEY = _key("kasuhara.form", MultiDict)
CLIENT_KEY = _key("kasuhara.client", str)
RECEIPT_KEY = _key("kasuhara.receipt", str)


@dataclass
class Tryout:
    """What only the local try-out has: the console, role inboxes and a clock to move forward."""

    units: list  # (unit id, name, report token) of every unit
    inboxes: list  # (unit id, unit name, role) of every role inbox
    advance: Callable[[float], None]  # move the try-out clock forward by seconds
    wake: Callable[[], None]  # let due timers fire now


@dataclass
class Web:
    """Everything the route modules share (one per adapter)."""

    flows: object  # flows.app.Flows
    pages: Pages
    guard: Guard
    inbox: WebInbox
    clock: Clock
    public_url: str = ""
    tryout: Tryout | None = None

    # -- reading a request ---------------------------------------------------------------------
    def lang(self, request: web.Request) -> str:
        form = request.get(FORM_KEY)
        chosen = (form.get(ids.LANG) if form is not None else None) or request.query.get(ids.LANG)
        return normalize_locale(chosen, self.flows.policy.locale if chosen is None else "ja")

    def t(self, request: web.Request) -> Translator:
        return Translator(self.lang(request))

    def form(self, request: web.Request) -> MultiDict:
        return request.get(FORM_KEY) or MultiDict()

    def client(self, request: web.Request) -> str:
        return request[CLIENT_KEY]

    def csrf_nonce(self, request: web.Request, scope: str) -> str | None:
        return self.guard.csrf.check(scope, self.form(request).get(ids.CSRF))

    def base_fields(self, request: web.Request, scope: str) -> dict[str, str]:
        """Hidden fields of every form: a fresh CSRF token and the language."""
        return {ids.CSRF: self.guard.csrf.issue(scope), ids.LANG: self.lang(request)}

    def url(self, path: str, request: web.Request, *, lang: bool = True) -> str:
        """A path on this site, keeping the language when it isn't the default."""
        chosen = self.lang(request)
        return f"{path}?{ids.LANG}={chosen}" if lang and chosen != self.flows.policy.locale else path

    # -- answering ------------------------------------------------------------------------------
    def page(self, request: web.Request, template: str, *, status: int = 200, headers: dict | None = None,
             **values) -> web.Response:
        t = self.t(request)
        other = "en" if t.locale == "ja" else "ja"
        switch = f"{request.path}?{ids.LANG}={other}" if request.method == "GET" else ""
        chrome = Chrome(t=t, home_url=self.url(ids.CONSOLE if self.tryout else ids.HOME, request),
                        static_url=ids.STATIC, switch_url=switch, tryout=self.tryout is not None)
        html = self.pages.page(template, **chrome.context(), **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                            headers={**HEADERS, **(headers or {})})

    def message(self, request: web.Request, status: int, key: str, *, tone: str = "warning", call_110: bool = False,
                headers: dict | None = None, **fields) -> web.Response:
        """A plain page: web.<key>.title, .body and (when the catalog has it) .todo."""
        t = self.t(request)
        lines = [t(f"web.{key}.body")]
        if t.has(f"web.{key}.todo"):
            lines.append(t(f"web.{key}.todo", **fields))
        return self.page(request, "message.html", status=status, headers=headers, heading=t(f"web.{key}.title"),
                         lines=lines, tone=tone, call_110=call_110, back_url="", back_label="")

    def forbidden(self, request: web.Request) -> web.Response:
        return self.message(request, 403, "forbidden")

    def limited(self, request: web.Request, seconds: int) -> web.Response:
        return self.message(request, 429, "limited", headers={"Retry-After": str(seconds)}, seconds=seconds)

    # -- routes -----------------------------------------------------------------------------------
    def route(self, handler: Handler, *, name: str) -> Handler:
        """Wrap a handler with the limits, the form reading and the error pages."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            client = self.guard.client_key(request.remote, request.headers.get("X-Forwarded-For"))
            request[CLIENT_KEY] = client
            post = request.method == "POST"
            wait = self.guard.admit(client, link=request.match_info.get("token", ""), write=post)
            if wait:
                return self.limited(request, wait)
            if post:
                refused = await self._read_form(request)
                if refused is not None:
                    return refused
            try:
                return await handler(request)
            except web.HTTPException:
                raise
            except Exception as error:  # never a traceback to the browser; never content in the log
                log.error("web %s %s failed: %s", request.method, name, type(error).__name__)
                return self.message(request, 500, "error", call_110=True)

        return guarded

    async def _read_form(self, request: web.Request) -> web.Response | None:
        if request.content_length is None or request.content_length > MAX_BODY:
            return self.message(request, 413, "too_large")
        if not self._same_origin(request):
            return self.forbidden(request)
        if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return self.message(request, 400 if request.content_type else 415, "error")
        if request.content_type == "multipart/form-data":  # we offer no file field: refuse uploads outright
            return self.message(request, 413, "too_large")
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            return self.message(request, 400, "error")
        if len(form) > MAX_FIELDS:
            return self.message(request, 413, "too_large")
        request[FORM_KEY] = MultiDict((k, v) for k, v in form.items() if isinstance(v, str))
        return None

    def _same_origin(self, request: web.Request) -> bool:
        """A browser names the page a form came from; refuse posts from any other site."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # old browsers and non-browser clients: the CSRF token still decides
        allowed = {f"{scheme}://{request.host}" for scheme in ("http", "https")}
        if self.public_url:
            parts = urlsplit(self.public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        return origin in allowed


async def static_css(request: web.Request) -> web.Response:
    from adapters.web.render import TEMPLATES

    css = (TEMPLATES.parent / "static" / "style.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", charset="utf-8",
                        headers={**HEADERS, "Cache-Control": "public, max-age=3600"})
