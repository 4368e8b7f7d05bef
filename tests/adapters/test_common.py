"""The helpers every adapter shares: Retry-After, the failure description, the "went wrong" answer."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from adapters.common import attempt, retry_after, retry_after_of, went_wrong
from flows.i18n import Translator


def test_retry_after_in_seconds_or_as_an_http_date():
    assert retry_after("7") == 7.0
    assert retry_after(" 1.5 ") == 1.5
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(soon) <= 30
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    assert retry_after(None) is None and retry_after("soon") is None



def test_retry_after_is_found_in_headers_of_any_case_and_shape():
    assert retry_after_of({"Retry-After": "3"}) == 3.0
    assert retry_after_of({"retry-after": ["2", "9"]}) == 2.0  # slack_sdk keeps header values in lists
    assert retry_after_of({"Content-Type": "text/plain"}) is None and retry_after_of(None) is None


def test_the_went_wrong_answer_is_one_catalog_text_in_the_readers_language():
    assert went_wrong("ja").title == Translator("ja")("error.generic")
    assert went_wrong("en").title == Translator("en")("error.generic") != went_wrong("ja").title


async def test_a_failed_flow_call_is_logged_by_type_and_place_and_the_person_is_told(caplog):
    told = []

    async def flow_call():
        raise ValueError("U0SECRET wrote: つらいです")

    async def tell():
        told.append(True)

    with caplog.at_level(logging.ERROR):
        assert await attempt(flow_call(), "consultation message", tell) is None
    assert told == [True]
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("consultation message failed: ValueError at tests/adapters/test_common.py:")
    assert "U0SECRET" not in line and "つらい" not in line
