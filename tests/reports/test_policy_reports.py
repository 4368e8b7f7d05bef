"""The policy file's `reports:` section: defaults, values, and mistakes named with file, key and fix."""
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError
from bot.policy_file import parse_policy
from flows.reports.period import Month

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "kasuhara.example.yaml").read_text(encoding="utf-8"))


def policy(**reports):
    return parse_policy({**BASE, "reports": reports}, Path("kasuhara.yaml"))


def test_defaults_post_at_nine_skip_new_year_and_match_for_180_days():
    rule = parse_policy(BASE, Path("kasuhara.yaml")).reports
    assert rule.monthly_post and rule.post_at == time(9, 0) and rule.repeat_window == timedelta(days=180)
    assert rule.holidays_for(Month(2027, 1)) == {date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}


def test_values_are_read():
    rule = policy(monthly_post=False, post_at="08:30", holidays=["05-01", date(2027, 5, 6)], repeat_window="90d").reports
    assert not rule.monthly_post and rule.post_at == time(8, 30) and rule.repeat_window == timedelta(days=90)
    assert rule.holidays_for(Month(2027, 5)) == {date(2027, 5, 1), date(2027, 5, 6)}


@pytest.mark.parametrize("reports, says", [
    ({"post_at": "25:00"}, "reports.post_at: '25:00' is not a time of day. Fix:"),
    ({"holidays": ["13-01"]}, "reports.holidays[0]: '13-01' is not a date. Fix:"),
    ({"holidays": "01-01"}, "reports.holidays: must be a list"),
    ({"repeat_window": "half a year"}, "reports.repeat_window: 'half a year' is not a duration"),
    ({"monthly_post": "yes please"}, "reports.monthly_post"),
    ({"post_time": "09:00"}, "reports.post_time: unknown key. Fix: use monthly_post, post_at, holidays, repeat_window"),
])
def test_mistakes_name_the_file_the_key_and_the_fix(reports, says):
    with pytest.raises(ConfigError) as refused:
        policy(**reports)
    assert str(refused.value).startswith("kasuhara.yaml: ") and says in str(refused.value)
