"""growth indexes: what the dashboard asks at every poll stays flat as the history grows

Revision ID: 0011_growth_indexes
Revises: 0010_commit_log
Create Date: 2026-12-01 13:00:00

Two indexes (bench/growth_bench.py found the sequential scans they replace, docs/scaling.md):

- delivery_attempts (round_id): the day's proofs per round (dashboard today, map);
- sync_mutations (device_id, received_at): the day's ledger rows per phone (dashboard today).

Indexes only; no row changes. On PostgreSQL they are built CONCURRENTLY (outside the migration's
transaction), so a deployment with years of proofs keeps taking pushes while they build.
"""
from alembic import op

revision = '0011_growth_indexes'
down_revision = '0010_commit_log'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_delivery_attempts_round_id', 'delivery_attempts', ['round_id']),
    ('ix_sync_mutations_device_received', 'sync_mutations', ['device_id', 'received_at']),
)


def _concurrently() -> dict:
    return {'postgresql_concurrently': True} if op.get_bind().dialect.name == 'postgresql' else {}


def upgrade():
    with op.get_context().autocommit_block():
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, unique=False, if_not_exists=True, **_concurrently())


def downgrade():
    with op.get_context().autocommit_block():
        for name, table, _ in INDEXES:
            op.drop_index(name, table_name=table, if_exists=True, **_concurrently())
