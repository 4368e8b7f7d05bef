"""SQLModel tables. Times are stored in UTC; lists and snapshots as JSON text."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as naive UTC; give them back aware (SQLite has no time zones)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def utc_column(nullable: bool = True, index: bool = False):
    return Field(default=None, sa_type=UTCDateTime(), nullable=nullable, index=index)


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(default="", max_length=32, index=True)
    unit_id: str = Field(max_length=64, index=True)
    reporter_platform: str = Field(max_length=16)
    reporter_id: str = Field(max_length=128)
    reporter_name: str = Field(default="", max_length=200)
    occurred_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    place: str = Field(default="")
    channel: str = Field(default="", max_length=32)
    description: str = Field(default="")
    behaviours: str = Field(default="[]")
    types: str = Field(default="[]")
    danger: bool = Field(default=False)
    level: int = Field(index=True)
    assessed_level: int
    reasons: str = Field(default="[]")
    duration_minutes: int | None = None
    counterpart: str = Field(default="")
    injury_damage: str = Field(default="")
    first_response: str = Field(default="")
    evidence: str = Field(default="[]")
    final_action: str = Field(default="[]")
    prevention: str = Field(default="")
    # 対応者所感・必要支援 (sensitive), encrypted with KASUHARA_SECRET_KEY: HR only.
    feelings_support_enc: str = Field(default="")
    is_sos: bool = Field(default=False)
    sos_of: int | None = Field(default=None, foreign_key="incidents.id")
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False, index=True)
    acknowledged_at: datetime | None = utc_column()
    acknowledged_by: str = Field(default="", max_length=200)  # display name, for showing
    acknowledged_by_id: str = Field(default="", max_length=200)  # "platform:user id": who it was
    level_reason: str = Field(default="")  # the last re-classification (flows/incidents/level.py)
    level_changed_by: str = Field(default="", max_length=200)
    level_changed_at: datetime | None = utc_column()
    snapshot: str = Field(default="{}")


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    platform: str = Field(max_length=16)
    address: str = Field(max_length=256)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    role: str | None = Field(default=None, max_length=32)
    tier: int = 0
    payload: str = Field(default="{}")  # JSON of flows.payloads.payload_to_dict
    # What storage looks deliveries up by, out of the JSON (migration 0005).
    follow_up_id: int | None = Field(default=None)
    consultation_id: int | None = Field(default=None)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    message_ref: str = Field(default="", max_length=512)
    error: str = Field(default="")
    dedupe_key: str = Field(max_length=400, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    sent_at: datetime | None = utc_column()
    # Who holds the lease (a process's instance id) until next_attempt_at; cleared once settled.
    claimed_by: str | None = Field(default=None, max_length=128, index=True)
    # An attempt may have reached the platform (timeout, crash): verify before sending again.
    in_doubt: bool = Field(default=False)

    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)


class TimerRow(SQLModel, table=True):
    __tablename__ = "timers"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    ref_id: int | None = Field(default=None, index=True)
    seq: int = 0
    fired_at: datetime | None = utc_column()
    cancelled: bool = False

    __table_args__ = (sa.Index("ix_timers_due", "fired_at", "cancelled", "due_at"),)


class AuditRow(SQLModel, table=True):
    """Append-only history; each row's HMAC covers the previous one (storage/audit.py).

    `keyed` is False for rows written before the chain was keyed (plain SHA-256, legacy).
    """

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    action: str = Field(max_length=64)
    actor: str = Field(default="system", max_length=200)
    detail: str = Field(default="")
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
    keyed: bool = Field(default=True)
    actor_name: str = Field(default="", max_length=200)  # display name, for showing; `actor` is the id


class RequestKeyRow(SQLModel, table=True):
    __tablename__ = "request_keys"

    key: str = Field(primary_key=True, max_length=400)
    result_id: int
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)


class RoleBindingRow(SQLModel, table=True):
    __tablename__ = "role_bindings"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    unit_id: str = Field(max_length=64)
    role: str = Field(max_length=32)
    address: str = Field(max_length=256)
    actor: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)

    __table_args__ = (sa.UniqueConstraint("platform", "unit_id", "role", "address", name="uq_role_binding"),)


class ConversationRefRow(SQLModel, table=True):
    __tablename__ = "conversation_refs"

    platform: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=256)
    reference: str
    updated_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)


class KeyCheckRow(SQLModel, table=True):
    """The salt of KASUHARA_SECRET_KEY's derivation and a check value (storage/keys.py).

    The key itself is never stored: the check only tells whether a key given at start is the
    one the data was sealed with.
    """

    __tablename__ = "key_check"

    id: int | None = Field(default=None, primary_key=True)
    kdf: str = Field(max_length=64)
    salt: str = Field(max_length=64)  # hex
    check: str = Field(max_length=64)  # hex HMAC under a key derived for this purpose only
    # The look-up digest key: random, sealed with the key derived from the secret. Digests of
    # secrets handed to people (report link tokens, receipt codes) cannot be recomputed, so a
    # rotation re-wraps this key instead of changing it.
    digest_key_enc: str = Field(default="")
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    rotated_at: datetime | None = utc_column()


import storage.tables_aftercare  # noqa: E402,F401  (after-care tables on the same metadata)
import storage.tables_web  # noqa: E402,F401  (web channel tables)
import storage.tables_reports  # noqa: E402,F401  (customers of incidents, measures)
