"""Bids: the proposals that move through the lifecycle.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:06:48.253340
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=False),
        sa.Column("contact_member_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("amount_requested_pence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "pot",
            sa.Enum("upfront", "tactical", name="potkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("pcc_priorities", sa.Text(), nullable=False),
        sa.Column("csa_priorities", sa.Text(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("delivery_end", sa.Date(), nullable=True),
        sa.Column("end_explanation", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "scoring",
                "shortlisted",
                "not_shortlisted",
                "chair_approved",
                "clarification",
                "funded",
                "rejected",
                "in_delivery",
                "delivered",
                "closed",
                "withdrawn",
                "cancelled",
                name="bidstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("award_pence", sa.BigInteger(), nullable=True),
        sa.Column("spent_pence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("outcome_summary", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("amount_requested_pence >= 0", name=op.f("ck_bid_amount_not_negative")),
        sa.CheckConstraint("spent_pence >= 0", name=op.f("ck_bid_spent_not_negative")),
        sa.ForeignKeyConstraint(
            ["contact_member_id"], ["member.id"], name=op.f("fk_bid_contact_member_id_member")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"], name=op.f("fk_bid_created_by_id_member")),
        sa.ForeignKeyConstraint(
            ["lead_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_bid_lead_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_bid_partnership_id_partnership")
        ),
        sa.ForeignKeyConstraint(["year_id"], ["funding_year.id"], name=op.f("fk_bid_year_id_funding_year")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid")),
        sa.UniqueConstraint("partnership_id", "reference", name=op.f("uq_bid_partnership_id_reference")),
        sa.UniqueConstraint("year_id", "sequence", name=op.f("uq_bid_year_id_sequence")),
    )
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bid_lead_organisation_id"), ["lead_organisation_id"], unique=False
        )
        batch_op.create_index("ix_bid_year_status", ["year_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.drop_index("ix_bid_year_status")
        batch_op.drop_index(batch_op.f("ix_bid_lead_organisation_id"))

    op.drop_table("bid")
