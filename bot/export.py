"""Read incident records for the CLI: summaries, full exports for auditors, chain checks."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import prepare_database
from bot.config import ConfigError, Settings
from flows.model import Incident
from storage.crypto import Sealer
from storage.db import Database


@asynccontextmanager
async def _database(settings: Settings, *, need_secret: bool) -> AsyncIterator[Database]:
    await asyncio.to_thread(prepare_database, settings.database_url)
    if need_secret and not settings.secret_key:
        raise ConfigError("environment: KASUHARA_SECRET_KEY is not set. Fix: set the key the bot runs with; "
                          "sensitive fields are encrypted with it.")
    # Summaries read no sealed column, so they need no secret.
    database = Database(settings.database_url, Sealer(settings.secret_key or "summary-only"))
    try:
        yield database
    finally:
        await database.close()


def _summary(i: Incident) -> dict:
    return {
        "id": i.id, "case_no": i.case_no, "unit": i.unit_id, "level": i.level.name, "status": i.status.value,
        "sos": i.is_sos, "created": i.created_at.isoformat(),
        "acknowledged": i.acknowledged_at.isoformat() if i.acknowledged_at else None,
        "acknowledged_by": i.acknowledged_by or None,
    }


async def list_incidents(settings: Settings) -> list[dict]:
    """Return id, case, unit, level, status, created and acknowledged of every incident."""
    async with _database(settings, need_secret=False) as database:
        async with database.transaction() as tx:
            return [_summary(i) for i in await tx.incidents.list_all(include_sensitive=False)]


async def export_incidents(settings: Settings, *, include_sensitive: bool) -> list[dict]:
    """Return every incident with all report fields and its audit trail (the auditor's evidence).

    The responder's feelings and support needs (要配慮個人情報) are left out unless asked for.
    """
    async with _database(settings, need_secret=include_sensitive) as database:
        async with database.transaction() as tx:
            rows = []
            for i in await tx.incidents.list_all(include_sensitive=include_sensitive):
                record = _summary(i) | {
                    "occurred_at": i.occurred_at.isoformat(), "place": i.place, "channel": i.contact_channel,
                    "description": i.description, "behaviours": list(i.behaviours), "types": list(i.types),
                    "danger": i.danger, "assessed_level": i.assessed_level.name, "reasons": list(i.reasons),
                    "duration_minutes": i.duration_minutes, "counterpart": i.counterpart,
                    "first_response": i.first_response, "evidence": list(i.evidence),
                    "injury_damage": i.injury_damage, "final_action": list(i.final_action),
                    "prevention": i.prevention, "sos_of": i.sos_of,
                    "reporter": i.reporter.key,
                    "history": [{"at": e.at.isoformat(), "action": e.action, "actor": e.actor, "detail": e.detail}
                                for e in await tx.audit.for_incident(i.id)],
                }
                if include_sensitive:
                    record["feelings_support"] = i.feelings_support
                rows.append(record)
            return rows


async def verify_audit(settings: Settings) -> int | None:
    """Return the id of the first tampered audit row, or None when the chain is intact."""
    async with _database(settings, need_secret=False) as database:
        async with database.transaction() as tx:
            return await tx.audit.verify_chain()
