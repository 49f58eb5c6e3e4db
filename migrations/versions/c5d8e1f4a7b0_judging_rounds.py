"""judging rounds: judging_round (every existing contest gets one round "评审": mean, blind as judging was, no window),
round_entry (entries promoted into later rounds), assignment.round_id (existing assignments → their contest's
round), unique (round, judge, entry) instead of (judge, entry); entry.blind_title / blind_description (the
redacted text judges of a blind round read)

Revision ID: c5d8e1f4a7b0
Revises: b4c7d0e3f6a9
Create Date: 2026-12-08 00:14:13.289797

"""
from alembic import op
import sqlalchemy as sa

import contest.models.types


# revision identifiers, used by Alembic.
revision = 'c5d8e1f4a7b0'
down_revision = 'b4c7d0e3f6a9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('judging_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('opens_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('aggregation', sa.Enum('mean', 'trimmed_mean', 'median', 'zscore', name='aggregation', native_enum=False, length=20), nullable=False),
    sa.Column('trim_k', sa.Integer(), nullable=False),
    sa.Column('score_visibility', sa.Enum('never', 'after_own', 'after_close', name='scorevisibility', native_enum=False, length=20), nullable=False),
    sa.Column('judges_per_entry', sa.Integer(), nullable=True),
    sa.Column('judge_cap', sa.Integer(), nullable=True),
    sa.Column('by_category', sa.Boolean(), nullable=False),
    sa.Column('promotion_rule', sa.Enum('top_n', 'top_n_per_category', 'threshold', 'manual', name='promotionrule', native_enum=False, length=20), nullable=False),
    sa.Column('promotion_n', sa.Integer(), nullable=True),
    sa.Column('promotion_threshold', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('created_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at', name=op.f('ck_judging_round_window_order')),
    sa.CheckConstraint('judge_cap IS NULL OR judge_cap >= 1', name=op.f('ck_judging_round_judge_cap_positive')),
    sa.CheckConstraint('judges_per_entry IS NULL OR judges_per_entry >= 1', name=op.f('ck_judging_round_judges_per_entry_positive')),
    sa.CheckConstraint('trim_k >= 1', name=op.f('ck_judging_round_trim_k_positive')),
    sa.ForeignKeyConstraint(['contest_id'], ['contest.id'], name=op.f('fk_judging_round_contest_id_contest'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judging_round')),
    sa.UniqueConstraint('contest_id', 'position', name=op.f('uq_judging_round_contest_id_position'))
    )
    op.create_table('round_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('promoted_by_id', sa.Integer(), nullable=True),
    sa.Column('promoted_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_round_entry_entry_id_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promoted_by_id'], ['user.id'], name=op.f('fk_round_entry_promoted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['judging_round.id'], name=op.f('fk_round_entry_round_id_judging_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_entry')),
    sa.UniqueConstraint('round_id', 'entry_id', name=op.f('uq_round_entry_round_id_entry_id'))
    )
    with op.batch_alter_table('round_entry', schema=None) as batch_op:
        batch_op.create_index('ix_round_entry_entry_id', ['entry_id'], unique=False)

    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('blind_description', sa.Text(), nullable=True))
    op.execute(
        "INSERT INTO judging_round (contest_id, position, name, blind, aggregation, trim_k, score_visibility,"
        " by_category, promotion_rule, created_at)"
        " SELECT id, 1, '评审', true, 'mean', 1, 'never', false, 'manual', created_at FROM contest")
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE assignment SET round_id = (SELECT r.id FROM judging_round r JOIN entry e"
        " ON e.contest_id = r.contest_id WHERE e.id = assignment.entry_id AND r.position = 1)")
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_assignment_judge_id_entry_id'), type_='unique')
        batch_op.create_index('ix_assignment_round_id_entry_id', ['round_id', 'entry_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_assignment_round_id_judge_id_entry_id'), ['round_id', 'judge_id', 'entry_id'])
        batch_op.create_foreign_key(batch_op.f('fk_assignment_round_id_judging_round'), 'judging_round', ['round_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignment_round_id_judging_round'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_assignment_round_id_judge_id_entry_id'), type_='unique')
        batch_op.drop_index('ix_assignment_round_id_entry_id')
        batch_op.create_unique_constraint(batch_op.f('uq_assignment_judge_id_entry_id'), ['judge_id', 'entry_id'])
        batch_op.drop_column('round_id')

    with op.batch_alter_table('round_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_round_entry_entry_id')

    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_column('blind_description')
        batch_op.drop_column('blind_title')
    op.drop_table('round_entry')
    op.drop_table('judging_round')
