"""Tables of the web channel: unit report links, receipt codes and the web inbox.

Tokens and codes are secrets handed to people: only their keyed digest (HMAC with
KASUHARA_SECRET_KEY) is stored, so a copy of the database opens no link and no receipt.
Inbox cards are sealed; inbox names are digests too.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.tables import UTCDateTime, utc_column


class ReportLinkRow(SQLModel, table=True):
    __tablename__ = "report_links"

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True)
    unit_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    revoked_at: datetime | None = utc_column()


class ReceiptRow(SQLModel, table=True):
    __tablename__ = "receipts"

    id: int | None = Field(default=None, primary_key=True)
    code_digest: str = Field(max_length=64, unique=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)


class WebInboxRow(SQLModel, table=True):
    __tablename__ = "web_inbox"

    id: int | None = Field(default=None, primary_key=True)
    box_digest: str = Field(max_length=64, index=True)
    card_enc: str = Field(default="")
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime(), nullable=False, index=True)
