"""Configuration checks that need the database: targets that alerts cannot reach."""
from __future__ import annotations

import asyncio

from bot.config import Settings
from flows.model import Platform, Role
from flows.policy import Policy, extra_targets
from storage import migrate
from storage.crypto import NoSecrets
from storage.db import Database
from storage.directory import SqlConversationDirectory


async def unreachable_targets(settings: Settings, policy: Policy) -> list[str]:
    """List roles without any target and Teams targets the bot has no conversation with."""
    bindings, known = [], set()
    if await asyncio.to_thread(migrate.current_revision, settings.database_url) is not None:
        database = Database(settings.database_url, NoSecrets())  # reads no sealed column
        try:
            async with database.transaction() as tx:
                bindings = await tx.bindings.all()
            known = set(await SqlConversationDirectory(database).keys(Platform.TEAMS))
        finally:
            await database.close()
    extra = extra_targets(bindings)
    used_roles = {r for step in policy.escalation.values() for r in step.notify + step.then}
    used_roles |= {f.to for f in policy.follow_ups} | {f.escalate_to for f in policy.follow_ups}
    warnings = []
    if not any(policy.targets_of(u.id, Role.CONSULTATION, extra) for u in policy.units):
        warnings.append(f"no unit has consultation targets: anonymous consultations go to hr. Fix: add "
                        f"targets.consultation to a unit in {settings.config_path} if your desk is elsewhere.")
    for unit in policy.units:
        for role in sorted(used_roles, key=lambda r: r.value):
            targets = policy.targets_of(unit.id, role, extra)
            if not targets:
                warnings.append(f"unit {unit.id}: role {role.value} has no target; alerts for it go to the next "
                                f"tier. Fix: add units[{unit.id}].targets.{role.value} in {settings.config_path}.")
            for target in targets:
                if target.platform is Platform.TEAMS and target.address not in known:
                    warnings.append(f"unit {unit.id}: Teams target {target.address} ({role.value}) has no stored "
                                    "conversation: the bot cannot post there yet. Fix: add the bot to that team "
                                    "and write `bind " + role.value + "` in the channel, or remove the id.")
                if target.platform is Platform.TEAMS and not settings.teams_enabled:
                    warnings.append(f"unit {unit.id}: Teams target {target.address} but Teams is not configured "
                                    "(TEAMS_APP_ID).")
                if target.platform is Platform.SLACK and not settings.slack_enabled:
                    warnings.append(f"unit {unit.id}: Slack target {target.address} but Slack is not configured "
                                    "(SLACK_BOT_TOKEN).")
    return warnings
