"""the sync clock's single row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 17:50:00

The pull cursor's counter lives in one row (sync.changes.take_seq). Creating it here means
two first writers on a fresh database never race to insert it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    clock = sa.table("sync_clock", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger))
    op.bulk_insert(clock, [{"id": 1, "seq": 0}])


def downgrade():
    op.execute("DELETE FROM sync_clock WHERE id = 1")
