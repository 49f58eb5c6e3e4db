"""video.sha256 nullable

An original that the browser put straight into the bucket (presigned multipart upload) is hashed and checked
against the contest's rules by the worker, not by the web request: until then its sha256 is NULL.

Revision ID: 58e7eeae67a9
Revises: 1ddd856bb6ba
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '58e7eeae67a9'
down_revision = '1ddd856bb6ba'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)


def downgrade():
    # Originals not checked yet have no hash; the older schema needs one. An empty string keeps the rows (the
    # older code never reads the hash back).
    op.execute(sa.text("UPDATE video SET sha256 = '' WHERE sha256 IS NULL"))
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
