"""api keys: when each was last used

Revision ID: 0031_api_key_last_used
Revises: 0030_webhook_secrets
Create Date: 2026-12-01 23:40:00

api_keys gains `last_used_at` (UTC; written at most once a minute per key, on a request it
authenticates). Existing keys have no recorded use: null ("never", or used before this revision).
Downgrade drops the column.
"""
import sqlalchemy as sa
from alembic import op


revision = '0031_api_key_last_used'
down_revision = '0030_webhook_secrets'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_keys', sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.drop_column('last_used_at')
