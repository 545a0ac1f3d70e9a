"""the commit log: the change feed without one row locked for each writing transaction

Revision ID: 0010_commit_log
Revises: 0009_post_offices
Create Date: 2026-12-01 13:20:00

Every writing transaction now inserts its own commit_log row (its ticket) and stamps what it
changes with it; it takes its sequence number from sync_clock only at COMMIT
(docs/decisions/0006-commit-log.md). The change_seq columns and sync_scope_removals.seq keep
their names and now hold tickets. Existing values carry over as tickets whose commit_log row has
seq = the old number, so every cursor a phone holds stays valid; new tickets start above them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_commit_log'
down_revision = '0009_post_offices'
branch_labels = None
depends_on = None

STAMPED = (("items", "change_seq"), ("rounds", "change_seq"), ("procedures", "change_seq"), ("sync_scope_removals", "seq"))


def upgrade():
    op.create_table(
        'commit_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=True),
        sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commit_log')),
        sa.UniqueConstraint('seq', name=op.f('uq_commit_log_seq')),
    )
    numbers = " UNION ".join(f"SELECT {column} AS n FROM {table}" for table, column in STAMPED)
    op.execute(f"INSERT INTO commit_log (id, seq) SELECT n, n FROM ({numbers}) AS stamped WHERE n > 0")
    if op.get_bind().dialect.name == "postgresql":
        # SQLite numbers a new row max(id) + 1 by itself; PostgreSQL's sequence must be moved past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('commit_log', 'id'), GREATEST(1, "
            "(SELECT COALESCE(MAX(id), 0) FROM commit_log), (SELECT COALESCE(MAX(seq), 0) FROM sync_clock)))"
        )


def downgrade():
    # Tickets back to sequence numbers; a change whose transaction never committed never was.
    for table, column in STAMPED:
        op.execute(
            f"UPDATE {table} SET {column} = COALESCE("
            f"(SELECT seq FROM commit_log WHERE commit_log.id = {table}.{column}), 0)"
        )
    op.drop_table('commit_log')
