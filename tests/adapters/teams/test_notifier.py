"""How connector failures become DeliveryError (what the outbox retries or gives up on)."""
from __future__ import annotations

import pytest

from flows.ports import DeliveryError
from tests.adapters.teams.teams_harness import ALERT_CHANNEL, install_in_team, payload


@pytest.mark.parametrize("status, permanent, delay", [(404, True, None), (403, True, None), (400, True, None),
                                                       (429, False, 3.0), (503, False, 3.0), (502, False, None)])
async def test_connector_statuses_map_to_permanent_or_retryable(world, status, permanent, delay):
    notifier = world.notifier
    await install_in_team(world)
    world.microsoft.fail_next(status, retry_after="3" if delay else None)
    with pytest.raises(DeliveryError) as caught:
        await notifier.post(ALERT_CHANNEL, world.runtime.flows.incidents.help_card("ja"))
    assert (caught.value.permanent, caught.value.retry_after) == (permanent, delay)
    assert str(status) in str(caught.value)


async def test_updating_a_deleted_message_fails_permanently(world):
    notifier = world.notifier
    await install_in_team(world)
    ref = await notifier.post(ALERT_CHANNEL, world.runtime.flows.incidents.help_card("ja"))
    world.microsoft.fail_next(404, method="PUT")
    with pytest.raises(DeliveryError) as caught:
        await notifier.update(ALERT_CHANNEL, ref, world.runtime.flows.incidents.help_card("en"))
    assert caught.value.permanent


async def test_an_unknown_address_is_a_permanent_failure_saying_how_to_fix_it(world):
    notifier = world.notifier
    with pytest.raises(DeliveryError, match="add the app") as caught:
        await notifier.post("19:never-installed@thread.tacv2", world.runtime.flows.incidents.help_card("ja"))
    assert caught.value.permanent
    with pytest.raises(DeliveryError, match="open the app once") as caught:
        await notifier.send_private("0f0f0f0f-0000-4000-8000-00000000aaaa", world.runtime.flows.incidents.help_card("ja"))
    assert "0f0f0f0f" not in str(caught.value)  # may be a consultation's answer: the error names nobody


async def test_the_reference_is_the_conversation_and_the_message_id(world):
    notifier = world.notifier
    await world.bot.send(payload("teams_conversation_update_bot_added_to_team", world.microsoft.service_url))
    ref = await notifier.post(ALERT_CHANNEL, world.runtime.flows.incidents.help_card("ja"))
    [posted] = world.microsoft.sent("POST")
    assert ALERT_CHANNEL in ref and posted.answered_id in ref


def test_the_connector_clients_retry_the_same_status_codes_as_msrest_says():
    """adapters.teams.transport gives msrest a set to look codes up in; the policy must not change."""
    import adapters.teams.transport  # noqa: F401  (applies the set)
    from msrest.universal_http.requests import ClientRetryPolicy

    msrest_safe = [i for i in range(500) if i != 408] + [501, 505]  # msrest 0.7.1's own list
    policy = ClientRetryPolicy().policy
    assert policy.status_forcelist == [i for i in range(999) if i not in msrest_safe]
    assert 408 in policy.status_forcelist and 503 in policy.status_forcelist
    assert 404 not in policy.status_forcelist and 429 not in policy.status_forcelist and 501 not in policy.status_forcelist
