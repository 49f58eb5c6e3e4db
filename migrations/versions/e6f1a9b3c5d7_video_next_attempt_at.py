"""video: next_attempt_at — when a video whose last processing attempt failed for a server-side reason
(ffmpeg missing, disk full, storage down) is tried again; NULL otherwise (existing rows too)

Revision ID: e6f1a9b3c5d7
Revises: 24aa8dc97ee6
Create Date: 2026-12-07 21:30:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'e6f1a9b3c5d7'
down_revision = '24aa8dc97ee6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
