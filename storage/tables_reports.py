"""Tables of the reports capability: which customer an incident concerns, and measures against customers.

No column holds a customer identifier in clear: `digest` is an HMAC keyed from
KASUHARA_SECRET_KEY (matching), `identifier_enc` the text as written, sealed for HR.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables import UTCDateTime


class CustomerLinkRow(SQLModel, table=True):
    __tablename__ = "customer_links"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", unique=True)
    digest: str = Field(max_length=64, index=True)
    identifier_enc: str = Field(default="")
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False, index=True)
    # What the alert showed at submit time (JSON: earlier case numbers and measures), so the
    # alert rendered at send time says the same.
    matched: str = Field(default="{}")


class CustomerMeasureRow(SQLModel, table=True):
    __tablename__ = "customer_measures"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    note_enc: str = Field(default="")  # sealed: HR's note (letter reference, police report number)
    actor: str = Field(default="", max_length=200)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id")  # the case it was recorded on
    at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
