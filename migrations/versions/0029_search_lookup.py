"""search lookup: a typed phone number found by an index, and the search box's order read from one

Revision ID: 0029_search_lookup
Revises: 0028_agency_handovers
Create Date: 2026-12-01 23:30:00

The search box (GET /api/search, backend/services/search.py) counted and sorted every match of a word
before it could show eight: "nguyễn", which nearly every item holds, took seconds at a million items.
It now reads its matches newest change first and stops at the page (and counts at most 1,000), so it
needs an index in that order: ix_items_updated on (updated_at, id). An S10 code, a dossier code or a
phone number typed whole is looked up directly before the word search; codes have their indexes, the
phone gets a column of its digits in the national form (items.phone_digits: "0912345678" for
"0912 345 678" or "+84 912 345 678", backend.domain.text.phone_digits), filled here for existing rows
(in batches of 1,000, by id, with the function the model uses) and indexed. Indexes are built
CONCURRENTLY on PostgreSQL, as 0024's. Downgrade drops both indexes and the column.
"""
import sqlalchemy as sa
from alembic import op

revision = '0029_search_lookup'
down_revision = '0028_agency_handovers'
branch_labels = None
depends_on = None

BATCH = 1000
INDEXES = (('ix_items_updated', ['updated_at', 'id']), ('ix_items_phone_digits', ['phone_digits']))


def _concurrently() -> dict:
    return {'postgresql_concurrently': True} if op.get_bind().dialect.name == 'postgresql' else {}


def upgrade():
    from backend.domain.text import phone_digits

    op.add_column('items', sa.Column('phone_digits', sa.String(length=20), nullable=True))
    bind = op.get_bind()
    items = sa.table('items', sa.column('id', sa.Integer), sa.column('recipient_phone', sa.String),
                     sa.column('phone_digits', sa.String))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, items.c.recipient_phone)
            .where(items.c.id > last, items.c.recipient_phone.is_not(None)).order_by(items.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, phone in rows:
            bind.execute(items.update().where(items.c.id == row_id).values(phone_digits=phone_digits(phone)))
        last = rows[-1][0]
    with op.get_context().autocommit_block():
        for name, columns in INDEXES:
            op.create_index(name, 'items', columns, if_not_exists=True, **_concurrently())


def downgrade():
    with op.get_context().autocommit_block():
        for name, _ in INDEXES:
            op.drop_index(name, table_name='items', if_exists=True, **_concurrently())
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of items would rename its foreign keys.
    op.drop_column('items', 'phone_digits')
