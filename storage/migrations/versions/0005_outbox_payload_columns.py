"""outbox: the follow-up and consultation a delivery belongs to, as columns

Storage looked these up inside the JSON payload (an HR thread reply -> its consultation);
they are columns now, filled from the payload of the rows written before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:30:00.000000
"""
import json

from alembic import context, op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consultation_id', sa.Integer(), nullable=True))
    if context.is_offline_mode():  # `--sql`: the rows are not there to read; fill the columns afterwards
        return
    outbox = sa.table('outbox', sa.column('id', sa.Integer()), sa.column('payload', sa.String()),
                      sa.column('follow_up_id', sa.Integer()), sa.column('consultation_id', sa.Integer()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.payload).where(
        sa.or_(outbox.c.payload.like('%"follow_up_id"%'), outbox.c.payload.like('%"consultation_id"%')))).all()
    for row_id, payload in rows:
        data = json.loads(payload)
        connection.execute(outbox.update().where(outbox.c.id == row_id).values(
            follow_up_id=data.get('follow_up_id'), consultation_id=data.get('consultation_id')))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('consultation_id')
        batch_op.drop_column('follow_up_id')
