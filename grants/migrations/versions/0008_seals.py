"""Seals: each audit event binds the rows its command wrote and the state it left

Revision ID: 0008_seals
Revises: 0007_spend_refunds
Create Date: 2026-12-02 04:40:00

Old events keep no seal (their hashes do not change); `grants db upgrade` then records one
`audit.baseline` event per partnership sealing the rows and state as they stand (see
grants.audit_chain.baseline_all, run after the migrations).
"""

import sqlalchemy as sa
from alembic import op


revision = "0008_seals"
down_revision = "0007_spend_refunds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("seals", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("seals")
