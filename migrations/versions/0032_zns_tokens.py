"""zns tokens: Zalo's OA access and refresh tokens as they stand

Revision ID: 0032_zns_tokens
Revises: 0031_api_key_last_used
Create Date: 2026-12-02 00:10:00

A new `zns_tokens` table (one row) holds the current ZNS access token, its single-use refresh
token, when the access token expires, and the refresher's claim. No existing data: the row is
written from the settings the first time a ZNS message is sent. Downgrade drops the table (the
tokens refreshed since are lost: set the latest pair in the settings before downgrading).
"""

import sqlalchemy as sa
from alembic import op

revision = '0032_zns_tokens'
down_revision = '0031_api_key_last_used'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'zns_tokens',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('seed', sa.String(64), nullable=False),
        sa.Column('claim', sa.String(36), nullable=True),
        sa.Column('claim_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table('zns_tokens')
