"""entry: the reason of a withdrawal or disqualification, when and by whom

Revision ID: f2a5b8c1d4e6
Revises: e1f4a7b2c9d3
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa

from contest.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'f2a5b8c1d4e6'
down_revision = 'e1f4a7b2c9d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('state_changed_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('state_changed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_entry_state_changed_by_id_user'), 'user',
                                    ['state_changed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_entry_state_changed_by_id_user'), type_='foreignkey')
        for name in ('state_changed_by_id', 'state_changed_at', 'state_reason'):
            batch_op.drop_column(name)
