"""fee taken index: a day's cash per postman reads fees by when the money changed hands, in an index

Revision ID: 0021_fee_taken_index
Revises: 0020_handover_evidence
Create Date: 2026-12-01 18:00:00

The Today page's cash per postman (backend/services/cash.py, migration 0016) sums the day's fees by
coalesce(device_time, server_time): the phone's time of the proof, else the server's. Without an
index on that expression PostgreSQL read the whole fee_entries table on every poll (988,995 rows at
1,000,000 items in bench/growth_bench.py). An expression index, no row changes; on PostgreSQL built
CONCURRENTLY, outside the migration's transaction, as 0015 is.
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_fee_taken_index'
down_revision = '0020_handover_evidence'
branch_labels = None
depends_on = None

NAME, TABLE = 'ix_fee_entries_taken', 'fee_entries'


def _concurrently() -> dict:
    return {'postgresql_concurrently': True} if op.get_bind().dialect.name == 'postgresql' else {}


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            NAME, TABLE, [sa.text('coalesce(device_time, server_time)')], if_not_exists=True, **_concurrently()
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name=TABLE, if_exists=True, **_concurrently())
