"""What keeps a public page safe: CSRF tokens, rate limits, guess delays, size limits, headers.

Nothing here needs a cookie or stores an address: CSRF tokens are signed and time-limited
(HMAC with a key derived from KASUHARA_SECRET_KEY), and rate limits live in memory under a
salted hash of the client address that is never logged or written anywhere.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import secrets
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Every page: the browser may load our own stylesheet and images and post forms to us, nothing
# else (no script at all, no third-party asset, no framing).
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # A report link's token is in its path: never send it to another site. (With no-referrer at all,
    # browsers send "Origin: null" on form posts and the same-origin check could not work.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # receipt and case pages must not linger in a shared phone's cache
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
MAX_BODY = 64 * 1024  # the longest report is ~15 text fields of 3000 characters
MAX_FIELDS = 100


@dataclass(frozen=True)
class Limits:
    """Rate limits as (requests, per seconds); defaults sized for one person on a phone."""

    client: tuple[int, float] = (60, 60.0)  # every page, reads included, per client
    link: tuple[int, float] = (240, 60.0)  # every page of one report link, all clients together
    writes: tuple[int, float] = (20, 600.0)  # form posts per client
    guesses: tuple[int, float] = (10, 900.0)  # wrong receipt codes / passphrases per client
    guess_delay: float = 1.0  # seconds before answering any code/passphrase check
    csrf_max_age: float = 6 * 3600.0  # a form may stay open while someone calms down
    trust_proxy: bool = False  # take the client from X-Forwarded-For (behind our reverse proxy only)


class CsrfTokens:
    """Signed, time-limited form tokens bound to a scope; their nonce is the request key."""

    def __init__(self, secret: str, max_age: float, *, now: Callable[[], float] = time.time):
        self._key = hashlib.sha256(b"kasuhara-web-csrf-v1:" + secret.encode()).digest()
        self._max_age = max_age
        self._now = now

    def issue(self, scope: str) -> str:
        issued = struct.pack(">Q", int(self._now()))
        nonce = secrets.token_bytes(12)
        return base64.urlsafe_b64encode(issued + nonce + self._mac(scope, issued + nonce)).decode().rstrip("=")

    def check(self, scope: str, token: str | None) -> str | None:
        """Return the token's nonce (hex) when it is genuine, fresh and for this scope, else None."""
        try:
            raw = base64.urlsafe_b64decode((token or "") + "=" * (-len(token or "") % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != 36:
            return None
        body, mac = raw[:20], raw[20:]
        if not hmac.compare_digest(mac, self._mac(scope, body)):
            return None
        (issued,) = struct.unpack(">Q", body[:8])
        if not 0 <= self._now() - issued <= self._max_age:
            return None
        return body[8:].hex()

    def _mac(self, scope: str, body: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"|" + body, hashlib.sha256).digest()[:16]


class RateLimiter:
    """Token buckets per key, in memory, with a bounded number of keys (oldest dropped)."""

    def __init__(self, capacity: int, per_seconds: float, *, max_keys: int = 20000,
                 now: Callable[[], float] = time.monotonic):
        self._capacity = capacity
        self._rate = capacity / per_seconds
        self._max_keys = max_keys
        self._now = now
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` from the key's bucket; return 0 when allowed, else seconds until it would be."""
        now = self._now()
        tokens, at = self._buckets.pop(key, (float(self._capacity), now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (cost - tokens) / self._rate
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait

    def peek(self, key: str) -> float:
        """Seconds until one more hit would be allowed (0 when it would be now)."""
        tokens, at = self._buckets.get(key, (float(self._capacity), self._now()))
        tokens = min(self._capacity, tokens + (self._now() - at) * self._rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._rate


class Guard:
    """The limits of one web adapter: who may ask how often, and how slowly codes are checked."""

    def __init__(self, secret: str, limits: Limits = Limits()):
        self.limits = limits
        self.csrf = CsrfTokens(secret, limits.csrf_max_age)
        self._salt = secrets.token_bytes(16)  # per process: client keys mean nothing after a restart
        self._client = RateLimiter(*limits.client)
        self._link = RateLimiter(*limits.link)
        self._writes = RateLimiter(*limits.writes)
        self._guesses = RateLimiter(*limits.guesses)

    def client_key(self, peer: str | None, forwarded_for: str | None) -> str:
        address = peer or "-"
        if self.limits.trust_proxy and forwarded_for:
            address = forwarded_for.split(",")[-1].strip() or address  # the hop our proxy added
        return hashlib.sha256(self._salt + address.encode()).hexdigest()[:24]

    def admit(self, client: str, *, link: str = "", write: bool = False) -> int:
        """Count one request; return 0 when it may go on, else the seconds to wait (a 429)."""
        waits = [self._client.hit(client)]
        if link:
            waits.append(self._link.hit(hashlib.sha256(self._salt + link.encode()).hexdigest()[:24]))
        if write:
            waits.append(self._writes.hit(client))
        wait = max(waits)
        return math.ceil(wait) if wait > 0 else 0

    def guesses_left(self, client: str) -> int:
        """0 when this client has guessed wrong too often (answer 429 before checking anything)."""
        wait = self._guesses.peek(client)
        return math.ceil(wait) if wait > 0 else 0

    async def slow_check(self, client: str, check):
        """Run a code/passphrase check; answer only after the delay, and count it when wrong."""
        started = time.monotonic()
        result = await check()
        if not result:
            self._guesses.hit(client)
        await asyncio.sleep(max(0.0, self.limits.guess_delay - (time.monotonic() - started)))
        return result
