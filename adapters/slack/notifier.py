"""Deliver neutral cards to Slack through the Web API (implements flows.ports.Notifier).

The outbox decides what to retry: this class only translates Slack's answers into
`DeliveryError(permanent=…)`. One 429 is absorbed here by honouring Retry-After.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import retry_after_of
from adapters.http import proxy_for, ssl_context
from adapters.slack.render.views import card_message, file_comment
from flows.cards import Card
from flows.model import Platform
from flows.ports import DeliveryError
from flows.reports.ports import ChartImage

log = logging.getLogger(__name__)

DEFAULT_API_URL = AsyncWebClient.BASE_URL
# bolt and slack_sdk log whole requests and payloads at DEBUG: user ids, DM channels, the text
# of consultations. They get this logger, never below WARNING whatever LOG_LEVEL says.
VENDOR_LOGGER = "kasuhara.slack.vendor"
VENDOR_LOG_LEVEL = logging.WARNING
REQUEST_TIMEOUT_S = 5  # below the outbox's 10 s lease, so a slow call is settled before a takeover
METADATA_EVENT = "kasuhara_delivery"  # message metadata type carrying the outbox delivery key
LOOKUP_PAGES = 5  # conversations.history pages searched for an in-doubt post (200 messages each)
# Deliveries go out one by one: waiting out a long 429 here would hold every other alert
# back, so only short waits happen in place; longer ones go back to the outbox's schedule.
INLINE_RETRY_AFTER_MAX_S = 3

# Retrying cannot fix these: the channel, user or token is gone or the payload is refused.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth",
    "not_authed", "token_revoked", "token_expired", "no_permission", "missing_scope",
    "team_access_not_granted", "user_not_found", "user_disabled", "cannot_dm_bot",
    "restricted_action", "message_not_found", "cant_update_message", "edit_window_closed",
    "invalid_blocks", "invalid_arguments", "msg_too_long", "msg_blocks_too_long", "no_text",
})


def vendor_logger() -> logging.Logger:
    """Return the logger to give bolt and slack_sdk objects; it never logs below WARNING.

    Their own module loggers (e.g. the response_url client's, which takes no logger) are
    kept at WARNING too, unless an operator set a level for them explicitly.
    """
    for name in ("slack_sdk", "slack_bolt"):
        own = logging.getLogger(name)
        if own.level == logging.NOTSET:
            own.setLevel(VENDOR_LOG_LEVEL)
    logger = logging.getLogger(VENDOR_LOGGER)
    logger.setLevel(VENDOR_LOG_LEVEL)
    if not any(isinstance(f, _OurClientWins) for f in logger.filters):
        logger.addFilter(_OurClientWins())
    return logger


class _OurClientWins(logging.Filter):
    """Drop bolt's warning that our client wins over SLACK_BOT_TOKEN, which bolt reads itself.

    Passing our own client (base URL, retry handlers, proxy) is the intent, so the warning
    would only alarm operators at every start.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in (warning_client_prioritized_and_token_skipped(), warning_token_skipped())


def web_client(token: str, api_url: str | None = None, *, retry_connection_errors: bool = True,
               sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
               timeout: float = REQUEST_TIMEOUT_S) -> AsyncWebClient:
    """Build the Web API client: corporate CA bundle and proxy (NO_PROXY honoured), retries, quiet log.

    `timeout` bounds each call (REQUEST_TIMEOUT_S unless told otherwise); it must stay below the
    outbox's lease (flows.delivery.LEASE_S), so a slow call is settled before a takeover.

    `sleep` waits before a retry: a short 429's Retry-After, or the back-off after a connection
    error (tests pass one that records the wait). The outbox's client does not retry connection
    errors by itself: a post whose connection broke may have arrived, and only the outbox can
    look before sending again.
    """
    base_url = api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    proxy = proxy_for(base_url)
    client = AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        ssl=ssl_context(),
        proxy=proxy,
        retry_handlers=[ShortRateLimitRetry(max_retry_count=1, sleep=sleep)]
        + ([ConnectionRetry(max_retry_count=1, sleep=sleep)] if retry_connection_errors else []),
        logger=vendor_logger(),
    )
    # slack_sdk falls back to HTTPS_PROXY when proxy is None, ignoring NO_PROXY.
    client.proxy = proxy
    return client


