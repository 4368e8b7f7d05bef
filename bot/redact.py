"""Hide passwords and tokens wherever a URL or a setting is printed or logged.

A database URL carries its password (`postgresql://kas:S3cret@db/kasuhara`), tokens show up
in exception texts of the SDKs, and operators paste start-up output into tickets and chats.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# user:password@ in any URL-looking text (scheme://user:password@host)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)(?=@)")
# Slack tokens (bot, user, app-level, refresh, config) keep only their kind.
_SLACK_TOKEN = re.compile(r"\b(?P<kind>xox[abposre]|xapp)-[A-Za-z0-9-]+")
# Settings whose values are secrets: never shown, only whether they are set.
SECRET_SETTINGS = ("KASUHARA_SECRET_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                   "TEAMS_APP_PASSWORD")
_MIN_SECRET_TO_MASK = 6  # shorter values would mask ordinary words in a message


def redact_url(url: str) -> str:
    """Return the URL with its password replaced by ***; anything unparsable goes through redact()."""
    try:
        parts = urlsplit(url)
        if parts.password:
            user = parts.username or ""
            host = parts.hostname or ""
            if ":" in host:
                host = f"[{host}]"
            port = f":{parts.port}" if parts.port else ""
            return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}{port}"))
    except ValueError:  # e.g. a port that is not a number
        pass
    return redact(url)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask URL passwords, Slack tokens and the given secret values in free text."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _SLACK_TOKEN.sub(lambda m: f"{m.group('kind')}-{MASK}", text)
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_TO_MASK}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def secret_values(env: Mapping[str, str]) -> list[str]:
    """The secret settings' values in this environment (to mask wherever they appear)."""
    values = [env.get(name, "") for name in SECRET_SETTINGS]
    password = urlsplit(env.get("DATABASE_URL", "")).password if "@" in env.get("DATABASE_URL", "") else None
    return [v for v in values + [password or ""] if v]


class RedactingFilter(logging.Filter):
    """Rewrite log records (message, arguments and traceback text) without secrets."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def install(handler_owner: logging.Logger, secrets: Iterable[str]) -> RedactingFilter:
    """Attach one redacting filter to every handler of `handler_owner` (the root logger)."""
    found = RedactingFilter(secrets)
    for handler in handler_owner.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(found)
    return found
