"""The limits on a fake clock: per client, per link, per write, per wrong guess; CSRF tokens."""
from __future__ import annotations

from adapters.web.guard import CsrfTokens, Guard, Limits, RateLimiter


class Tick:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refuses_past_its_capacity_and_refills_with_time():
    tick = Tick()
    bucket = RateLimiter(3, 3.0, now=tick)
    assert [bucket.hit("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.hit("a") > 0 and bucket.hit("b") == 0  # another key has its own bucket
    tick.now += 1.0
    assert bucket.hit("a") == 0


def test_the_oldest_keys_are_forgotten_so_memory_stays_bounded():
    bucket = RateLimiter(1, 60.0, max_keys=2, now=Tick())
    for key in ("a", "b", "c"):
        bucket.hit(key)
    assert bucket.hit("a") == 0  # forgotten, so full again


def test_a_link_is_limited_across_clients_and_writes_per_client():
    guard = Guard("secret", Limits(client=(100, 60.0), link=(5, 60.0), writes=(2, 60.0)))
    assert [guard.admit(f"client-{i}", link="tok") for i in range(5)] == [0] * 5
    assert guard.admit("client-9", link="tok") > 0  # the sixth visit of the link, from anyone
    assert guard.admit("client-9", link="other") == 0
    assert [guard.admit("w", write=True) for _ in range(3)][-1] > 0


def test_client_keys_come_from_the_proxy_only_when_trusted():
    trusting, plain = Guard("s", Limits(trust_proxy=True)), Guard("s")
    assert trusting.client_key("10.0.0.1", "198.51.100.1") != trusting.client_key("10.0.0.1", "198.51.100.2")
    assert plain.client_key("10.0.0.1", "198.51.100.1") == plain.client_key("10.0.0.1", "198.51.100.2")
    assert "10.0.0.1" not in plain.client_key("10.0.0.1", None)  # a salted hash, never the address


def test_csrf_tokens_are_scoped_signed_and_expire():
    tick = Tick()
    tokens = CsrfTokens("secret", 60.0, now=tick)
    token = tokens.issue("report")
    assert tokens.check("report", token) and tokens.check("consult", token) is None
    assert CsrfTokens("other-secret", 60.0, now=tick).check("report", token) is None
    assert tokens.check("report", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    tick.now += 61
    assert tokens.check("report", token) is None
    assert tokens.check("report", None) is None and tokens.check("report", "!!") is None
