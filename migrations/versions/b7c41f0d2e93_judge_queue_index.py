"""assignment: one index for a judge's queue

The judge's queue and its progress read ``(judge_id, entry_id, id)`` of the judge's assignments; with all three
in one index PostgreSQL reads them from the index alone instead of one table page per assignment. The index on
``judge_id`` alone is dropped: the new one starts with it.

Revision ID: b7c41f0d2e93
Revises: 58e7eeae67a9
Create Date: 2026-11-30 06:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7c41f0d2e93'
down_revision = '58e7eeae67a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_judge_queue', ['judge_id', 'entry_id', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_assignment_judge_id'))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_judge_id'), ['judge_id'], unique=False)
        batch_op.drop_index('ix_assignment_judge_queue')
