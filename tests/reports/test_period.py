"""Report months: parsing, bad input, the posting day (first working day, 09:00 local)."""
from datetime import date, datetime, time, timezone

import pytest

from flows.reports.period import Month, ReportInputError, first_working_day, parse_month, posting_time

NOW = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "11-2026", "", "2026-1x", "November", "2026-00"])
def test_a_malformed_month_is_refused_with_the_expected_form(text):
    with pytest.raises(ReportInputError) as refused:
        parse_month(text, NOW, "Asia/Tokyo")
    assert refused.value.key == "report.error.month_format"


def test_a_month_that_has_not_started_is_refused_naming_the_current_one():
    with pytest.raises(ReportInputError) as refused:
        parse_month("2027-01", NOW, "Asia/Tokyo")
    assert refused.value.key == "report.error.month_future" and refused.value.fields["current"] == "2026-12"


def test_the_running_month_and_earlier_months_are_accepted():
    assert parse_month("2026-12", NOW, "Asia/Tokyo") == Month(2026, 12)
    assert parse_month(" 2026-1 ", NOW, "Asia/Tokyo") == Month(2026, 1)


def test_month_bounds_are_local_midnights():
    november = Month(2026, 11)
    assert november.start("Asia/Tokyo") == datetime(2026, 10, 31, 15, 0, tzinfo=timezone.utc)
    assert november.end("Asia/Tokyo") == datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)
    assert Month(2026, 1).shift(-1) == Month(2025, 12) and Month(2026, 12).shift(1) == Month(2027, 1)


def test_first_working_day_skips_weekends_and_listed_holidays():
    assert first_working_day(Month(2026, 11)) == date(2026, 11, 2)  # 1 Nov 2026 is a Sunday
    assert first_working_day(Month(2027, 1), frozenset({date(2027, 1, 1)})) == date(2027, 1, 4)


def test_the_report_of_a_month_is_posted_on_the_next_months_first_working_day_at_nine_local():
    due = posting_time(Month(2026, 10), "Asia/Tokyo", time(9, 0))
    assert due == datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)  # Mon 2 Nov 09:00 JST
