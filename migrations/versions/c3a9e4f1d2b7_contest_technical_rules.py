"""contest technical rules: containers, video codecs, resolution, frame rate, sound; orientation "square"

Per-contest requirements a video must meet (checked by contest.services.media.rules). Every new column means
"no limit" when empty or NULL, so existing contests keep today's behaviour. The orientation column gains the
value "square": it is a VARCHAR(20) with no CHECK on its values, so that needs no DDL.

Revision ID: c3a9e4f1d2b7
Revises: b7c41f0d2e93
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e4f1d2b7'
down_revision = 'b7c41f0d2e93'
branch_labels = None
depends_on = None

CHECKS = {
    'ck_contest_resolution_sides':
        "(min_short_px IS NULL OR min_short_px > 0) AND (max_short_px IS NULL OR max_short_px > 0)"
        " AND (min_long_px IS NULL OR (min_short_px IS NOT NULL AND min_short_px <= min_long_px))"
        " AND (max_long_px IS NULL OR (max_short_px IS NOT NULL AND max_short_px <= max_long_px))",
    'ck_contest_resolution_window':
        "min_short_px IS NULL OR max_short_px IS NULL"
        " OR (min_short_px <= max_short_px AND (min_long_px IS NULL OR max_long_px IS NULL"
        " OR min_long_px <= max_long_px))",
    'ck_contest_fps_window':
        "(min_fps IS NULL OR min_fps > 0) AND (max_fps IS NULL OR max_fps > 0)"
        " AND (min_fps IS NULL OR max_fps IS NULL OR min_fps <= max_fps)",
}


def upgrade():
    with op.batch_alter_table('contest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_containers', sa.String(length=100), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('allowed_video_codecs', sa.String(length=100), server_default='',
                                      nullable=False))
        for name in ('min_short_px', 'min_long_px', 'max_short_px', 'max_long_px'):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_fps', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('max_fps', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('audio_required', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(op.f(name), condition)


def downgrade():
    # The older schema knows no square requirement; "any" is the nearest rule it can express.
    op.execute(sa.text("UPDATE contest SET orientation = 'any' WHERE orientation = 'square'"))
    with op.batch_alter_table('contest', schema=None) as batch_op:
        for name in reversed(list(CHECKS)):
            batch_op.drop_constraint(op.f(name), type_='check')
        for name in ('audio_required', 'max_fps', 'min_fps', 'max_long_px', 'max_short_px', 'min_long_px',
                     'min_short_px', 'allowed_video_codecs', 'allowed_containers'):
            batch_op.drop_column(name)
