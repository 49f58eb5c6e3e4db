"""deadline_extension (a later deadline for one creator of a contest, with the reason, who and when);
video.upload_started_at (an upload begun before the deadline may finish within UPLOAD_GRACE_S)

Revision ID: b4c7d0e3f6a9
Revises: a3b6c9d2e5f8
Create Date: 2026-12-07 22:30:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b4c7d0e3f6a9'
down_revision = 'a3b6c9d2e5f8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deadline_extension',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=False),
        sa.Column('creator_id', sa.Integer(), nullable=False),
        sa.Column('closes_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contest_id'], ['contest.id'],
                                name=op.f('fk_deadline_extension_contest_id_contest'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['creator_id'], ['user.id'],
                                name=op.f('fk_deadline_extension_creator_id_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'],
                                name=op.f('fk_deadline_extension_granted_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_extension')),
        sa.UniqueConstraint('contest_id', 'creator_id',
                            name=op.f('uq_deadline_extension_contest_id_creator_id')),
    )
    with op.batch_alter_table('deadline_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_extension_creator_id'), ['creator_id'], unique=False)
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_started_at', UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_column('upload_started_at')
    op.drop_table('deadline_extension')
