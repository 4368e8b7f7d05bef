"""A bad policy file refuses to start with one message naming the file, the key and the fix."""
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.policy_file import load_policy
from flows.model import Platform, RiskLevel, Role, Target

EXAMPLE = (Path(__file__).resolve().parents[2] / "kasuhara.example.yaml").read_text(encoding="utf-8")


def write(tmp_path, text):
    path = tmp_path / "kasuhara.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_is_valid_and_matches_the_contract():
    policy = load_policy(Path(__file__).resolve().parents[2] / "kasuhara.example.yaml")
    assert policy.timezone == "Asia/Tokyo" and policy.locale == "ja"
    assert [u.id for u in policy.units] == ["honsha", "chuo"]
    step = policy.escalation[RiskLevel.L3]
    assert step.notify == (Role.DIVISION_HEAD, Role.HR, Role.LEGAL) and step.meeting_within.total_seconds() == 3600
    assert policy.escalation[RiskLevel.L4].repeat_every.total_seconds() == 300
    assert policy.targets_of("chuo", Role.HR) == (Target(Platform.SLACK, "C0HR"),)  # inherited
    assert policy.targets_of("chuo", Role.FIELD_MANAGER) == (Target(Platform.SLACK, "C1MANAGER"),)
    assert [f.kind for f in policy.follow_ups] == ["hearing", "review"]
    assert policy.is_admin(Platform.SLACK, "U0ADMIN")


@pytest.mark.parametrize("old,new,key,fix", [
    ("then: [division_head]}", "then: [boss]}", "escalation.L2.then[0]", "use one of field_leader"),
    ("parent: honsha", "parent: nowhere", "units[chuo].parent", "name the id of another unit"),
    ("  L4: {notify", "  L5: {notify", "escalation.L5", "use L1, L2, L3 or L4"),
    ("ack_within: 60m", "ack_within: soon", "escalation.L1.ack_within", "e.g. 15m, 1h"),
    ("{slack: [C0HR]}", "{slack: [hr-channel]}", "units[honsha].targets.hr.slack[0]", "Slack channel id"),
    ("{slack: [C0HR]}", "{discord: [C0HR]}", "units[honsha].targets.hr.discord", "use slack or teams"),
    ("timezone: Asia/Tokyo", "timezone: Tokyo/Japan", "timezone", "IANA"),
    ("min_level: L2}\n  - {kind: review", "min_level: L9}\n  - {kind: review", "follow_ups[0].min_level", "L1, L2"),
    ("escalate_after: 48h}", "escalate_after: 48h, forget_after: 1d}", "consultation.forget_after", "close_after_idle"),
    ("{kind: hearing, after: 72h", "{kind: hearing, remind: 1d, after: 72h", "follow_ups[0].remind", "remind_every"),
])
def test_mistakes_name_the_file_the_key_and_the_fix(tmp_path, old, new, key, fix):
    assert old in EXAMPLE
    path = write(tmp_path, EXAMPLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_policy(path)
    message = str(error.value)
    assert str(path) in message and key in message and "Fix:" in message and fix in message


def test_a_missing_level_is_refused(tmp_path):
    path = write(tmp_path, EXAMPLE.replace("  L1: {notify: [field_leader], ack_within: 60m, then: [field_manager]}\n", ""))
    with pytest.raises(ConfigError, match=r"escalation\.L1: missing"):
        load_policy(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "units:\n  - id: a\n   name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+"):
        load_policy(path)


def test_missing_file_says_how_to_create_it(tmp_path):
    with pytest.raises(ConfigError, match="copy kasuhara.example.yaml"):
        load_policy(tmp_path / "nope.yaml")


def test_a_company_may_replace_the_signal_table(tmp_path):
    policy = load_policy(write(tmp_path, EXAMPLE + "signals:\n  - {id: abuse, level: L3}\n  - {id: spit, level: L4, ja: 唾を吐く, en: Spitting}\n"))
    assert [(s.id, s.level) for s in policy.signals] == [("abuse", RiskLevel.L3), ("spit", RiskLevel.L4)]
    with pytest.raises(ConfigError, match=r"signals\[0\]\.ja"):
        load_policy(write(tmp_path, EXAMPLE + "signals:\n  - {id: brand_new, level: L2}\n"))


def test_teams_tenants_are_read_and_checked(tmp_path):
    policy = load_policy(write(tmp_path, EXAMPLE + '\nteams:\n  tenants: ["72F988BF-86F1-41AF-91AB-2D7CD011DB47"]\n'))
    assert policy.teams_tenants == ("72f988bf-86f1-41af-91ab-2d7cd011db47",)
    with pytest.raises(ConfigError) as bad:
        load_policy(write(tmp_path, EXAMPLE + '\nteams:\n  tenants: ["contoso.onmicrosoft.com"]\n'))
    assert "kasuhara.yaml: teams.tenants[0]: 'contoso.onmicrosoft.com' is not a Microsoft Entra tenant id. Fix:" \
        in str(bad.value)
    with pytest.raises(ConfigError, match=r"teams.tenant: unknown key. Fix: use tenants"):
        load_policy(write(tmp_path, EXAMPLE + '\nteams:\n  tenant: x\n'))
