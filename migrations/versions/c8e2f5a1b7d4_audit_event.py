"""audit_event: the append-only audit trail (who, when, from which address, what, before and after), its
indexes for the organizers' filters, and the triggers by which the database refuses UPDATE and DELETE (and
TRUNCATE on PostgreSQL)

Revision ID: c8e2f5a1b7d4
Revises: d6e9f2a5b8c1
Create Date: 2026-12-08 00:40:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.audit import append_only_ddl
from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c8e2f5a1b7d4'
down_revision = 'd6e9f2a5b8c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_ip', sa.String(length=45), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=True),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('subject_user_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_contest', ['contest_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_contest_action', ['contest_id', 'action', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_contest_at', ['contest_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_event_entry', ['entry_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_subject', ['subject_user_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_at', ['at'], unique=False)
    for ddl in append_only_ddl(op.get_bind().dialect.name):
        op.execute(ddl)


def downgrade():
    op.drop_table('audit_event')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS audit_event_refuse_change()')
