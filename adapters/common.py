"""What every adapter shares: one error strategy, the clock, Retry-After, the "went wrong" answer.

The error strategy: a flow call that raises is logged by exception type and place only (its
message may hold what a person wrote, a user id or SQL parameters), and the person is told
that nothing happened (`went_wrong`), never left with a silent click or an HTTP 500.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TypeVar

from flows.cards import Card, Tone, notice_card
from flows.i18n import Translator

log = logging.getLogger(__name__)

T = TypeVar("T")
_PROJECT = Path(__file__).resolve().parents[1]


class SystemClock:
    """The wall clock (UTC): flows and notifiers take a `flows.ports.Clock` so tests can set the time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def failure(error: BaseException) -> str:
    """Describe an exception without its message: type, our last frame, where it was raised."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    ours = [f for f in frames if _is_ours(f.filename)]
    places = [_place(f) for f in (ours[-1:] + frames[-1:]) if f]
    where = " -> ".join(dict.fromkeys(places))
    return f"{type(error).__name__}" + (f" at {where}" if where else "")


async def attempt(flow_call: Awaitable[T], what: str, on_failure: Callable[[], Awaitable[object]]) -> T | None:
    """Await a flow call; if it raises, log it without content, run `on_failure`, return None."""
    try:
        return await flow_call
    except Exception as error:  # the person must learn that nothing happened; the log must not learn who
        log.error("%s failed: %s", what, failure(error))
        await on_failure()
        return None


def went_wrong(locale: str) -> Card:
    """The answer when a flow call failed: nothing happened, try again in a moment."""
    return notice_card(Translator(locale)("error.generic"), tone=Tone.WARNING)


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header: seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


def retry_after_of(headers: Mapping[str, object] | None) -> float | None:
    """Find Retry-After in response headers (any case; a list value: its first item)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) and value else value
            return retry_after(value if isinstance(value, str) else None)
    return None


def _is_ours(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(_PROJECT) and ".venv" not in path.parts and "site-packages" not in path.parts


def _place(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename).resolve()
    shown = path.relative_to(_PROJECT) if path.is_relative_to(_PROJECT) else Path(*path.parts[-2:])
    return f"{shown}:{frame.lineno} {frame.name}"
