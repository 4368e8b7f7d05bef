"""Outbox and timer repositories (flows.ports.Outbox, flows.ports.Timers)."""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Hashable
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import Delivery, DeliveryKind, DeliveryStatus, Platform, Role, Target, Timer, TimerKind
from flows.payloads import check, payload_from_dict, payload_to_dict
from flows.ports import Births
from storage.driver import Driver, utc
from storage.tables import DeliveryRow, TimerRow

# A claim is a short lease: if its process dies, another replica takes the row over after
# this; the process itself, restarted, takes its own claims back at once (release_claims).
CLAIM_LEASE = timedelta(seconds=10)
URGENT_KINDS = tuple(k.value for k in DeliveryKind if k.urgency == 0)


class SqlOutbox:
    def __init__(self, session: AsyncSession, births: Births | None = None):
        self._session = session
        self._sql = Driver(session)
        self._births = births
        self.born: list[Delivery] = []  # claimed at birth: handed to the dispatcher after the commit
        self.unclaimed: list[Delivery] = []  # queued for the dispatcher's pump to claim

    async def add(self, delivery: Delivery) -> Delivery | None:
        """Queue a delivery with one INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id."""
        check(delivery.kind, delivery.payload)
        now = delivery.next_attempt_at
        if now is None:
            raise ValueError("a delivery needs next_attempt_at (the time it was queued)")
        births = self._births
        born = births is not None and births.accept(delivery)
        delivery_id = await self._sql.value(
            _INSERT, claimer=births.claimer if born else None, due=now + births.lease if born else now,
            kind=delivery.kind.value, platform=delivery.target.platform.value,
            address=delivery.target.address, incident_id=delivery.incident_id,
            role=delivery.role.value if delivery.role else None, tier=delivery.tier,
            payload=json.dumps(payload_to_dict(delivery.payload), ensure_ascii=False), dedupe_key=delivery.dedupe_key,
            follow_up_id=getattr(delivery.payload, "follow_up_id", None),
            consultation_id=getattr(delivery.payload, "consultation_id", None), now=now)
        if delivery_id is None:  # the same message is queued already (or was sent)
            if born:
                births.release([delivery])
            return None
        delivery.id = delivery_id
        delivery.created_at = now
        if born:
            self.born.append(delivery)
        else:
            self.unclaimed.append(delivery)
        return delivery

    async def claim_due(self, now: datetime, limit: int, *, claimer: str = "", lease: timedelta = CLAIM_LEASE,
                        skip: Collection[tuple[str, str]] = (), lane: Callable[[Delivery], Hashable] | None = None,
                        busy: Collection[Hashable] = (), others: int | None = None) -> list[Delivery]:
        """Lease up to `limit` due deliveries to `claimer`: alerts first, oldest first, at most one
        per lane (`lane(delivery)`, by default its target) and none in a `busy` lane, none to a
        target in `skip`, and at most `others` that are not alerts, reminders or escalations.

        PostgreSQL locks the candidates with FOR UPDATE SKIP LOCKED, so replicas claiming at
        the same moment never get the same row. A row that was still leased (its claimer died
        or timed out) comes back `in_doubt`: it may have reached the platform already.
        Broken rows (a bug, a manual edit) are marked failed and returned as Delivery objects
        with status FAILED, so the caller can escalate them.
        """
        query = _CLAIM if self._sql.sqlite else _CLAIM + " FOR UPDATE SKIP LOCKED"
        rows = [_mapping(r) for r in await self._sql.rows(query, now=now, limit=limit * 4 + len(skip))]
        chosen, broken = [], []
        lane = lane or _target_of
        taken = set(busy)
        for row in rows:
            if (row["platform"], row["address"]) in skip:
                continue
            try:
                delivery = _to_model(row)
            except Exception as error:  # noqa: BLE001 (whatever is wrong with it, the outbox goes on)
                broken.append((row, f"malformed outbox row: {type(error).__name__}"))
                continue
            if lane(delivery) in taken:
                continue  # one at a time per lane: a conversation gets its messages in order
            if row["kind"] not in URGENT_KINDS:
                if others is not None and others <= 0:
                    continue
                others = None if others is None else others - 1
            delivery.in_doubt = bool(row["in_doubt"] or row["claimed_by"])
            taken.add(lane(delivery))
            chosen.append(delivery)
            if len(chosen) >= limit:
                break
        if chosen:
            ids = {f"i{n}": d.id for n, d in enumerate(chosen)}
            await self._sql.run(f"UPDATE outbox SET claimed_by = :claimer, next_attempt_at = :until "
                                f"WHERE id IN ({', '.join(':' + k for k in ids)})",
                                claimer=claimer or None, until=now + lease, **ids)
        failed = []
        for row, error in broken:
            await self.mark_failed(row["id"], error, now)
            failed.append(Delivery(kind=DeliveryKind.CARD, target=Target(Platform.SLACK, ""), id=row["id"],
                                   incident_id=row["incident_id"], status=DeliveryStatus.FAILED, error=error))
        return chosen + failed

    async def due_urgency(self, now: datetime) -> int | None:
        """How urgent the most urgent delivery waiting to be claimed is (a read: no write lock when
        nothing is): 0 an alert, reminder or escalation, 1 an alert's update, 2 anything else;
        None when nothing is due."""
        return await self._sql.value(_DUE_URGENCY, now=now)

    async def release_claims(self, claimer: str, now: datetime) -> int:
        """Make what `claimer` had leased due at once (its process restarted); they stay in doubt."""
        return await self._sql.run("UPDATE outbox SET next_attempt_at = :now "
                                   "WHERE claimed_by = :claimer AND status = 'pending'", now=now, claimer=claimer)

    async def mark_sent(self, delivery_id: int, ref: str, at: datetime) -> None:
        await self._sql.run("UPDATE outbox SET status = 'sent', message_ref = :ref, sent_at = :at, "
                            "attempts = attempts + 1, claimed_by = NULL, in_doubt = :no WHERE id = :id",
                            ref=ref, at=at, no=False, id=delivery_id)

    async def mark_retry(self, delivery_id: int, at: datetime, error: str, *, in_doubt: bool = False,
                         count: bool = True) -> None:
        """Try again at `at`; `in_doubt`: the attempt may have reached the platform (verify first)."""
        await self._sql.run("UPDATE outbox SET next_attempt_at = :at, error = :error, attempts = attempts + :more, "
                            "claimed_by = NULL, in_doubt = :in_doubt WHERE id = :id",
                            at=at, error=error[:2000], more=1 if count else 0, in_doubt=in_doubt, id=delivery_id)

    async def mark_failed(self, delivery_id: int, error: str, at: datetime) -> None:
        await self._sql.run("UPDATE outbox SET status = 'failed', error = :error, sent_at = :at, "
                            "attempts = attempts + 1, claimed_by = NULL WHERE id = :id",
                            error=error[:2000], at=at, id=delivery_id)

    async def oldest_pending(self) -> datetime | None:
        """When the oldest delivery still waiting was queued (health, metrics)."""
        table = DeliveryRow.__table__
        return (await self._session.execute(
            select(func.min(table.c.created_at)).where(table.c.status == DeliveryStatus.PENDING.value))).scalar()

    async def sent_for_incident(self, incident_id: int) -> list[Delivery]:
        rows = (await self._session.exec(
            select(DeliveryRow).where(DeliveryRow.incident_id == incident_id,
                                      DeliveryRow.status == DeliveryStatus.SENT.value)
            .order_by(DeliveryRow.id))).all()
        return [_to_model(r) for r in rows]

    async def all_for_incident(self, incident_id: int) -> list[Delivery]:
        rows = (await self._session.exec(
            select(DeliveryRow).where(DeliveryRow.incident_id == incident_id).order_by(DeliveryRow.id))).all()
        return [_to_model(r) for r in rows]


