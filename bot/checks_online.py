"""`check-config --online`: ask Slack and Teams about the token, channels, people and chats.

Each question is a read-only API call (auth.test, apps.connections.open, conversations.info,
users.info; a Teams token and each bound conversation's members), so running it is safe at
any time, also against a production workspace.
"""
from __future__ import annotations

import asyncio

import aiohttp

from bot.checks import EXAMPLE_IDS, Report
from bot.config import Settings
from flows.model import Platform
from flows.policy import Policy

NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
# Slack's answers that mean the token itself is bad.
REJECTED = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                      "not_allowed_token_type"})


async def check_online(settings: Settings, policy: Policy, bindings: list, report: Report) -> None:
    if settings.slack_enabled:
        await check_slack(settings, policy, report)
    if settings.teams_enabled and not settings.teams_allow_unauthenticated and settings.teams_app_password:
        await check_teams(settings, policy, bindings, report)  # a managed identity has no secret to try


def _slack_addresses(policy: Policy, path: str) -> list[tuple[str, str, str]]:
    """(section, role, address) of every Slack id the file names, placeholders left out."""
    found = [(f"{path}: admins", "admin", a) for a in policy.admins.get(Platform.SLACK, ())]
    for unit in policy.units:
        for role, targets in unit.targets.items():
            found += [(f"{path}: units[{unit.id}]", role.value, t.address) for t in targets
                      if t.platform is Platform.SLACK]
    return [f for f in found if f[2] not in EXAMPLE_IDS]


async def check_slack(settings: Settings, policy: Policy, report: Report) -> None:
    from slack_sdk.errors import SlackApiError

    from adapters.slack.notifier import web_client

    section = report.t("cli.check.section.slack")
    client = web_client(settings.slack_bot_token, settings.slack_api_url or None)
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "?")
        key = "cli.online.slack_rejected" if code in REJECTED else "cli.online.slack_failed"
        report.error(section, key, error=code, method="auth.test")
        return
    except NETWORK_ERRORS as error:
        report.error(section, "cli.online.slack_unreachable", url=client.base_url, error=type(error).__name__)
        return
    report.ok(section, "cli.online.slack_ok", team=auth.get("team", "?"), user=auth.get("user", "?"))
    if settings.slack_app_token:
        await _check_app_token(client, settings.slack_app_token, section, report)
    checked: dict[str, tuple[str, dict]] = {}
    for where, role, address in _slack_addresses(policy, str(settings.config_path)):
        if address not in checked:
            checked[address] = await _ask_about(client, address)
        outcome, fields = checked[address]
        if outcome == "missing_scope":
            report.warning(section, "cli.online.slack_missing_scope", scope=fields["needed"], method=fields["method"])
            return  # every further id would say the same
        if outcome:
            (report.warning if outcome == "cli.online.channel_public" else report.error)(
                where, outcome, id=address, role=role, **fields)


async def _check_app_token(client, app_token: str, section: str, report: Report) -> None:
    from slack_sdk.errors import SlackApiError

    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        code = error.response.get("error", "?")
        report.error(section, "cli.online.app_token_rejected", error=code)
        return
    except NETWORK_ERRORS as error:
        report.error(section, "cli.online.slack_unreachable", url=client.base_url, error=type(error).__name__)
        return
    report.ok(section, "cli.online.app_token_ok")


async def _ask_about(client, address: str) -> tuple[str, dict]:
    """Ask Slack about one id; return ('', {}) when fine, else a catalog key and its fields."""
    from slack_sdk.errors import SlackApiError

    is_user = address[0] in "UW"
    method = "users.info" if is_user else "conversations.info"
    try:
        if is_user:
            user = (await client.users_info(user=address))["user"]
            if user.get("deleted"):
                return "cli.online.user_deleted", {"name": user.get("name", "?")}
            return "", {}
        channel = (await client.conversations_info(channel=address))["channel"]
    except SlackApiError as error:
        code = error.response.get("error", "?")
        if code == "missing_scope":
            needed = error.response.get("needed") or ("users:read" if is_user else "channels:read,groups:read")
            return "missing_scope", {"needed": needed, "method": method}
        if code in ("channel_not_found", "user_not_found"):
            return ("cli.online.user_not_found" if is_user else "cli.online.channel_not_found"), {}
        return "cli.online.slack_failed", {"error": code, "method": method}
    except NETWORK_ERRORS as error:
        return "cli.online.slack_failed", {"error": type(error).__name__, "method": method}
    name = channel.get("name", address)
    if channel.get("is_archived"):
        return "cli.online.channel_archived", {"name": name}
    if not channel.get("is_member"):
        return "cli.online.channel_not_member", {"name": name}
    if not channel.get("is_private"):
        return "cli.online.channel_public", {"name": name}
    return "", {}


async def check_teams(settings: Settings, policy: Policy, bindings: list, report: Report) -> None:
    from adapters.teams.probe import TeamsProbe
    from storage.crypto import NoSecrets
    from storage.db import Database
    from storage.directory import SqlConversationDirectory

    section = report.t("cli.check.section.teams")
    probe = TeamsProbe.from_settings(app_id=settings.teams_app_id, password=settings.teams_app_password,
                                     tenant_id=settings.teams_app_tenant_id, app_type=settings.teams_app_type,
                                     env=settings.env)
    try:
        token = await probe.token()
    except PermissionError as refusal:
        report.error(section, "cli.online.teams_rejected", error=str(refusal))
        return
    except NETWORK_ERRORS as error:
        report.error(section, "cli.online.teams_unreachable", url=probe.login_url, error=type(error).__name__)
        return
    report.ok(section, "cli.online.teams_ok")
    addresses = {t.address: (f"{settings.config_path}: units[{u.id}]", role.value)
                 for u in policy.units for role, targets in u.targets.items() for t in targets
                 if t.platform is Platform.TEAMS and t.address not in EXAMPLE_IDS}
    for platform, unit_id, role, address in bindings:
        if platform is Platform.TEAMS:
            addresses.setdefault(address, (report.t("cli.check.section.bindings", unit=unit_id), role))
    database = Database(settings.database_url, NoSecrets())  # conversation references are not sealed
    try:
        directory = SqlConversationDirectory(database)
        for address, (where, role) in addresses.items():
            reference = await directory.get(Platform.TEAMS, address)
            if reference is None:
                continue  # already an offline error: no stored conversation
            status = await probe.conversation_status(reference, token)
            if status in (403, 404):
                report.error(where, "cli.online.teams_conversation_gone", id=address, role=role, status=status)
            elif status != 200:
                report.warning(where, "cli.online.teams_conversation_unknown", id=address, role=role, status=status)
    finally:
        await database.close()
