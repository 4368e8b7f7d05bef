"""SlackNotifier against the stand-in Web API: refs, updates, DMs, 429 and error mapping."""
from __future__ import annotations

import asyncio
import time

import pytest

from adapters.slack.notifier import SlackNotifier, split_ref, web_client
from flows.cards import ActionId, Card, CardAction
from flows.ports import DeliveryError
from tests.adapters.slack.slack_signing import BOT_TOKEN

CARD = Card(title="L2 要管理 <!channel>", lines=("窓口で大声",), fields=(("番号", "K-1"),),
            actions=(CardAction(ActionId.ACKNOWLEDGE, "確認して対応する", "1", primary=True),))


@pytest.fixture
def waits() -> list[float]:
    """The seconds the client asked to wait before retrying a 429 (recorded, not slept)."""
    return []


@pytest.fixture
def notifier(standin, waits) -> SlackNotifier:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    return SlackNotifier(web_client(BOT_TOKEN, standin.api_url, sleep=sleep))


async def test_post_sends_blocks_and_returns_channel_and_ts(notifier, standin):
    ref = await notifier.post("C0STOREMGR", CARD)

    (call,) = standin.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == "C0STOREMGR"
    assert call.args["text"] == "L2 要管理 &lt;!channel&gt;"
    assert call.args["blocks"][-1]["elements"][0]["action_id"] == "kasuhara.acknowledge"
    channel, ts = split_ref(ref)
    assert channel == "C0STOREMGR" and ts.startswith("1767225600.")


async def test_update_replaces_the_message_the_ref_points_to(notifier, standin):
    ref = await notifier.post("C0STOREMGR", CARD)
    await notifier.update("C0STOREMGR", ref, Card(title="確認済み"))

    (call,) = standin.calls_to("chat.update")
    assert (call.args["channel"], call.args["ts"]) == split_ref(ref)
    assert call.args["blocks"][0]["text"]["text"].endswith("確認済み")


async def test_send_private_posts_to_the_user_and_keeps_the_dm_channel_for_updates(notifier, standin):
    ref = await notifier.send_private("U0REPORTER", CARD)

    assert standin.calls_to("chat.postMessage")[0].args["channel"] == "U0REPORTER"
    assert split_ref(ref)[0] == "D0REPORTER"  # the channel Slack answered with, not the user id


async def test_a_429_is_retried_after_retry_after(notifier, standin, waits):
    standin.rate_limit_once("chat.postMessage", retry_after=2)

    ref = await notifier.post("C0STOREMGR", CARD)

    assert len(standin.calls_to("chat.postMessage")) == 2
    [waited] = waits
    assert 2.0 <= waited < 3.0  # Retry-After, plus up to a second of jitter
    assert split_ref(ref)[0] == "C0STOREMGR"


async def test_a_long_retry_after_goes_back_to_the_outbox_instead_of_blocking(notifier, standin, waits):
    standin.rate_limit_once("chat.postMessage", retry_after=30)
    started = time.monotonic()

    with pytest.raises(DeliveryError) as caught:
        await notifier.post("C0STOREMGR", CARD)

    assert time.monotonic() - started < 2 and waits == []
    assert caught.value.permanent is False and caught.value.retry_after == 30
    assert len(standin.calls_to("chat.postMessage")) == 1


async def test_a_second_429_becomes_a_retryable_error_with_retry_after(notifier, standin, waits):
    standin.rate_limit_once("chat.postMessage", retry_after=1)
    standin.rate_limit_once("chat.postMessage", retry_after=7)

    with pytest.raises(DeliveryError) as caught:
        await notifier.post("C0STOREMGR", CARD)

    assert caught.value.permanent is False and caught.value.retry_after == 7
    assert len(waits) == 1 and 1.0 <= waits[0] < 2.0 and len(standin.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive",
                                   "invalid_auth"])
async def test_gone_channels_and_bad_tokens_are_permanent(notifier, standin, error):
    standin.fail_once("chat.postMessage", error)
    with pytest.raises(DeliveryError) as caught:
        await notifier.post("C0GONE", CARD)
    assert caught.value.permanent is True
    assert error in str(caught.value)


@pytest.mark.parametrize(("status", "error"), [(200, "internal_error"), (500, "fatal_error"), (503, "service_unavailable")])
async def test_server_side_failures_are_retryable(notifier, standin, status, error):
    standin.fail_once("chat.update", error, status=status)
    with pytest.raises(DeliveryError) as caught:
        await notifier.update("C0STOREMGR", "C0STOREMGR|1.2", CARD)
    assert caught.value.permanent is False


async def test_an_unreachable_slack_is_retryable():
    waits = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    notifier = SlackNotifier(web_client(BOT_TOKEN, "http://127.0.0.1:9/api/", sleep=sleep))  # discard port: refused
    with pytest.raises(DeliveryError) as caught:
        await notifier.post("C0STOREMGR", CARD)
    assert caught.value.permanent is False
    assert len(waits) == 1 and waits[0] > 0  # one retry after slack_sdk's back-off, then the outbox's turn


async def test_a_broken_ref_cannot_be_updated(notifier, standin):
    with pytest.raises(DeliveryError) as caught:
        await notifier.update("C0STOREMGR", "no-separator", CARD)
    assert caught.value.permanent is True
    assert standin.calls_to("chat.update") == []


def test_the_client_honours_no_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:8080")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.example:8080")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert web_client(BOT_TOKEN, "http://127.0.0.1:1234/api/").proxy is None
    assert web_client(BOT_TOKEN).proxy == "http://proxy.corp.example:8080"


def test_every_slack_call_times_out_in_5_s_below_the_outbox_lease(tmp_path):
    """The production timeout (tests may pass a shorter one): below the lease, so a slow call settles first."""
    from adapters.slack import build_slack
    from adapters.slack.notifier import REQUEST_TIMEOUT_S
    from flows.delivery import LEASE_S

    assert REQUEST_TIMEOUT_S == 5 < LEASE_S
    assert web_client(BOT_TOKEN).timeout == REQUEST_TIMEOUT_S
    slack = build_slack(None, bot_token=BOT_TOKEN, signing_secret="s" * 32)
    assert slack.client.timeout == slack.notifier._client.timeout == REQUEST_TIMEOUT_S
