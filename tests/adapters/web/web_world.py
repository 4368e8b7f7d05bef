"""The served runtime for web tests: Slack at the stand-in, the web pages, a unit report link."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from aiohttp import web

from tests.adapters.slack.slack_fixtures import POLICY_YAML, SlackWorld, slack_env, write_policy
from tests.adapters.slack.slack_signing import SlackSender

GUESS_DELAY = 0.1  # seconds; production waits 1 s before answering any code check (tests assert the wait)


@dataclass
class WebWorld:
    slack: SlackWorld
    base: str
    token: str  # a live report link of store-1
    session: aiohttp.ClientSession

    @property
    def runtime(self):
        return self.slack.runtime

    @property
    def standin(self):
        return self.slack.standin

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def report_url(self) -> str:
        return self.url(f"/r/{self.token}")

    async def get(self, path: str, **kw) -> tuple[int, str, dict]:
        async with self.session.get(self.url(path), allow_redirects=False, **kw) as response:
            return response.status, await response.text(), dict(response.headers)

    async def post(self, path: str, data, **kw) -> tuple[int, str, dict]:
        async with self.session.post(self.url(path), data=data, allow_redirects=False, **kw) as response:
            return response.status, await response.text(), dict(response.headers)

    async def form(self, path: str, **kw) -> dict[str, str]:
        """The hidden fields (CSRF token, language) of the first form on a page."""
        status, html, _ = await self.get(path, **kw)
        assert status == 200, html
        return hidden_fields(html)


async def serve_like_production(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve as `kasuhara serve` does: no access log (it would write client addresses)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


async def open_web_world(tmp_path: Path, standin, *, clock=None, policy: str = POLICY_YAML, **env: str):
    """Build the runtime (Slack + web pages) with bot.app.build_runtime and serve it on 127.0.0.1."""
    from adapters.web import Limits
    from bot.app import build_runtime
    from bot.config import Settings
    from bot.policy_file import load_policy

    env = {"KASUHARA_PUBLIC_URL": "http://127.0.0.1", "KASUHARA_TRUST_PROXY": "1", **env}
    settings = Settings.from_env(slack_env(tmp_path, standin, **env))
    runtime = await build_runtime(settings, load_policy(write_policy(tmp_path, policy)), clock=clock,
                                  web_limits=Limits(guess_delay=GUESS_DELAY, trust_proxy=True))
    runner, base = await serve_like_production(runtime.web_app)
    sender = await SlackSender(f"{base}/slack/events").__aenter__()
    token, _ = await runtime.flows.incidents.links.create("store-1")
    session = aiohttp.ClientSession()

    async def close() -> None:
        await session.close()
        await sender.__aexit__(None, None, None)
        await runner.cleanup()
        await runtime.stop()

    return WebWorld(SlackWorld(runtime, standin, sender, f"{base}/slack/events"), base, token, session), close
