"""What the Teams adapter writes into logs and error texts: no person, no chat, no message."""
from __future__ import annotations

import logging

import pytest
from msrest.exceptions import ClientRequestError, raise_with_traceback

from adapters.teams.notifier import delivery_error
from adapters.common import failure
from adapters.teams.privacy import quiet_vendor_loggers, redact

PERSONAL_CHAT = "a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrH"
URL = f"https://smba.trafficmanager.net/amer/v3/conversations/{PERSONAL_CHAT.replace(':', '%3A')}/activities"


def test_a_failure_is_described_by_type_and_place_never_by_its_message():
    try:
        raise ValueError("INSERT INTO conversation_refs … ('7faf8ab2-3d56-4244-b585-20c8a42ed2b8', 'Megan Bowen')")
    except ValueError as error:
        described = failure(error)
    assert described.startswith("ValueError at tests/adapters/teams/test_privacy.py:")
    assert "7faf8ab2" not in described and "Megan" not in described


@pytest.mark.parametrize("url", [URL, URL.replace("%3A", ":"), URL + "/1767765488001"])
def test_connector_urls_lose_the_conversation_id(url):
    assert PERSONAL_CHAT[:12] not in redact(url) and PERSONAL_CHAT.replace(":", "%3A")[:12] not in redact(url)
    assert redact(url).startswith("https://smba.trafficmanager.net/amer/v3/conversations/…/activities")


def test_an_unreachable_connector_error_names_no_chat():
    try:
        try:
            raise ConnectionError(f"HTTPSConnectionPool(host='smba.trafficmanager.net', port=443): Max retries "
                                  f"exceeded with url: /amer/v3/conversations/{PERSONAL_CHAT}/activities")
        except ConnectionError:
            raise_with_traceback(ClientRequestError, "Error occurred in request.")  # what msrest does
    except ClientRequestError as error:
        assert PERSONAL_CHAT in str(error)  # so the check below can fail
        problem = delivery_error(error)
    assert not problem.permanent and "unreachable" in str(problem)
    assert PERSONAL_CHAT[:12] not in str(problem) and "smba.trafficmanager.net" in str(problem)


def test_the_sdk_loggers_stay_at_warning_and_urllib3_urls_are_redacted(caplog):
    quiet_vendor_loggers()
    assert logging.getLogger("msal").level == logging.WARNING
    assert logging.getLogger("urllib3").level == logging.WARNING
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").warning("Retrying (%r) after connection broken by '%r': %s",
                                                        "Retry(total=2)", "timeout", URL)
    [record] = [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert "Retrying" in record.getMessage() and "%3A17I0kl9" not in record.getMessage()


def test_an_operator_setting_wins():
    logger = logging.getLogger("botbuilder")
    before = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        quiet_vendor_loggers()
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(before)
