"""contest_declaration, declaration_acceptance: the statements a creator accepts to submit (原创承诺, rights,
AIGC 声明), per contest with a version, and what each entry accepted (version, SHA-256, text, time, AIGC answer)

Revision ID: a3b6c9d2e5f8
Revises: f2a5b8c1d4e6
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'a3b6c9d2e5f8'
down_revision = 'f2a5b8c1d4e6'
branch_labels = None
depends_on = None

KEY = sa.Enum('originality', 'rights', 'aigc', name='declarationkey', native_enum=False, length=20)
AIGC_USE = sa.Enum('none', 'partly', 'mainly', name='aigcuse', native_enum=False, length=20)


def upgrade():
    op.create_table(
        'contest_declaration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=False),
        sa.Column('key', KEY, nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['contest_id'], ['contest.id'],
                                name=op.f('fk_contest_declaration_contest_id_contest'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'],
                                name=op.f('fk_contest_declaration_updated_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_declaration')),
        sa.UniqueConstraint('contest_id', 'key',
                            name=op.f('uq_contest_declaration_contest_id_key')),
    )
    op.create_table(
        'declaration_acceptance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('key', KEY, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('accepted_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('aigc_use', AIGC_USE, nullable=True),
        sa.Column('aigc_tools', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id'],
                                name=op.f('fk_declaration_acceptance_entry_id_entry'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_acceptance')),
        sa.UniqueConstraint('entry_id', 'key',
                            name=op.f('uq_declaration_acceptance_entry_id_key')),
    )


def downgrade():
    op.drop_table('declaration_acceptance')
    op.drop_table('contest_declaration')
