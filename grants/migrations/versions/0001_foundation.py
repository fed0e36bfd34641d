"""Foundation: partnerships, organisations, members, funding years, pots, ledger, audit, reference data.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:54:31.676504
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("funder_name", sa.String(length=200), nullable=False),
        sa.Column("funder_prefix", sa.String(length=60), nullable=False),
        sa.Column("funder_org_id", sa.String(length=80), nullable=True),
        sa.Column("programme", sa.String(length=10), nullable=False),
        sa.Column("quorum_authorities", sa.Integer(), nullable=False),
        sa.Column("consensus_threshold", sa.Integer(), nullable=False),
        sa.Column("moderation_spread", sa.Integer(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("audit_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
        sa.UniqueConstraint("slug", name=op.f("uq_partnership_slug")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_audit_event_partnership_id_partnership")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("partnership_id", "seq", name=op.f("uq_audit_event_partnership_id_seq")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_subject"), ["subject"], unique=False)

    op.create_table(
        "funding_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=7), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="yearstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("allocation_pence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tactical_share", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_funding_year_partnership_id_partnership")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_year")),
        sa.UniqueConstraint("partnership_id", "label", name=op.f("uq_funding_year_partnership_id_label")),
    )
    with op.batch_alter_table("funding_year", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_year_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("responsible_authority", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_organisation_partnership_id_partnership")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("partnership_id", "key", name=op.f("uq_organisation_partnership_id_key")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=120), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_member_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_member_partnership_id_partnership")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("partnership_id", "handle", name=op.f("uq_member_partnership_id_handle")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_partnership_id"), ["partnership_id"], unique=False)

    op.create_table(
        "pot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("upfront", "tactical", name="potkind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("uncommitted_pence", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("uncommitted_pence >= 0", name=op.f("ck_pot_uncommitted_not_negative")),
        sa.ForeignKeyConstraint(["year_id"], ["funding_year.id"], name=op.f("fk_pot_year_id_funding_year")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pot")),
        sa.UniqueConstraint("year_id", "kind", name=op.f("uq_pot_year_id_kind")),
    )
    with op.batch_alter_table("pot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pot_year_id"), ["year_id"], unique=False)

    op.create_table(
        "reference_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "pcc_priority",
                "csa_priority",
                "cross_cutting_theme",
                name="referencekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_reference_item_partnership_id_partnership")
        ),
        sa.ForeignKeyConstraint(
            ["year_id"], ["funding_year.id"], name=op.f("fk_reference_item_year_id_funding_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_item")),
        sa.UniqueConstraint(
            "partnership_id",
            "year_id",
            "kind",
            "key",
            name=op.f("uq_reference_item_partnership_id_year_id_kind_key"),
        ),
    )
    with op.batch_alter_table("reference_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reference_item_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reference_item_year_id"), ["year_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("year_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_account", sa.String(length=60), nullable=False),
        sa.Column("to_account", sa.String(length=60), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_ledger_entry_amount_positive")),
        sa.ForeignKeyConstraint(["actor_id"], ["member.id"], name=op.f("fk_ledger_entry_actor_id_member")),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_ledger_entry_partnership_id_partnership")
        ),
        sa.ForeignKeyConstraint(
            ["year_id"], ["funding_year.id"], name=op.f("fk_ledger_entry_year_id_funding_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_partnership_id"), ["partnership_id"], unique=False)
        batch_op.create_index("ix_ledger_entry_year_from", ["year_id", "from_account"], unique=False)
        batch_op.create_index("ix_ledger_entry_year_to", ["year_id", "to_account"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_year_to")
        batch_op.drop_index("ix_ledger_entry_year_from")
        batch_op.drop_index(batch_op.f("ix_ledger_entry_partnership_id"))

    op.drop_table("ledger_entry")
    with op.batch_alter_table("reference_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_item_year_id"))
        batch_op.drop_index(batch_op.f("ix_reference_item_partnership_id"))

    op.drop_table("reference_item")
    with op.batch_alter_table("pot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pot_year_id"))

    op.drop_table("pot")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_member_organisation_id"))

    op.drop_table("member")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_partnership_id"))

    op.drop_table("organisation")
    with op.batch_alter_table("funding_year", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_year_partnership_id"))

    op.drop_table("funding_year")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_subject"))

    op.drop_table("audit_event")
    op.drop_table("partnership")
