"""Awards: ledger entries name the bid they concern.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:17:27.655302
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bid_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entry_bid_id_bid'), 'bid', ['bid_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_entry_bid_id_bid'), type_='foreignkey')
        batch_op.drop_column('bid_id')

