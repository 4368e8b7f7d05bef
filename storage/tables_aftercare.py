"""Tables of after-care (follow-ups) and anonymous consultations.

No column holds a platform user id next to a case code: the employee link of a
consultation is sealed (`link_enc`) and found through a keyed digest (`owner_digest`).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.tables import DeliveryRow, UTCDateTime, utc_column


class FollowUpRow(SQLModel, table=True):
    __tablename__ = "follow_ups"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    kind: str = Field(max_length=32)
    role: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    remind_every_s: int
    escalate_after_s: int
    escalate_to: str = Field(max_length=32)
    status: str = Field(default="open", max_length=16, index=True)
    reminded: int = 0
    escalated_at: datetime | None = utc_column()
    snoozed_until: datetime | None = utc_column()
    recorded_by: str = Field(default="", max_length=200)  # display name, for showing
    recorded_by_id: str = Field(default="", max_length=200)  # "platform:user id": who it was
    recorded_at: datetime | None = utc_column()
    record: str = Field(default="{}")  # JSON: what everyone who handles the case may read
    # JSON sealed with KASUHARA_SECRET_KEY: support decided, hearing notes (HR only).
    sensitive_enc: str = Field(default="")


class ConsultationRow(SQLModel, table=True):
    __tablename__ = "consultations"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    unit_id: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16)
    # HMAC of "platform:user id" (Sealer.digest): finds a person's open case without the id.
    owner_digest: str = Field(default="", max_length=64, index=True)
    link_enc: str = Field(default="")  # sealed "platform:user id"; emptied after close + grace
    revealed_name_enc: str = Field(default="")  # the name the employee chose to give, sealed
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    first_message_at: datetime | None = utc_column()
    first_reply_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()
    forgotten_at: datetime | None = utc_column()


# HR thread replies are mapped back to a case through the ref of the relayed message.
OUTBOX_REF_INDEX = sa.Index("ix_outbox_message_ref", DeliveryRow.platform, DeliveryRow.message_ref)
