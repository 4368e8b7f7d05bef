"""Small SQL helpers shared by the repositories (dialect-specific INSERT … ON CONFLICT)."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def dialect_name(session) -> str:
    """'sqlite' or 'postgresql' for an AsyncSession or storage.db.InlineSession."""
    return session.bind.dialect.name


def insert_for(session):
    """The `insert` construct of the session's dialect: it has on_conflict_do_nothing()."""
    return postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
