"""reports: customers of incidents (keyed digest + sealed identifier) and measures against customers

Customer identifiers are never stored in clear: `digest` is an HMAC keyed from
KASUHARA_SECRET_KEY (for matching), `identifier_enc` and `note_enc` are sealed for HR.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('identifier_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('matched', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    op.create_index(op.f('ix_customer_links_digest'), 'customer_links', ['digest'], unique=False)
    op.create_index(op.f('ix_customer_links_created_at'), 'customer_links', ['created_at'], unique=False)
    op.create_table('customer_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('at', storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_customer_measures_digest'), 'customer_measures', ['digest'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_customer_measures_digest'), table_name='customer_measures')
    op.drop_table('customer_measures')
    op.drop_index(op.f('ix_customer_links_created_at'), table_name='customer_links')
    op.drop_index(op.f('ix_customer_links_digest'), table_name='customer_links')
    op.drop_table('customer_links')
