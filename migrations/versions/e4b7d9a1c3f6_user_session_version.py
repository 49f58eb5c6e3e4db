"""user: session version (sessions that end)

``session_version`` is written into every session and "remember me" cookie of the user (Flask-Login's id is
``"<id>:<version>"``); logging out, changing the password, deactivating the account and an organizer's "sign
out everywhere" add one to it, so every cookie issued before no longer loads the user. Existing rows start at 1;
sessions issued before this migration (plain ``"<id>"``) are refused: everyone logs in once more.

Revision ID: e4b7d9a1c3f6
Revises: e6f1a9b3c5d7
Create Date: 2026-12-07 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7d9a1c3f6'
down_revision = 'e6f1a9b3c5d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