# Written once for the driver (storage/driver.py): the hot statements of the outbox.
_INSERT = ("INSERT INTO outbox (kind, platform, address, incident_id, role, tier, payload, dedupe_key, follow_up_id, "
           "consultation_id, next_attempt_at, created_at, status, attempts, message_ref, error, in_doubt, claimed_by) VALUES "
           "(:kind, :platform, :address, :incident_id, :role, :tier, :payload, :dedupe_key, :follow_up_id, "
           ":consultation_id, :due, :now, 'pending', 0, '', '', FALSE, :claimer) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
_COLUMNS = ("id", "kind", "platform", "address", "incident_id", "role", "tier", "payload", "status", "attempts",
            "next_attempt_at", "message_ref", "error", "dedupe_key", "created_at", "claimed_by", "in_doubt")
_URGENCY = ("CASE kind " + " ".join(f"WHEN '{k.value}' THEN {k.urgency}" for k in DeliveryKind if k.urgency < 2)
            + " ELSE 2 END")  # DeliveryKind.urgency
_CLAIM = (f"SELECT {', '.join(_COLUMNS)} FROM outbox WHERE status = 'pending' AND next_attempt_at <= :now "
          f"ORDER BY {_URGENCY}, id LIMIT :limit")
_DUE_URGENCY = (f"SELECT {_URGENCY} AS urgency FROM outbox WHERE status = 'pending' AND next_attempt_at <= :now "
                "ORDER BY urgency LIMIT 1")


def _target_of(delivery: Delivery) -> tuple[str, str]:
    return delivery.target.platform.value, delivery.target.address


def _mapping(values: tuple) -> dict:
    row = dict(zip(_COLUMNS, values))
    row["next_attempt_at"], row["created_at"] = utc(row["next_attempt_at"]), utc(row["created_at"])
    return row


def _to_model(row) -> Delivery:
    """A Delivery from an ORM row or a Core row mapping (raises on a malformed row)."""
    get = row.__getitem__ if hasattr(row, "keys") else lambda name: getattr(row, name)
    data = json.loads(get("payload"))
    if not isinstance(data, dict):
        raise ValueError("payload is not an object")
    payload = payload_from_dict(DeliveryKind(get("kind")), data)
    return Delivery(
        kind=DeliveryKind(get("kind")), target=Target(Platform(get("platform")), get("address")),
        incident_id=get("incident_id"), role=Role(get("role")) if get("role") else None, tier=get("tier"),
        payload=payload, id=get("id"), status=DeliveryStatus(get("status")), attempts=get("attempts"),
        next_attempt_at=get("next_attempt_at"), message_ref=get("message_ref"), error=get("error"),
        dedupe_key=get("dedupe_key"), created_at=get("created_at"),
    )


class SqlTimers:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, timer: Timer) -> Timer:
        timer.id = await Driver(self._session).value(
            "INSERT INTO timers (kind, due_at, incident_id, ref_id, seq, cancelled) "
            "VALUES (:kind, :due_at, :incident_id, :ref_id, :seq, FALSE) RETURNING id",
            kind=timer.kind.value, due_at=timer.due_at, incident_id=timer.incident_id, ref_id=timer.ref_id,
            seq=timer.seq)
        return timer

    async def due(self, now: datetime, limit: int) -> list[Timer]:
        rows = (await self._session.exec(
            select(TimerRow)
            .where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False, TimerRow.due_at <= now)  # noqa: E712
            .order_by(TimerRow.due_at, TimerRow.id).limit(limit))).all()
        return [_timer(r) for r in rows]

    async def claim_next(self, now: datetime, skip: Collection[int] = ()) -> Timer | None:
        """Take the most overdue timer and mark it fired, in the caller's transaction.

        PostgreSQL: FOR UPDATE SKIP LOCKED, so replicas sweeping together take different
        timers; if the caller's handler fails, the rollback leaves the timer unfired.
        """
        table = TimerRow.__table__
        query = (select(table).where(table.c.fired_at.is_(None), table.c.cancelled == False,  # noqa: E712
                                     table.c.due_at <= now)
                 .order_by(table.c.due_at, table.c.id).limit(1))
        if skip:
            query = query.where(table.c.id.not_in(list(skip)))
        if not Driver(self._session).sqlite:
            query = query.with_for_update(skip_locked=True)
        row = (await self._session.execute(query)).mappings().first()
        if row is None:
            return None
        await self._session.execute(update(table).where(table.c.id == row["id"]).values(fired_at=now))
        return Timer(kind=TimerKind(row["kind"]), due_at=row["due_at"], incident_id=row["incident_id"],
                     ref_id=row["ref_id"], seq=row["seq"], id=row["id"], fired_at=now, cancelled=False)

    async def claim(self, timer_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(TimerRow)
            .where(TimerRow.id == timer_id, TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
            .values(fired_at=at))
        return result.rowcount == 1

    async def cancel(self, *, incident_id: int | None = None, ref_id: int | None = None,
                     kinds: tuple[TimerKind, ...] = ()) -> int:
        query = update(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
        if incident_id is not None:
            query = query.where(TimerRow.incident_id == incident_id)
        if ref_id is not None:
            query = query.where(TimerRow.ref_id == ref_id)
        if kinds:
            query = query.where(TimerRow.kind.in_([k.value for k in kinds]))
        result = await self._session.execute(query.values(cancelled=True))
        return result.rowcount

    async def pending(self, *, incident_id: int | None = None, ref_id: int | None = None) -> list[Timer]:
        query = select(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
        if incident_id is not None:
            query = query.where(TimerRow.incident_id == incident_id)
        if ref_id is not None:
            query = query.where(TimerRow.ref_id == ref_id)
        return [_timer(r) for r in (await self._session.exec(query.order_by(TimerRow.due_at))).all()]


def _timer(row: TimerRow) -> Timer:
    return Timer(kind=TimerKind(row.kind), due_at=row.due_at, incident_id=row.incident_id, ref_id=row.ref_id,
                 seq=row.seq, id=row.id, fired_at=row.fired_at, cancelled=row.cancelled)
