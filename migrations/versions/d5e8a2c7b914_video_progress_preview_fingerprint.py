"""video: processing progress, technical error detail, preview (小样), chosen poster moment, fingerprint

``progress`` (0..1) is written by the worker while ffmpeg runs; ``error_detail`` keeps the technical cause of a
failure for organizers; ``preview_key``/``preview_bytes`` the small preview copy; ``poster_time_s`` the
poster moment a creator chose; ``fingerprint`` (16 frames × 64-bit pHash, hex) and ``similar_entry_id`` /
``similar_distance`` flag a re-encoded copy of another entry. ``duration_s`` is indexed: similar videos are
looked up among those of about the same duration. Existing rows: progress 1.0 when ready (0 otherwise), the
rest NULL (no fingerprint until a video is processed again).

Revision ID: d5e8a2c7b914
Revises: c3a9e4f1d2b7
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e8a2c7b914'
down_revision = 'c3a9e4f1d2b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Double(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('preview_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('preview_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('poster_time_s', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('similar_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('similar_distance', sa.Double(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_video_similar_entry_id_entry'), 'entry',
                                    ['similar_entry_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_video_similar_entry_id'), ['similar_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_video_duration_s'), ['duration_s'], unique=False)
    op.execute(sa.text("UPDATE video SET progress = 1 WHERE state = 'ready'"))


def downgrade():
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_duration_s'))
        batch_op.drop_index(batch_op.f('ix_video_similar_entry_id'))
        batch_op.drop_constraint(batch_op.f('fk_video_similar_entry_id_entry'), type_='foreignkey')
        for name in ('similar_distance', 'similar_entry_id', 'fingerprint', 'poster_time_s', 'preview_bytes',
                     'preview_key', 'progress', 'error_detail'):
            batch_op.drop_column(name)
