"""Shape checks and text decoding shared by the Slack parsers (see parse.py)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class MalformedPayload(ValueError):
    """The request is signed but does not look like what Slack sends."""


def obj(value: Any, what: str) -> Mapping[str, Any]:
    """Return `value` if it is a JSON object, else raise MalformedPayload naming `what`."""
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{what} must be an object")
    return value


def string(container: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """Return a string member ("" when optional and absent); never echo the value in errors."""
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedPayload(f"{key} must be a non-empty string")
    return value


_MARKUP = re.compile(r"<([^<>]*)>")


def plain_text(text: str) -> str:
    """Decode Slack message markup: `<url|label>` becomes "label (url)", entities are unescaped.

    Mentions (`<@U…>`, `<!here>`, `<#C…>`) stay as they are: flows strip them, because they
    carry user ids. Without this, "A&B" would reach the other side as "A&amp;B".
    """
    def link(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target[:1] in "@!#":
            return match.group(0)
        return f"{label} ({target})" if label and target not in (label, f"mailto:{label}") else label or target
    return _MARKUP.sub(link, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
