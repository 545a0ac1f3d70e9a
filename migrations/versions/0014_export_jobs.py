"""export jobs: a report export made by a background job keeps its file until it is fetched

Revision ID: 0014_export_jobs
Revises: 0013_item_search
Create Date: 2026-12-01 16:30:00

background_jobs gains `output`, the file a finished export job made (CSV or XLSX), downloaded by
the supervisor who started it (GET /api/jobs/{id}/file). Existing jobs are imports, which make no
file: the column starts empty for them. A column only (add_column): the table is not rebuilt.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_export_jobs'
down_revision = '0013_item_search'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('background_jobs', sa.Column('output', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('background_jobs') as batch:
        batch.drop_column('output')
