"""Helpers of the consultation tests: the employee (Megan) in her personal chat, the desk channel."""
from __future__ import annotations

import itertools

from tests.adapters.teams.teams_harness import DESK_CHANNEL, World, button, dialog_card, payload, posts_to

_EMPLOYEE = payload("teams_message_personal_consult")
EMPLOYEE_AAD = _EMPLOYEE["from"]["aadObjectId"]
EMPLOYEE_ID = _EMPLOYEE["from"]["id"]
EMPLOYEE_NAME = _EMPLOYEE["from"]["name"]
EMPLOYEE_CHAT = _EMPLOYEE["conversation"]["id"]
_ids = itertools.count(1)


def fresh_id(prefix: str = "f:") -> str:
    """A new activity id: Teams gives every activity its own (a retry repeats it)."""
    return f"{prefix}{next(_ids):08d}-0000-4000-8000-000000000000"


async def write(world: World, text: str, name: str = "teams_message_personal_consult", **changes) -> list[dict]:
    """The employee writes in her personal chat; return the cards the bot answered with."""
    before = len(posts_to(world, EMPLOYEE_CHAT))
    activity = payload(name, world.microsoft.service_url, **{"id": fresh_id(""), **changes})
    if text is not None:
        activity["text"] = text
    status, _ = await world.bot.send(activity)
    assert status == 201
    return [r.card for r in posts_to(world, EMPLOYEE_CHAT)[before:]]


async def click(world: World, verb: str, value: str, **changes) -> dict:
    """The employee clicks an Action.Execute button on a card in her personal chat."""
    activity = payload("teams_invoke_adaptive_card_consult_start", world.microsoft.service_url,
                       **{"id": fresh_id(), **changes})
    activity["value"]["action"].update(verb=f"kasuhara.{verb}", data={"kasuharaValue": value})
    status, body = await world.bot.send(activity)
    assert status == 200
    return body


async def start_case(world: World, **changes) -> str:
    """Write, accept the offer; return the case code."""
    [offer] = await write(world, "相談したいことがあります", **changes)
    start = button(offer, "consult_start")
    started = (await click(world, "consult_start", start["data"]["kasuharaValue"], **changes))["value"]
    return button(started, "consult_close")["data"]["kasuharaValue"]


def desk_posts(world: World) -> list:
    return posts_to(world, DESK_CHANNEL)


async def reply_as_desk(world: World, code: str, text: str, **changes) -> tuple[dict, dict]:
    """HR opens the Reply dialog for a case and sends `text`: (the dialog, the answer)."""
    fetch = payload("teams_invoke_task_fetch_consult_reply", world.microsoft.service_url, id=fresh_id(), **changes)
    fetch["value"]["data"]["kasuharaContext"] = code
    status, opened = await world.bot.send(fetch)
    assert status == 200
    submit = payload("teams_invoke_task_submit_consult_reply", world.microsoft.service_url, id=fresh_id(), **changes)
    submit["value"]["data"] = {**dialog_card(opened)["actions"][0]["data"], "text": text}
    status, answered = await world.bot.send(submit)
    assert status == 200
    return opened, answered
