"""Spend: refunds (a negative amount) and the invoice identity (bid + normalised invoice number)

Revision ID: 0007_spend_refunds
Revises: 0006
Create Date: 2026-12-02 04:40:00
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = '0007_spend_refunds'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from grants.spendfile import invoice_key

    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_key', sa.String(length=400), nullable=True))

    # Fill the key of every recorded invoice. Two invoices of a bid that the key now finds the
    # same (INV-1 and inv-1) were both paid before this version; each keeps its own key, marked
    # with its row id, so the upgrade never merges or drops a payment.
    spend = sa.table('spend', sa.column('id', sa.Integer), sa.column('bid_id', sa.Integer),
                     sa.column('invoice', sa.String), sa.column('invoice_key', sa.String))
    connection = op.get_bind()
    seen: set[tuple[int, str]] = set()
    updates = []
    for row_id, bid_id, invoice in connection.execute(
        sa.select(spend.c.id, spend.c.bid_id, spend.c.invoice)
        .where(spend.c.invoice.is_not(None)).order_by(spend.c.id)
    ):
        key = invoice_key(invoice)
        if (bid_id, key) in seen:
            key = f"{key}#{row_id}"
        seen.add((bid_id, key))
        updates.append({"row_id": row_id, "key": key})
    if updates:
        connection.execute(
            spend.update().where(spend.c.id == sa.bindparam('row_id')).values(invoice_key=sa.bindparam('key')),
            updates,
        )

    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_spend_bid_id_invoice'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_spend_bid_id_invoice_key'), ['bid_id', 'invoice_key'])
        batch_op.drop_constraint(batch_op.f('ck_spend_spend_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_spend_spend_not_zero'), 'amount_pence <> 0')


def downgrade() -> None:
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_spend_spend_not_zero'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_spend_spend_positive'), 'amount_pence > 0')
        batch_op.drop_constraint(batch_op.f('uq_spend_bid_id_invoice_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_spend_bid_id_invoice'), ['bid_id', 'invoice'])
        batch_op.drop_column('invoice_key')
