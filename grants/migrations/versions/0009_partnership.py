"""Any partnership: its rules per partnership and per year, retiring organisations, members and
priorities, template criteria with 0–5 descriptors, and a 360Giving prefix no two partnerships share

Revision ID: 0009_partnership
Revises: 0008_seals
Create Date: 2026-12-02 04:40:00
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0009_partnership"
down_revision = "0008_seals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tactical_share", sa.String(length=20), nullable=False, server_default="1/3")
        )
    # Partnerships that shared a prefix gave the same 360Giving ids; the later ones (by id) take
    # their slug on the end, which is unique, before the prefix becomes unique.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, slug, funder_prefix FROM partnership ORDER BY id")).all()
    seen: set[str] = set()
    for row_id, slug, prefix in rows:
        if prefix in seen:
            prefix = f"{prefix}-{slug}"[:60]
            connection.execute(
                sa.text("UPDATE partnership SET funder_prefix = :p WHERE id = :i"), {"p": prefix, "i": row_id}
            )
        seen.add(prefix)
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_partnership_funder_prefix"), ["funder_prefix"])

    with op.batch_alter_table("funding_year", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quorum_authorities", sa.Integer(), nullable=False, server_default="4"))
        batch_op.add_column(
            sa.Column("consensus_threshold", sa.Integer(), nullable=False, server_default="50")
        )
        batch_op.add_column(sa.Column("moderation_spread", sa.Integer(), nullable=False, server_default="40"))
    # Years already open keep the rules they ran under: their partnership's.
    for column in ("quorum_authorities", "consensus_threshold", "moderation_spread"):
        op.execute(
            f"UPDATE funding_year SET {column} = "
            f"(SELECT p.{column} FROM partnership p WHERE p.id = funding_year.partnership_id)"
        )

    for table in ("organisation", "member", "reference_item"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("retired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("descriptors", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE criterion SET partnership_id = "
        "(SELECT y.partnership_id FROM funding_year y WHERE y.id = criterion.year_id)"
    )
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("year_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_criterion_partnership_id_partnership"), "partnership", ["partnership_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_criterion_partnership_id"), ["partnership_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM criterion WHERE year_id IS NULL OR removed_at IS NOT NULL")
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criterion_partnership_id"))
        batch_op.drop_constraint(batch_op.f("fk_criterion_partnership_id_partnership"), type_="foreignkey")
        batch_op.alter_column("year_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("removed_at")
        batch_op.drop_column("descriptors")
        batch_op.drop_column("partnership_id")
    for table in ("reference_item", "member", "organisation"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("retired_at")
    with op.batch_alter_table("funding_year", schema=None) as batch_op:
        batch_op.drop_column("moderation_spread")
        batch_op.drop_column("consensus_threshold")
        batch_op.drop_column("quorum_authorities")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_partnership_funder_prefix"), type_="unique")
        batch_op.drop_column("tactical_share")
