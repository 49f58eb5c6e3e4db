"""replacement permits and voided reviews

``replacement_permit``: an organizer's permission (who, when, why) for the creator to replace the video of an
entry judges have reviewed; used by the next upload or revoked. ``voided_review``: the reviews that upload
voided, kept as they stood (scores as JSON) with who voided them, when and why; the live ``review`` rows are
deleted, so ``review`` stays unique per assignment.

Revision ID: 24aa8dc97ee6
Revises: d5e8a2c7b914
Create Date: 2026-12-07 21:23:38.663023

"""
from alembic import op
import sqlalchemy as sa

import contest.models.types


# revision identifiers, used by Alembic.
revision = '24aa8dc97ee6'
down_revision = 'd5e8a2c7b914'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('replacement_permit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('allowed_by_id', sa.Integer(), nullable=False),
    sa.Column('allowed_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['allowed_by_id'], ['user.id'], name=op.f('fk_replacement_permit_allowed_by_id_user')),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_replacement_permit_entry_id_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_replacement_permit_revoked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replacement_permit'))
    )
    with op.batch_alter_table('replacement_permit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replacement_permit_entry_id'), ['entry_id'], unique=False)

    op.create_table('voided_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('permit_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', name='reviewstate', native_enum=False, length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('total', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('saved_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', contest.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', contest.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('voided_reason', sa.Text(), nullable=False),
    sa.Column('voided_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_voided_review_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['permit_id'], ['replacement_permit.id'], name=op.f('fk_voided_review_permit_id_replacement_permit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voided_by_id'], ['user.id'], name=op.f('fk_voided_review_voided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voided_review'))
    )
    with op.batch_alter_table('voided_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voided_review_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voided_review_permit_id'), ['permit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('voided_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voided_review_permit_id'))
        batch_op.drop_index(batch_op.f('ix_voided_review_assignment_id'))

    op.drop_table('voided_review')
    with op.batch_alter_table('replacement_permit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replacement_permit_entry_id'))

    op.drop_table('replacement_permit')
