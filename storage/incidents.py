"""Incident repository (flows.ports.IncidentRepository)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import (
    Actor,
    ChainStep,
    EscalationSnapshot,
    Incident,
    IncidentDraft,
    IncidentStatus,
    PlannedTarget,
    Platform,
    RiskLevel,
    Role,
    Target,
)
from storage.crypto import Sealer
from storage.customers import SqlCustomers
from storage.driver import Driver, utc
from storage.tables import IncidentRow


class SqlIncidents:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer
        self._sql = Driver(session)
        # The unit's latest view of each incident it added or read, unchanged since: handed with
        # the deliveries claimed at birth, so the send renders it without reading it back.
        self.known: dict[int, Incident] = {}

    async def add(self, draft: IncidentDraft, snapshot: EscalationSnapshot, now: datetime) -> Incident:
        """Insert the report (one INSERT … RETURNING id, one UPDATE for the case number)."""
        values = dict(
            unit_id=draft.unit_id, reporter_platform=draft.reporter.platform.value, reporter_id=draft.reporter.user_id,
            reporter_name=draft.reporter.name, occurred_at=draft.occurred_at, place=draft.place,
            channel=draft.contact_channel,  # column `channel`: the customer-contact channel
            description=draft.description, behaviours=_dump(draft.behaviours), types=_dump(draft.types),
            danger=draft.danger, level=int(draft.level), assessed_level=int(draft.assessed_level),
            reasons=_dump(draft.reasons), duration_minutes=draft.duration_minutes, counterpart=draft.counterpart,
            injury_damage=draft.injury_damage, first_response=draft.first_response, evidence=_dump(draft.evidence),
            final_action=_dump(draft.final_action), prevention=draft.prevention,
            feelings_support_enc=self._sealer.seal(draft.feelings_support), is_sos=draft.is_sos, sos_of=draft.sos_of,
            status=IncidentStatus.OPEN.value, created_at=now, snapshot=json.dumps(snapshot_to_dict(snapshot)),
        )
        incident_id = await self._sql.value(_INSERT, **values)
        case_no = f"K-{now.year}-{incident_id:05d}"
        await self._sql.run("UPDATE incidents SET case_no = :case_no WHERE id = :id", case_no=case_no, id=incident_id)
        incident = self.known[incident_id] = Incident(
            id=incident_id, case_no=case_no, unit_id=draft.unit_id, reporter=draft.reporter,
            occurred_at=draft.occurred_at, contact_channel=draft.contact_channel, description=draft.description,
            behaviours=tuple(draft.behaviours), danger=draft.danger, level=draft.level,
            assessed_level=draft.assessed_level, reasons=tuple(draft.reasons), place=draft.place,
            types=tuple(draft.types), duration_minutes=draft.duration_minutes, counterpart=draft.counterpart,
            injury_damage=draft.injury_damage, first_response=draft.first_response, evidence=tuple(draft.evidence),
            final_action=tuple(draft.final_action), prevention=draft.prevention,
            feelings_support=draft.feelings_support, is_sos=draft.is_sos, sos_of=draft.sos_of,
            status=IncidentStatus.OPEN, created_at=now, acknowledged_at=None, acknowledged_by="", snapshot=snapshot,
        )
        return incident

    async def get(self, incident_id: int) -> Incident | None:
        found = await self._sql.row(_SELECT_ONE, id=incident_id)
        if found is None:
            return None
        incident = self._to_model(_row(found))
        incident.customer = await SqlCustomers(self._session, self._sealer).of_incident(incident_id)
        self.known[incident_id] = incident
        return incident

    async def acknowledge(self, incident_id: int, actor: str, at: datetime, actor_id: str = "") -> bool:
        self.known.pop(incident_id, None)
        result = await self._session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.status == IncidentStatus.OPEN.value)
            .values(status=IncidentStatus.ACKNOWLEDGED.value, acknowledged_at=at, acknowledged_by=actor,
                    acknowledged_by_id=actor_id)
        )
        return result.rowcount == 1

    async def close(self, incident_id: int) -> bool:
        self.known.pop(incident_id, None)
        result = await self._session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.status != IncidentStatus.CLOSED.value)
            .values(status=IncidentStatus.CLOSED.value))
        return result.rowcount == 1

    async def set_level(self, incident_id: int, level: RiskLevel, snapshot: EscalationSnapshot, *, reason: str,
                        by: str, at: datetime) -> None:
        self.known.pop(incident_id, None)
        await self._session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(
            level=int(level), snapshot=json.dumps(snapshot_to_dict(snapshot)), level_reason=reason,
            level_changed_by=by, level_changed_at=at))

    async def complete(self, incident_id: int, changes: dict) -> None:
        """Fill in optional fields given later (lists as JSON, the sensitive one sealed)."""
        self.known.pop(incident_id, None)
        row = await self._session.get(IncidentRow, incident_id)
        for name, value in changes.items():
            if name == "feelings_support":
                row.feelings_support_enc = self._sealer.seal(value)
            elif name in _COMPLETABLE_LISTS:
                setattr(row, name, _dump(value))
            elif name in _COMPLETABLE_TEXT:
                setattr(row, name, value)
        await self._session.flush()

    async def list_all(self, *, include_sensitive: bool = True) -> list[Incident]:
        rows = (await self._session.exec(select(IncidentRow).order_by(IncidentRow.id))).all()
        return [self._to_model(r, include_sensitive=include_sensitive) for r in rows]

    async def last_unit_of(self, reporter_key: str) -> str | None:
        platform, _, user_id = reporter_key.partition(":")
        row = (await self._session.exec(
            select(IncidentRow.unit_id)
            .where(IncidentRow.reporter_platform == platform, IncidentRow.reporter_id == user_id,
                   IncidentRow.is_sos == False)  # noqa: E712 (SQL expression)
            .order_by(IncidentRow.id.desc()).limit(1))).first()
        return row

    def _to_model(self, row: IncidentRow, *, include_sensitive: bool = True) -> Incident:
        return Incident(
            id=row.id, case_no=row.case_no, unit_id=row.unit_id,
            reporter=Actor(Platform(row.reporter_platform), row.reporter_id, row.reporter_name),
            occurred_at=row.occurred_at, contact_channel=row.channel, description=row.description,
            behaviours=tuple(json.loads(row.behaviours)), danger=row.danger, level=RiskLevel(row.level),
            assessed_level=RiskLevel(row.assessed_level), reasons=tuple(json.loads(row.reasons)), place=row.place,
            types=tuple(json.loads(row.types)), duration_minutes=row.duration_minutes, counterpart=row.counterpart,
            injury_damage=row.injury_damage, first_response=row.first_response,
            evidence=tuple(json.loads(row.evidence)), final_action=tuple(json.loads(row.final_action)),
            prevention=row.prevention, feelings_support=self._sealer.open(row.feelings_support_enc) if include_sensitive else "",
            is_sos=row.is_sos, sos_of=row.sos_of, status=IncidentStatus(row.status), created_at=row.created_at,
            acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
            acknowledged_by_id=row.acknowledged_by_id, level_reason=row.level_reason,
            level_changed_by=row.level_changed_by, level_changed_at=row.level_changed_at,
            snapshot=snapshot_from_dict(json.loads(row.snapshot)) if row.snapshot != "{}" else None,
        )


# Written once: the columns a report sets, and every column read back (storage/driver.py).
_INSERT_COLUMNS = (
    "unit_id", "reporter_platform", "reporter_id", "reporter_name", "occurred_at", "place", "channel", "description",
    "behaviours", "types", "danger", "level", "assessed_level", "reasons", "duration_minutes", "counterpart",
    "injury_damage", "first_response", "evidence", "final_action", "prevention", "feelings_support_enc", "is_sos",
    "sos_of", "status", "created_at", "snapshot")
_INSERT = (f"INSERT INTO incidents ({', '.join(_INSERT_COLUMNS)}, case_no, acknowledged_by, acknowledged_by_id, "
           f"level_reason, level_changed_by) VALUES ({', '.join(':' + c for c in _INSERT_COLUMNS)}, '', '', '', '', '') "
           "RETURNING id")
_COLUMNS = tuple(IncidentRow.__table__.columns.keys())
_TIMES = tuple(i for i, c in enumerate(_COLUMNS) if c in ("occurred_at", "created_at", "acknowledged_at",
                                                           "level_changed_at"))
_SELECT_ONE = f"SELECT {', '.join(_COLUMNS)} FROM incidents WHERE id = :id"


def _row(values: tuple) -> SimpleNamespace:
    """A row read through the driver, with the attributes of an IncidentRow."""
    values = list(values)
    for i in _TIMES:
        values[i] = utc(values[i])
    return SimpleNamespace(**dict(zip(_COLUMNS, values)))


_COMPLETABLE_LISTS = {"types", "evidence", "final_action"}
_COMPLETABLE_TEXT = {"place", "duration_minutes", "counterpart", "first_response", "injury_damage", "prevention"}


def _dump(values) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def snapshot_to_dict(snap: EscalationSnapshot) -> dict:
    step = snap.step

    def planned(items):
        return [[p.role.value, p.target.platform.value, p.target.address] for p in items]

    return {
        "level": step.level.name, "notify": [r.value for r in step.notify], "then": [r.value for r in step.then],
        "ack_within": step.ack_within.total_seconds(),
        "repeat_every": step.repeat_every.total_seconds() if step.repeat_every else None,
        "meeting_within": step.meeting_within.total_seconds() if step.meeting_within else None,
        "first": planned(snap.first), "then_targets": planned(snap.then),
    }


def snapshot_from_dict(data: dict) -> EscalationSnapshot:
    def seconds(value):
        return timedelta(seconds=value) if value is not None else None

    def planned(items):
        return tuple(PlannedTarget(Role(r), Target(Platform(p), a)) for r, p, a in items)

    step = ChainStep(RiskLevel[data["level"]], tuple(Role(r) for r in data["notify"]), timedelta(seconds=data["ack_within"]),
                     tuple(Role(r) for r in data["then"]), seconds(data["repeat_every"]), seconds(data["meeting_within"]))
    return EscalationSnapshot(step, planned(data["first"]), planned(data["then_targets"]))
