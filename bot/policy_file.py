"""Parse and validate the policy file (kasuhara.yaml) into `flows.policy.Policy`.

The shape is a public contract (see kasuhara.example.yaml): extend it, don't rename it.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.config import ConfigError
from bot.policy_reports import parse_reports
from flows.i18n import Translator
from flows.incidents.risk import DEFAULT_SIGNALS
from flows.model import ChainStep, Platform, RiskLevel, Role, Target
from flows.policy import ConsultationRule, Contact, FollowUpRule, Policy, Signal, Unit

DEFAULT_FOLLOW_UPS = (
    {"kind": "hearing", "after": "72h", "to": "hr", "min_level": "L2"},
    {"kind": "review", "after": "14d", "to": "hr", "min_level": "L2"},
)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SLACK_ID = re.compile(r"^[CGDUW][A-Z0-9]{2,}$")
_TEAMS_ID = re.compile(r"^(19:.+@thread\.(tacv2|skype|v2)|[0-9a-f-]{36}|29:.+|a:.+|8:.+)$")


class _Reader:
    """Read values out of the YAML tree, failing with file + key + fix."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}. Fix: {fix}")

    def duration(self, key: str, value: object) -> timedelta:
        match = _DURATION.match(str(value)) if isinstance(value, (str, int)) else None
        if not match:
            raise self.fail(key, f"{value!r} is not a duration", "write a number and a unit, e.g. 15m, 1h, 72h, 14d")
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})

    def role(self, key: str, value: object) -> Role:
        try:
            return Role(str(value))
        except ValueError:
            raise self.fail(key, f"unknown role {value!r}",
                            "use one of " + ", ".join(r.value for r in Role)) from None

    def roles(self, key: str, value: object) -> tuple[Role, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(key, "must be a non-empty list of roles", "e.g. [field_manager]")
        return tuple(self.role(f"{key}[{i}]", v) for i, v in enumerate(value))

    def level(self, key: str, value: object) -> RiskLevel:
        try:
            return RiskLevel.parse(str(value))
        except ValueError:
            raise self.fail(key, f"unknown level {value!r}", "use L1, L2, L3 or L4") from None

    def mapping(self, key: str, value: object) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, found {type(value).__name__}", "see kasuhara.example.yaml")
        return value

    def text(self, key: str, value: object) -> str:
        if not isinstance(value, (str, int)) or not str(value).strip():
            raise self.fail(key, "must be a non-empty text", "see kasuhara.example.yaml")
        return str(value)


KNOWN_KEYS = {"timezone", "locale", "admins", "units", "escalation", "follow_ups", "consultation", "contacts",
              "signals", "reports", "teams"}
TEAMS_KEYS = ("tenants",)
_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_CONTACTS = (
    Contact("警察（緊急）", phone="110"),
    Contact("警察相談専用電話", phone="#9110"),
    Contact("総合労働相談コーナー（厚生労働省）", url="https://www.mhlw.go.jp/general/seido/chihou/kaiketu/soudan.html"),
    Contact("こころの耳（厚生労働省）", url="https://kokoro.mhlw.go.jp/"),
)


# libyaml's safe loader when PyYAML was built with it (ten times faster), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_policy(path: Path | str) -> Policy:
    """Read and validate the policy file; raise ConfigError naming the file, key and fix."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: the policy file does not exist. Fix: copy kasuhara.example.yaml to {path} "
                          "and edit it, or point KASUHARA_CONFIG at your policy file.")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError(f"{path}: {where}: not valid YAML ({getattr(error, 'problem', error)}). Fix: check the "
                          "indentation and quoting around that line.") from None
    return parse_policy(data, path)


def parse_policy(data: object, path: Path) -> Policy:
    r = _Reader(path)
    data = r.mapping("(top level)", data)
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise r.fail(sorted(unknown)[0], "unknown key", "remove it or use one of " + ", ".join(sorted(KNOWN_KEYS)))
    timezone = str(data.get("timezone", "Asia/Tokyo"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("timezone", f"unknown time zone {timezone!r}", "use an IANA name such as Asia/Tokyo") from None
    locale = str(data.get("locale", "ja"))
    if locale not in ("ja", "en"):
        raise r.fail("locale", f"unsupported locale {locale!r}", "use ja or en")
    units = _units(r, data.get("units"))
    unit_ids = {u.id for u in units}
    for unit in units:
        if unit.parent is not None and unit.parent not in unit_ids:
            raise r.fail(f"units[{unit.id}].parent", f"unknown unit {unit.parent!r}",
                         "name the id of another unit in units:")
    _check_cycles(r, units)
    escalation = _escalation(r, data.get("escalation"))
    follow_ups = tuple(_follow_up(r, f"follow_ups[{i}]", item)
                       for i, item in enumerate(data.get("follow_ups", DEFAULT_FOLLOW_UPS) or ()))
    return Policy(
        timezone=timezone, locale=locale, admins=_admins(r, data.get("admins") or {}), units=units,
        escalation=escalation, signals=_signals(r, data.get("signals")), follow_ups=follow_ups,
        consultation=_consultation(r, data.get("consultation") or {}), contacts=_contacts(r, data.get("contacts")),
        reports=parse_reports(r, data.get("reports") or {}),
        teams_tenants=_teams_tenants(r, data.get("teams") or {}),
    )


def _teams_tenants(r: _Reader, value: object) -> tuple[str, ...]:
    """teams: {tenants: [...]}: the Entra tenant ids whose Teams may use the bot (multi-tenant apps)."""
    value = r.mapping("teams", value)
    unknown = set(value) - set(TEAMS_KEYS)
    if unknown:
        raise r.fail(f"teams.{sorted(unknown)[0]}", "unknown key", "use " + ", ".join(TEAMS_KEYS))
    tenants = value.get("tenants") or []
    if isinstance(tenants, str):
        tenants = [tenants]
    if not isinstance(tenants, list):
        raise r.fail("teams.tenants", "must be a list of tenant ids",
                     'e.g. tenants: ["72f988bf-86f1-41af-91ab-2d7cd011db47"]')
    for i, tenant in enumerate(tenants):
        if not isinstance(tenant, str) or not _TENANT_ID.match(tenant.strip()):
            raise r.fail(f"teams.tenants[{i}]", f"{tenant!r} is not a Microsoft Entra tenant id",
                         "copy the Tenant ID (a GUID) from the Entra admin center: Overview → Tenant ID")
    return tuple(dict.fromkeys(t.strip().lower() for t in tenants))


def _targets(r: _Reader, key: str, value: object) -> tuple[Target, ...]:
    value = r.mapping(key, value)
    found: list[Target] = []
    for platform_name, ids in value.items():
        try:
            platform = Platform(platform_name)
        except ValueError:
            platform = None
        if platform not in (Platform.SLACK, Platform.TEAMS):  # web pages have no channels to name
            raise r.fail(f"{key}.{platform_name}", "unknown platform", "use slack or teams")
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list):
            raise r.fail(f"{key}.{platform_name}", "must be a list of ids", "e.g. [C0FIELD]")
        pattern = _SLACK_ID if platform is Platform.SLACK else _TEAMS_ID
        for i, address in enumerate(ids):
            if not isinstance(address, str) or not pattern.match(address):
                hint = ("a Slack channel id (C…/G…) or user id (U…/W…): right-click the channel → View channel details"
                        if platform is Platform.SLACK else
                        "a Teams channel id 19:…@thread.tacv2 (Get link to channel) or a user's AAD object id")
                raise r.fail(f"{key}.{platform_name}[{i}]", f"{address!r} is not a valid id", f"use {hint}")
            found.append(Target(platform, address))
    return tuple(found)


def _units(r: _Reader, value: object) -> tuple[Unit, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("units", "at least one unit is required", "add a unit with an id, a name and targets")
    units, seen = [], set()
    for i, item in enumerate(value):
        item = r.mapping(f"units[{i}]", item)
        unit_id = r.text(f"units[{i}].id", item.get("id"))
        if unit_id in seen:
            raise r.fail(f"units[{i}].id", f"duplicate unit id {unit_id!r}", "give every unit its own id")
        seen.add(unit_id)
        targets = {}
        for role_name, spec in r.mapping(f"units[{unit_id}].targets", item.get("targets") or {}).items():
            role = r.role(f"units[{unit_id}].targets.{role_name}", role_name)
            targets[role] = _targets(r, f"units[{unit_id}].targets.{role_name}", spec)
        units.append(Unit(unit_id, str(item.get("name") or unit_id),
                          str(item["parent"]) if item.get("parent") else None, targets))
    return tuple(units)


def _check_cycles(r: _Reader, units: tuple[Unit, ...]) -> None:
    parents = {u.id: u.parent for u in units}
    for unit in units:
        seen, current = set(), unit.id
        while current is not None:
            if current in seen:
                raise r.fail(f"units[{unit.id}].parent", "the parents form a loop", "make one unit the root (no parent)")
            seen.add(current)
            current = parents.get(current)


def _escalation(r: _Reader, value: object) -> dict[RiskLevel, ChainStep]:
    value = r.mapping("escalation", value)
    chain = {}
    for name, spec in value.items():
        level = r.level(f"escalation.{name}", name)
        key = f"escalation.{name}"
        spec = r.mapping(key, spec)
        unknown = set(spec) - {"notify", "ack_within", "then", "repeat_every", "meeting_within"}
        if unknown:
            raise r.fail(f"{key}.{sorted(unknown)[0]}", "unknown key",
                         "use notify, ack_within, then, repeat_every, meeting_within")
        if "ack_within" not in spec:
            raise r.fail(f"{key}.ack_within", "missing", "say how long before re-escalating, e.g. ack_within: 15m")
        chain[level] = ChainStep(
            level=level, notify=r.roles(f"{key}.notify", spec.get("notify")),
            ack_within=r.duration(f"{key}.ack_within", spec["ack_within"]),
            then=r.roles(f"{key}.then", spec.get("then")),
            repeat_every=r.duration(f"{key}.repeat_every", spec["repeat_every"]) if "repeat_every" in spec else None,
            meeting_within=r.duration(f"{key}.meeting_within", spec["meeting_within"]) if "meeting_within" in spec
            else None,
        )
    missing = [lvl.name for lvl in RiskLevel if lvl not in chain]
    if missing:
        raise r.fail(f"escalation.{missing[0]}", "missing", "define notify, ack_within and then for every level L1–L4")
    return chain


def _follow_up(r: _Reader, key: str, value: object) -> FollowUpRule:
    value = r.mapping(key, value)
    unknown = set(value) - FOLLOW_UP_KEYS
    if unknown:
        raise r.fail(f"{key}.{sorted(unknown)[0]}", "unknown key", "use " + ", ".join(sorted(FOLLOW_UP_KEYS)))
    kind = r.text(f"{key}.kind", value.get("kind"))
    rule = FollowUpRule(kind=kind, after=r.duration(f"{key}.after", value.get("after")),
                        to=r.role(f"{key}.to", value.get("to", "hr")),
                        min_level=r.level(f"{key}.min_level", value.get("min_level", "L2")))
    extra = {}
    for name in ("remind_every", "escalate_after"):
        if name in value:
            extra[name] = r.duration(f"{key}.{name}", value[name])
    if "escalate_to" in value:
        extra["escalate_to"] = r.role(f"{key}.escalate_to", value["escalate_to"])
    return FollowUpRule(**{**rule.__dict__, **extra})


CONSULTATION_KEYS = ("first_reply_within", "escalate_after", "forget_after_close", "close_after_idle")
FOLLOW_UP_KEYS = {"kind", "after", "to", "min_level", "remind_every", "escalate_after", "escalate_to"}


def _consultation(r: _Reader, value: object) -> ConsultationRule:
    value = r.mapping("consultation", value)
    unknown = set(value) - set(CONSULTATION_KEYS)
    if unknown:
        raise r.fail(f"consultation.{sorted(unknown)[0]}", "unknown key", "use " + ", ".join(CONSULTATION_KEYS))
    base = ConsultationRule()
    return ConsultationRule(**{
        name: r.duration(f"consultation.{name}", value[name]) if name in value else getattr(base, name)
        for name in CONSULTATION_KEYS})


def _admins(r: _Reader, value: object) -> dict[Platform, tuple[str, ...]]:
    admins: dict[Platform, tuple[str, ...]] = {}
    for target in _targets(r, "admins", value):
        admins[target.platform] = admins.get(target.platform, ()) + (target.address,)
    return admins


def _signals(r: _Reader, value: object) -> tuple[Signal, ...]:
    if value is None:
        return DEFAULT_SIGNALS
    if not isinstance(value, list) or not value:
        raise r.fail("signals", "must be a non-empty list", "e.g. - {id: threat, level: L3, ja: 脅迫, en: Threat}")
    signals = []
    for i, item in enumerate(value):
        item = r.mapping(f"signals[{i}]", item)
        signal = Signal(r.text(f"signals[{i}].id", item.get("id")), r.level(f"signals[{i}].level", item.get("level")),
                        str(item.get("ja", "")), str(item.get("en", "")))
        if not (signal.label_ja or Translator("ja").has(f"signal.{signal.id}")):
            raise r.fail(f"signals[{i}].ja", f"no label for the new signal {signal.id!r}",
                         "add ja: and en: labels (what the reporter sees in the form)")
        signals.append(signal)
    return tuple(signals)


def _contacts(r: _Reader, value: object) -> tuple[Contact, ...]:
    if value is None:
        return DEFAULT_CONTACTS
    if not isinstance(value, list):
        raise r.fail("contacts", "must be a list", 'e.g. - {name: 警察（緊急）, phone: "110"}')
    return tuple(Contact(r.text(f"contacts[{i}].name", r.mapping(f"contacts[{i}]", c).get("name")),
                         str(c.get("phone", "")), str(c.get("url", "")), str(c.get("note", "")))
                 for i, c in enumerate(value))
