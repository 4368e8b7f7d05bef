"""keys and actors: key check table, keyed audit chain, platform user ids of those who act, level changes

Existing audit rows keep their plain SHA-256 links and are marked legacy (keyed = false):
`kasuhara audit verify` checks them as such and says so; every new row is HMAC-keyed.
Existing data sealed with the old unsalted key derivation is re-sealed at the first start
(storage/keys.py), when the key is at hand; a migration never sees the key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('key_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kdf', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('check', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('digest_key_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('rotated_at', storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_by_id', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('level_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('level_changed_by', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('level_changed_at', storage.tables.UTCDateTime(), nullable=True))
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_id', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_column('recorded_by_id')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('level_changed_at')
        batch_op.drop_column('level_changed_by')
        batch_op.drop_column('level_reason')
        batch_op.drop_column('acknowledged_by_id')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
        batch_op.drop_column('keyed')
    op.drop_table('key_check')
