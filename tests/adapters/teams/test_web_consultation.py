"""A consultation started on the web is answered from Teams with Reply, and the answer shows on the web page."""
from __future__ import annotations

import re

from tests.adapters.teams.teams_consult import reply_as_desk
from tests.adapters.teams.teams_harness import DESK_CHANNEL, install_in_team, posts_to
from tests.adapters.web.web_world import hidden_fields


async def test_the_desk_answers_a_web_consultation_with_teams_reply(world):
    await install_in_team(world, DESK_CHANNEL)
    base = world.bot.url.removesuffix("/api/messages")
    session = world.bot.session

    async def page(method: str, path: str, data=None) -> str:
        async with session.request(method, base + path, data=data) as response:
            assert response.status == 200, await response.text()
            return await response.text()

    case = hidden_fields(await page("POST", "/consult/start", hidden_fields(await page("GET", "/consult"))))
    code = case["code"]
    assert re.fullmatch(r"C-[2-9A-Z]{4}", code)
    await page("POST", "/consult/send", {**case, "text": "同じお客様から毎日電話があります"})
    await world.drain()
    relay = posts_to(world, DESK_CHANNEL)
    assert relay and code in str(relay[-1].card)

    _, answered = await reply_as_desk(world, code, "担当の佐藤です。詳しく伺えますか")
    assert code in str(answered)
    await world.drain()
    mine = await page("POST", "/consult/open", case)
    assert "担当の佐藤です。詳しく伺えますか" in mine and "同じお客様から毎日電話があります" in mine