class ConnectionRetry(AsyncConnectionErrorRetryHandler):
    """Retry once after a refused or reset connection, after slack_sdk's back-off."""

    def __init__(self, max_retry_count: int = 1, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        # slack_sdk's own version, with the sleep injectable.
        state.next_attempt_requested = True
        await self._sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after its Retry-After, unless the wait is long (then the outbox reschedules)."""

    def __init__(self, max_retry_count: int = 1, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        # slack_sdk's own version, with the sleep injectable: Retry-After (or 1 s) plus up to 1 s of jitter.
        if response is None:
            raise error
        state.next_attempt_requested = True
        wait = retry_after_of(response.headers)
        await self._sleep((1.0 if wait is None else wait) + random.random())
        state.increment_current_attempt()

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if not await super()._can_retry_async(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after_of(response.headers)
        return wait is None or wait <= INLINE_RETRY_AFTER_MAX_S


class Reachability:
    """When Slack last answered and last failed us (for /healthz and the token check)."""

    def __init__(self):
        self.last_ok: float | None = None  # time.time()
        self.last_failure: float | None = None
        self.last_error = ""

    def ok(self) -> None:
        self.last_ok = time.time()

    def failed(self, error: str) -> None:
        self.last_failure, self.last_error = time.time(), error

    @property
    def reachable(self) -> bool | None:
        """True/False after the first call; None before any call."""
        if self.last_ok is None and self.last_failure is None:
            return None
        return (self.last_ok or 0) >= (self.last_failure or 0)


def make_ref(channel: str, ts: str) -> str:
    """Encode a posted message's location as the opaque ref the outbox stores."""
    return f"{channel}|{ts}"


def split_ref(ref: str) -> tuple[str, str]:
    """Decode a ref made by `make_ref`; a broken ref can never be updated."""
    channel, sep, ts = ref.partition("|")
    if not sep or not channel or not ts:
        raise DeliveryError(f"not a Slack message ref: {ref!r}", permanent=True)
    return channel, ts


class SlackNotifier:
    """Post, update and DM cards in one Slack workspace."""

    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient, reachability: "Reachability | None" = None):
        self._client = client
        self.reachability = reachability or Reachability()
        self._session: aiohttp.ClientSession | None = None

    def _keep_alive(self) -> None:
        """Reuse one HTTP session (kept-alive connections) for every delivery.

        slack_sdk otherwise opens a session and a TCP/TLS connection per call. Made on first
        use, inside the running loop; closed by `close`.
        """
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._client.timeout))
            self._client.session = self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def post(self, address: str, card: Card, *, key: str = "") -> str:
        """Post to a channel (C…/G…) or a user id (the app's DM); return "channel|ts".

        `key` travels as message metadata, so `find_sent` can look for this very post.
        """
        extra = {"metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}}} if key else {}
        response = await self._call("chat_postMessage", channel=address, **card_message(card), **extra)
        return make_ref(response["channel"], response["ts"])

    async def find_sent(self, address: str, key: str, *, since: datetime | None = None) -> str | None:
        """Look for a post carrying `key` in its metadata (an attempt whose answer was lost)."""
        channel = address
        if address.startswith(("U", "W")):  # a DM: its channel id comes from conversations.open
            opened = await self._call("conversations_open", users=address)
            channel = (opened.get("channel") or {}).get("id", "")
        oldest = f"{since.timestamp() - 60:.6f}" if since else "0"
        cursor = None
        for _ in range(LOOKUP_PAGES):
            page = await self._call("conversations_history", channel=channel, oldest=oldest, limit=200,
                                    include_all_metadata=True, **({"cursor": cursor} if cursor else {}))
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == METADATA_EVENT and \
                        (metadata.get("event_payload") or {}).get("key") == key:
                    return make_ref(channel, message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        return None

    async def update(self, address: str, ref: str, card: Card) -> None:
        """Replace a posted card in place (chat.update needs the channel id from the post)."""
        channel, ts = split_ref(ref)
        await self._call("chat_update", channel=channel, ts=ts, **card_message(card))

    async def send_private(self, user_id: str, card: Card, *, key: str = "") -> str:
        """DM one person: posting to a user id opens the DM with the app."""
        return await self.post(user_id, card, key=key)

    max_image_bytes = None  # a file upload: no tight limit

    async def post_image(self, address: str, card: Card, image: ChartImage) -> str:
        """Upload the image with the card as its message (files.getUploadURLExternal, upload, completeUploadExternal)."""
        channel = address
        if address.startswith(("U", "W")):  # a person: the file is shared in the app's DM with them
            opened = await self._call("conversations_open", users=address)
            channel = opened["channel"]["id"]
        response = await self._call("files_upload_v2", channel=channel, file=image.png, filename=image.filename,
                                    title=card.title, alt_txt=image.alt, initial_comment=file_comment(card))
        files = response.get("files") or []
        return f"{channel}|file:{files[0]['id']}" if files else ""

    async def _call(self, method: str, **kwargs) -> dict:
        self._keep_alive()
        try:
            response = await getattr(self._client, method)(**kwargs)
        except SlackApiError as error:
            if error.response.status_code < 500:
                self.reachability.ok()  # Slack answered
            else:
                self.reachability.failed(f"HTTP {error.response.status_code}")
            raise _delivery_error(method, error) from error
        except SlackRequestError as error:  # the file upload itself failed (files_upload_v2's second step)
            log.warning("slack %s failed: %s", method, type(error).__name__)
            raise DeliveryError(f"{method}: upload failed", permanent=False) from error
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            # The request may have reached Slack before the connection broke or timed out.
            self.reachability.failed(type(error).__name__)
            raise DeliveryError(f"{method}: {type(error).__name__}", permanent=False, in_doubt=True) from error
        self.reachability.ok()
        return response.data if isinstance(response.data, dict) else {}


def _delivery_error(method: str, error: SlackApiError) -> DeliveryError:
    response = error.response
    code = response.get("error", "") if isinstance(response.data, dict) else ""
    status = response.status_code
    retry_after = retry_after_of(response.headers) if status == 429 else None
    permanent = code in PERMANENT_ERRORS
    log.warning("slack %s failed: status=%s error=%s", method, status, code or "-")
    return DeliveryError(f"{method}: {code or f'HTTP {status}'}", permanent=permanent, retry_after=retry_after,
                         in_doubt=status >= 500)
