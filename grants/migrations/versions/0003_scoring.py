"""Scoring: criteria per year, score sheets with history, declared interests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:11:07.893480
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('weight > 0', name=op.f('ck_criterion_weight_positive')),
    sa.ForeignKeyConstraint(['year_id'], ['funding_year.id'], name=op.f('fk_criterion_year_id_funding_year')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion')),
    sa.UniqueConstraint('year_id', 'key', name=op.f('uq_criterion_year_id_key'))
    )
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criterion_year_id'), ['year_id'], unique=False)

    op.create_table('interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_interest_bid_id_bid')),
    sa.ForeignKeyConstraint(['declared_by_id'], ['member.id'], name=op.f('fk_interest_declared_by_id_member')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_interest_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest')),
    sa.UniqueConstraint('bid_id', 'member_id', name=op.f('uq_interest_bid_id_member_id'))
    )
    op.create_table('score_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('scores', sa.Text(), nullable=False),
    sa.Column('stance', sa.Enum('support', 'oppose', 'abstain', name='stance', native_enum=False, length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_score_sheet_bid_id_bid')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_score_sheet_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheet')),
    sa.UniqueConstraint('bid_id', 'member_id', 'version', name=op.f('uq_score_sheet_bid_id_member_id_version'))
    )
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.create_index('ix_score_sheet_bid_current', ['bid_id', 'current'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheet_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheet_member_id'))
        batch_op.drop_index('ix_score_sheet_bid_current')

    op.drop_table('score_sheet')
    op.drop_table('interest')
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criterion_year_id'))

    op.drop_table('criterion')
