"""What the Teams adapter may write into logs and error texts: never who, never what was written.

Exception messages from storage and the SDK can carry SQL parameters (a conversation
reference holds the person's ids and name), request URLs with a personal chat's id, or a
consultation's text. Logs therefore get the exception type and where it was raised
(adapters.common.failure), and connector errors lose their conversation ids before they
reach the outbox or a log line.
"""
from __future__ import annotations

import logging
import re

_CONVERSATION_PATH = re.compile(r"(/v3/conversations/)[^/\s'\"?]+", re.IGNORECASE)

# The SDK's loggers, kept at these levels unless an operator set one explicitly. At DEBUG,
# urllib3 logs every connector URL (a personal chat's id) and MSAL its token cache; msrest's
# serializer warns with the values it drops, on every Action.Execute (Teams sends `trigger`).
VENDOR_LOG_LEVELS = {"botbuilder": logging.WARNING, "botframework": logging.WARNING, "msrest": logging.WARNING,
                     "msrest.serialization": logging.ERROR, "msal": logging.WARNING, "urllib3": logging.WARNING}
URL_LOGGERS = ("urllib3.connectionpool",)  # logs URLs even at WARNING ("Retrying … after …: <url>")


def redact(text: str) -> str:
    """Drop conversation ids from connector URLs (a personal chat's id leads to the person)."""
    return _CONVERSATION_PATH.sub(r"\1…", text)


class RedactConversations(logging.Filter):
    """Rewrite a record so that connector URLs in it lose their conversation ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def quiet_vendor_loggers() -> None:
    """Keep the SDK's loggers quiet (unless set explicitly) and redact the URLs they log."""
    for name, level in VENDOR_LOG_LEVELS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactConversations) for f in logger.filters):
            logger.addFilter(RedactConversations())
