"""round version: each change to a round's plan carries the version the supervisor saw

Revision ID: 0019_round_version
Revises: 0018_session_end_reason
Create Date: 2026-12-01 16:50:00

rounds gains `version` (an integer, 1 for a new round): every planning change (assign, unassign,
reorder, optimise, close, a bulk assign, an item moved to another round) adds one, and a change sent
with If-Match of an older version is refused 412 (docs/dashboard.md, "Two supervisors, one round").
Rounds already there start at version 1: no client holds an older one. A column only (add_column).
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_round_version'
down_revision = '0018_session_end_reason'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('rounds', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    op.drop_column('rounds', 'version')
