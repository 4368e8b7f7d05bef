"""outbox claims: who holds a delivery's lease, and whether an attempt may have been delivered

`claimed_by` names the process (its instance id) that leased the row until next_attempt_at,
so a restarted process takes its own claims back at once and other replicas take over
after the short lease. `in_doubt` marks a row whose last attempt may have reached the
platform (a timeout, a crash): it is looked up on the platform before it is sent again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('in_doubt', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_outbox_claimed_by', ['claimed_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_claimed_by')
        batch_op.drop_column('in_doubt')
        batch_op.drop_column('claimed_by')
