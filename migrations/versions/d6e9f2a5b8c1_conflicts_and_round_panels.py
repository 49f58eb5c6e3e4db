"""conflicts and round panels: conflict (a judge's recusal or an organizer-entered pair, with source and reason),
round_judge (a round's panel, with the categories each judge judges)

Revision ID: d6e9f2a5b8c1
Revises: c5d8e1f4a7b0
Create Date: 2026-12-08 00:41:31.542210

"""
from alembic import op
import sqlalchemy as sa

import contest.models.types


# revision identifiers, used by Alembic.
revision = 'd6e9f2a5b8c1'
down_revision = 'c5d8e1f4a7b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('round_judge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('category_ids', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['judge_id'], ['user.id'], name=op.f('fk_round_judge_judge_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['judging_round.id'], name=op.f('fk_round_judge_round_id_judging_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_judge')),
    sa.UniqueConstraint('round_id', 'judge_id', name=op.f('uq_round_judge_round_id_judge_id'))
    )
    with op.batch_alter_table('round_judge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_judge_round_id'), ['round_id'], unique=False)

    op.create_table('conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('declared', 'organizer', name='conflictsource', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contest.id'], name=op.f('fk_conflict_contest_id_contest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_conflict_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_conflict_entry_id_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['user.id'], name=op.f('fk_conflict_judge_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflict')),
    sa.UniqueConstraint('judge_id', 'entry_id', name=op.f('uq_conflict_judge_id_entry_id'))
    )
    with op.batch_alter_table('conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflict_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflict_entry_id'), ['entry_id'], unique=False)



def downgrade():
    with op.batch_alter_table('conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_entry_id'))
        batch_op.drop_index(batch_op.f('ix_conflict_contest_id'))

    op.drop_table('conflict')
    with op.batch_alter_table('round_judge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_judge_round_id'))

    op.drop_table('round_judge')
