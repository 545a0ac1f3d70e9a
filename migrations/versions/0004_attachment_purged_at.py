"""attachments.purged_at: photos deleted after the retention period

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.drop_column('purged_at')
