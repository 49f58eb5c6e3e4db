"""export_job: big exports written in the background, downloaded when ready

Revision ID: a7e2c5f8b1d4
Revises: c7e2a9d4f1b3
Create Date: 2026-12-08 01:15:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a7e2c5f8b1d4'
down_revision = 'c7e2a9d4f1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('format', sa.Enum('csv', 'xlsx', name='exportformat', native_enum=False, length=20),
                  nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', 'expired', name='exportstate',
                                   native_enum=False, length=20), nullable=False),
        sa.Column('storage_key', sa.String(length=255), nullable=True),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('bytes', sa.BigInteger(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['contest_id'], ['contest.id'], name=op.f('fk_export_job_contest_id_contest'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'],
                                name=op.f('fk_export_job_requested_by_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job')),
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_export_job_requested_by_id_created_at', ['requested_by_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index('ix_export_job_requested_by_id_created_at')
        batch_op.drop_index(batch_op.f('ix_export_job_expires_at'))
        batch_op.drop_index(batch_op.f('ix_export_job_state'))
        batch_op.drop_index(batch_op.f('ix_export_job_contest_id'))
    op.drop_table('export_job')
