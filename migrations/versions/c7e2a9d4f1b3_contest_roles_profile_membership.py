"""Roles per contest and the people behind accounts: user.is_admin replaces user.role; contest_role (organizer /
judge / supervisor granted in one contest); the profile (real name, phone, unit, MCN) and platform_account;
alliance membership (state, note, reason); contest.members_only.

Data: every organizer becomes a site administrator with an organizer grant on every contest; every judge gets a
judge grant on every contest where they hold an assignment. Downgrade gives admins back the role "organizer",
users with a judge grant "judge", everyone else "creator".

Revision ID: c7e2a9d4f1b3
Revises: c8e2f5a1b7d4
Create Date: 2026-12-08 00:30:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c7e2a9d4f1b3'
down_revision = 'c8e2f5a1b7d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('real_name', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('unit', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('mcn', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('membership', sa.Enum('pending', 'approved', 'refused', name='membership',
                                                            native_enum=False, length=20),
                                      server_default='approved', nullable=False))
        batch_op.add_column(sa.Column('membership_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('membership_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('membership_decided_at', UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('contest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'contest_role',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.Enum('organizer', 'judge', 'supervisor', name='contestrolename', native_enum=False,
                                  length=20), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contest_id'], ['contest.id'], name=op.f('fk_contest_role_contest_id_contest'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_contest_role_user_id_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_contest_role_granted_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_role')),
        sa.UniqueConstraint('contest_id', 'user_id', 'role', name=op.f('uq_contest_role_contest_id_user_id_role')),
    )
    with op.batch_alter_table('contest_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_role_user_id'), ['user_id'], unique=False)
    op.create_table(
        'platform_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.Enum('douyin', 'kuaishou', 'shipinhao', 'bilibili', 'xiaohongshu', 'weibo',
                                      'xigua', 'toutiao', 'other', name='platform', native_enum=False, length=20),
                  nullable=False),
        sa.Column('account_id', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_platform_account_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_account')),
        sa.UniqueConstraint('user_id', 'platform', 'account_id',
                            name=op.f('uq_platform_account_user_id_platform_account_id')),
    )
    with op.batch_alter_table('platform_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_account_user_id'), ['user_id'], unique=False)

    op.execute("UPDATE \"user\" SET is_admin = (role = 'organizer')")
    op.execute("INSERT INTO contest_role (contest_id, user_id, role, granted_at) "
               "SELECT contest.id, \"user\".id, 'organizer', CURRENT_TIMESTAMP FROM contest, \"user\" "
               "WHERE \"user\".role = 'organizer'")
    op.execute("INSERT INTO contest_role (contest_id, user_id, role, granted_at) "
               "SELECT DISTINCT entry.contest_id, assignment.judge_id, 'judge', CURRENT_TIMESTAMP "
               "FROM assignment JOIN entry ON entry.id = assignment.entry_id "
               "JOIN \"user\" ON \"user\".id = assignment.judge_id WHERE \"user\".role = 'judge'")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('role')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.Enum('creator', 'judge', 'organizer', name='role',
                                                      native_enum=False, length=20),
                                      server_default='creator', nullable=False))
    op.execute("UPDATE \"user\" SET role = 'judge' WHERE id IN (SELECT user_id FROM contest_role "
               "WHERE role = 'judge')")
    op.execute("UPDATE \"user\" SET role = 'organizer' WHERE is_admin")
    op.drop_table('platform_account')
    op.drop_table('contest_role')
    with op.batch_alter_table('contest', schema=None) as batch_op:
        batch_op.drop_column('members_only')
    with op.batch_alter_table('user', schema=None) as batch_op:
        for column in ('membership_decided_at', 'membership_reason', 'membership_note', 'membership', 'mcn',
                       'unit', 'phone', 'real_name', 'is_admin'):
            batch_op.drop_column(column)
