"""Read incident records for the CLI (exports for auditors)."""
from __future__ import annotations

import asyncio

from bot.app import prepare_database
from bot.config import Settings
from storage.crypto import Sealer
from storage.db import Database


async def list_incidents(settings: Settings) -> list[dict]:
    """Return id, case, unit, level, status, created and acknowledged of every incident."""
    await asyncio.to_thread(prepare_database, settings.database_url)
    # Listing needs no secret: the sealed column is not read for this summary.
    database = Database(settings.database_url, Sealer(settings.secret_key or "listing-only"))
    try:
        async with database.transaction() as tx:
            incidents = await tx.incidents.list_all(include_sensitive=False)
    finally:
        await database.close()
    return [{
        "id": i.id, "case_no": i.case_no, "unit": i.unit_id, "level": i.level.name, "status": i.status.value,
        "sos": i.is_sos, "created": i.created_at.isoformat(),
        "acknowledged": i.acknowledged_at.isoformat() if i.acknowledged_at else None,
        "acknowledged_by": i.acknowledged_by or None,
    } for i in incidents]
