"""play_view: the last counted play of each viewer of an entry (one play per viewer per PLAY_WINDOW_S)

Revision ID: e1f4a7b2c9d3
Revises: e4b7d9a1c3f6
Create Date: 2026-12-07 21:30:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'e1f4a7b2c9d3'
down_revision = 'e4b7d9a1c3f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'play_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('viewer_key', sa.String(length=100), nullable=False),
        sa.Column('counted_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_play_view_entry_id_entry'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_play_view')),
        sa.UniqueConstraint('entry_id', 'viewer_key', name=op.f('uq_play_view_entry_id_viewer_key')),
    )


def downgrade():
    op.drop_table('play_view')
