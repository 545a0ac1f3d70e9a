"""session end reason: why a login ended, so the page can say it

Revision ID: 0018_session_end_reason
Revises: 0017_agency_bank_account
Create Date: 2026-12-01 17:00:00

A refused refresh now tells the app why the login ended (signed out, password changed, account
disabled, device revoked, refresh token reused, or expired): login_sessions.end_reason, written by
every path that revokes a session (backend/auth/tokens.py). Logins already ended before this
revision get 'revoked' (the reason was not recorded); live ones stay NULL.

Downgrade drops the column.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_session_end_reason'
down_revision = '0017_agency_bank_account'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_sessions') as batch:
        batch.add_column(sa.Column('end_reason', sa.String(length=24), nullable=True))
    op.execute("UPDATE login_sessions SET end_reason = 'revoked' WHERE revoked_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('login_sessions') as batch:
        batch.drop_column('end_reason')
