"""`kasuhara check-config`: find what would go wrong before it does.

Errors (exit 1) are what makes alerts fail or the bot refuse to start; warnings (exit 0,
`--strict` makes them errors) are what works but probably isn't meant. Findings are grouped
by section: the environment, the policy file (by key), the database, and with `--online` what
Slack and Teams answer about the token, the channels and the people named in the file.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml

from bot.config import ConfigError, Settings
from bot.failures import StartupError, check_database_url, describe
from bot.policy_file import load_policy
from bot.redact import redact_url

from flows.i18n import Translator
from flows.model import Platform, Role
from flows.policy import Policy, extra_targets

# The ids of kasuhara.example.yaml (tests keep this in step with the file): left unedited,
# alerts go nowhere.
EXAMPLE_IDS = frozenset({"U0ADMIN", "C0FIELD", "C0MANAGER", "C0DIVISION", "C0HR", "C0LEGAL", "C0EXEC", "C0CRISIS",
                         "C0CONSULT", "C1FIELD", "C1MANAGER", "19:abc123@thread.tacv2"})
SLACK_MANIFEST = Path(__file__).resolve().parents[1] / "manifest" / "slack" / "manifest.yaml"


class Severity(Enum):
    OK = "✓"
    WARNING = "!"
    ERROR = "✗"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    section: str
    message: str


@dataclass
class Report:
    """Findings in the order they were made, grouped by section when shown."""

    t: Translator
    findings: list[Finding] = field(default_factory=list)

    def add(self, severity: Severity, section: str, key: str, **fields: object) -> None:
        self.findings.append(Finding(severity, section, self.t(key, **fields)))

    def error(self, section: str, key: str, **fields: object) -> None:
        self.add(Severity.ERROR, section, key, **fields)

    def warning(self, section: str, key: str, **fields: object) -> None:
        self.add(Severity.WARNING, section, key, **fields)

    def ok(self, section: str, key: str, **fields: object) -> None:
        self.add(Severity.OK, section, key, **fields)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def exit_code(self, strict: bool) -> int:
        if self.count(Severity.ERROR) or (strict and self.count(Severity.WARNING)):
            return 1
        return 0

    def lines(self) -> list[str]:
        """Section headings, then one line per finding; a summary line last."""
        sections: dict[str, list[Finding]] = {}
        for finding in self.findings:
            sections.setdefault(finding.section, []).append(finding)
        out = []
        for section, found in sections.items():
            out.append(f"[{section}]")
            out.extend(f"  {f.severity.value} {f.message}" for f in found)
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        out.append(self.t("cli.check.summary", errors=errors, warnings=warnings) if errors or warnings
                   else self.t("cli.check.summary_clean"))
        return out


def manifest_socket_mode(path: Path = SLACK_MANIFEST) -> bool | None:
    """Whether the shipped Slack manifest enables Socket Mode (None when it isn't there)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return bool(data["settings"]["socket_mode_enabled"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None


def mode_mismatch(settings: Settings, manifest: Path = SLACK_MANIFEST) -> tuple[str, dict] | None:
    """Say when the manifest's Slack mode and the configuration disagree."""
    socket = manifest_socket_mode(manifest)
    if not settings.slack_enabled or socket is None:
        return None
    if socket and not settings.slack_app_token:
        return "cli.env.mode_http_but_manifest_socket", {"manifest": str(manifest)}
    if not socket and settings.slack_app_token:
        return "cli.env.mode_socket_but_manifest_http", {"manifest": str(manifest)}
    return None


def check_environment(settings: Settings, report: Report, policy: Policy | None = None) -> None:
    section = report.t("cli.check.section.environment")
    for problem in settings.problems(policy, report.t):
        report.findings.append(Finding(Severity.ERROR, section, problem))
    token = settings.slack_bot_token
    if token and (not token.startswith("xoxb-") or "..." in token or "…" in token):
        report.error(section, "cli.env.slack_token_shape")
    app_token = settings.slack_app_token
    if app_token and (not app_token.startswith("xapp-") or "..." in app_token or "…" in app_token):
        report.error(section, "cli.env.slack_app_token_shape")
    mismatch = mode_mismatch(settings)
    if mismatch:
        report.warning(section, mismatch[0], **mismatch[1])
    if settings.teams_allow_unauthenticated:
        report.warning(section, "cli.env.teams_local_dev")


def check_placeholders(policy: Policy, path: Path, report: Report) -> None:
    """The example's ids left in the file: one line per unit, naming each role and id."""
    admins = [a for addresses in policy.admins.values() for a in addresses if a in EXAMPLE_IDS]
    if admins:
        report.error(f"{path}: admins", "cli.policy.placeholder_admin", id=", ".join(admins))
    for unit in policy.units:
        found = [f"{role.value}={target.address}" for role, targets in unit.targets.items() for target in targets
                 if target.address in EXAMPLE_IDS]
        if found:
            report.error(f"{path}: units[{unit.id}]", "cli.policy.placeholder_target", ids=", ".join(found))


async def read_deliverability(settings: Settings) -> tuple[list, set[str], str | None]:
    """Chat-made bindings and known Teams conversations, and the database's state (a catalog key)."""
    from storage import migrate
    from storage.crypto import NoSecrets
    from storage.db import Database
    from storage.directory import SqlConversationDirectory

    current = await asyncio.to_thread(migrate.current_revision, settings.database_url)
    if current is None:
        return [], set(), "cli.check.db_empty"
    if current != migrate.head_revision(settings.database_url):
        return [], set(), "cli.check.db_outdated"
    database = Database(settings.database_url, NoSecrets())  # reads no sealed column
    try:
        async with database.transaction() as tx:
            bindings = await tx.bindings.all()
        known = set(await SqlConversationDirectory(database).keys(Platform.TEAMS))
    finally:
        await database.close()
    return bindings, known, None


def check_targets(settings: Settings, policy: Policy, bindings: list, known: set[str], report: Report) -> None:
    """Roles without targets, Teams targets the bot cannot post to, platforms not configured."""
    path = settings.config_path
    extra = extra_targets(bindings)
    used_roles = {r for step in policy.escalation.values() for r in step.notify + step.then}
    used_roles |= {f.to for f in policy.follow_ups} | {f.escalate_to for f in policy.follow_ups}
    if not any(policy.targets_of(u.id, Role.CONSULTATION, extra) for u in policy.units):
        report.warning(f"{path}: units", "cli.policy.no_consultation_desk", file=str(path))
    any_platform = settings.slack_enabled or settings.teams_enabled
    reported: set[tuple[str, str]] = set()
    for unit in policy.units:
        section = f"{path}: units[{unit.id}]"
        for role in sorted(used_roles, key=lambda r: r.value):
            targets = policy.targets_of(unit.id, role, extra)
            if not targets:
                report.warning(section, "cli.policy.role_without_target", role=role.value, unit=unit.id)
            for target in targets:
                if (target.address, target.platform.value) in reported or target.address in EXAMPLE_IDS:
                    continue
                reported.add((target.address, target.platform.value))
                if target.platform is Platform.TEAMS and not settings.teams_enabled and any_platform:
                    report.error(section, "cli.policy.teams_not_configured", id=target.address, role=role.value)
                elif target.platform is Platform.TEAMS and target.address not in known:
                    report.error(section, "cli.policy.teams_not_bound", id=target.address, role=role.value)
                if target.platform is Platform.SLACK and not settings.slack_enabled and any_platform:
                    report.error(section, "cli.policy.slack_not_configured", id=target.address, role=role.value)


async def run_checks(settings: Settings, t: Translator, *, online: bool) -> Report:
    """Check everything that can be checked; with `online`, ask Slack and Teams too."""
    report = Report(t)
    try:
        policy = load_policy(settings.config_path)
    except ConfigError as error:
        check_environment(settings, report)
        report.findings.append(Finding(Severity.ERROR, str(settings.config_path), str(error)))
        return report
    check_environment(settings, report, policy)
    report.ok(str(settings.config_path), "cli.check.policy_read", units=len(policy.units),
              follow_ups=len(policy.follow_ups))
    check_placeholders(policy, settings.config_path, report)
    database = t("cli.check.section.database")
    bindings, known = [], set()
    try:
        check_database_url(settings.database_url, t)
        bindings, known, state = await read_deliverability(settings)
        if state:
            (report.ok if state == "cli.check.db_empty" else report.error)(
                database, state, url=redact_url(settings.database_url))
    except StartupError as error:
        report.findings.append(Finding(Severity.ERROR, database, str(error)))
    except Exception as error:  # a database we cannot reach: say so, check the rest
        worded = describe(error, settings.database_url, t)
        if worded is None:
            raise
        report.findings.append(Finding(Severity.ERROR, database, worded))
    check_targets(settings, policy, bindings, known, report)
    if online:
        from bot.checks_online import check_online

        await check_online(settings, policy, bindings, report)
    return report
