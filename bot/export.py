"""Read incident records for the CLI: summaries, full exports for auditors, chain checks."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.app import load_keys, prepare_database
from bot.config import Settings
from flows.model import AuditEvent, Incident
from flows.reports.filters import IncidentFilter
from storage.db import Database
from storage.reports import SqlReports


@asynccontextmanager
async def _database(settings: Settings, *, need_secret: bool = True) -> AsyncIterator[Database]:
    """Open the database with the keys (a weak, missing or wrong KASUHARA_SECRET_KEY is refused).

    Always keyed, `need_secret` or not: every list, export and report is itself audited, and the
    audit chain is an HMAC chain.
    """
    await asyncio.to_thread(prepare_database, settings.database_url)
    database = Database(settings.database_url, await asyncio.to_thread(load_keys, settings))
    try:
        yield database
    finally:
        await database.close()


def _summary(i: Incident, tz: str = "UTC") -> dict:
    return {
        "id": i.id, "case_no": i.case_no, "unit": i.unit_id, "level": i.level.name, "status": i.status.value,
        "sos": i.is_sos, "created": _at(i.created_at, tz), "acknowledged": _at(i.acknowledged_at, tz),
        "acknowledged_by": i.acknowledged_by or None,
    }


def _at(moment: datetime | None, tz: str) -> str | None:
    """ISO 8601 in the policy's time zone, with its offset (unambiguous for machines too)."""
    return moment.astimezone(ZoneInfo(tz)).isoformat() if moment else None


async def _chosen(database: Database, chosen: IncidentFilter | None, include_sensitive: bool) -> list[Incident]:
    async with database.transaction() as tx:
        return await SqlReports(tx.session, database.sealer).matching(chosen or IncidentFilter(),
                                                                      include_sensitive=include_sensitive)


async def _audit_export(database: Database, what: str, chosen: IncidentFilter | None, count: int, actor: str,
                        now: datetime) -> None:
    """Every export is in the audit trail: who, what, which filter (the period), how many."""
    async with database.transaction() as tx:
        await tx.audit.add(AuditEvent(now, "incidents_exported", actor=actor,
                                      detail=f"{what} {(chosen or IncidentFilter()).describe()} rows={count}"))


async def list_incidents(settings: Settings, chosen: IncidentFilter | None = None, *, tz: str = "UTC",
                         actor: str = "cli", now: datetime | None = None, units: dict[str, str] | None = None
                         ) -> list[dict]:
    """Return id, case, unit, level, status, created and acknowledged of the chosen incidents."""
    async with _database(settings, need_secret=False) as database:
        incidents = await _chosen(database, chosen, False)
        await _audit_export(database, "list", chosen, len(incidents), actor, now or datetime.now(timezone.utc))
    return [_summary(i, tz) | {"unit_name": (units or {}).get(i.unit_id, i.unit_id),
                               "reporter_name": i.reporter.name or None} for i in incidents]


async def export_incidents(settings: Settings, *, include_sensitive: bool, chosen: IncidentFilter | None = None,
                           tz: str = "UTC", actor: str = "cli", now: datetime | None = None,
                           fmt: str = "json") -> tuple[list[Incident], list[dict]]:
    """Return the chosen incidents with all report fields and their audit trail (the auditor's evidence).

    The responder's feelings and support needs (要配慮個人情報) are left out unless asked for.
    """
    async with _database(settings, need_secret=include_sensitive) as database:
        incidents = await _chosen(database, chosen, include_sensitive)
        rows = []
        async with database.transaction() as tx:
            for i in incidents:
                record = _summary(i, tz) | {
                    "occurred_at": _at(i.occurred_at, tz), "place": i.place, "channel": i.contact_channel,
                    "description": i.description, "behaviours": list(i.behaviours), "types": list(i.types),
                    "danger": i.danger, "assessed_level": i.assessed_level.name, "reasons": list(i.reasons),
                    "duration_minutes": i.duration_minutes, "counterpart": i.counterpart,
                    "first_response": i.first_response, "evidence": list(i.evidence),
                    "injury_damage": i.injury_damage, "final_action": list(i.final_action),
                    "prevention": i.prevention, "sos_of": i.sos_of,
                    "reporter": i.reporter.key, "reporter_name": i.reporter.name or None,
                    "history": [{"at": _at(e.at, tz), "action": e.action, "actor": e.actor, "detail": e.detail}
                                for e in await tx.audit.for_incident(i.id)],
                }
                if include_sensitive:
                    record["feelings_support"] = i.feelings_support
                rows.append(record)
        await _audit_export(database, f"export format={fmt} sensitive={'yes' if include_sensitive else 'no'}",
                            chosen, len(rows), actor, now or datetime.now(timezone.utc))
    return incidents, rows
