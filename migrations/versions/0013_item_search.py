"""item search: every item's folded search text refilled, and the item page's audit look-up indexed

Revision ID: 0013_item_search
Revises: 0012_payment_method
Create Date: 2026-12-01 16:30:00

The search box (GET /api/search) finds items by code, dossier code, name, phone and address with
or without diacritics through items.search_text. Until now each write path filled it by hand, so a
row written by a path that forgot (or before the phone was part of it) could be missing words; from
now on the model fills it on every insert and update. The data step refolds every existing row
(in batches of 1,000, by id) with the function the model uses (backend.domain.text.search_text:
the folded fields plus the phone's digits run together, so "0912345678" finds "0912 345 678"), so a
row written before this revision is found like a new one.

The item page (GET /api/items/{id}/timeline) reads an item's audit entries by (entity_type,
entity_id): an index on those two, built CONCURRENTLY on PostgreSQL like 0011's.

Downgrade drops the index; the refilled text stays (it is what the column always meant).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_item_search'
down_revision = '0012_payment_method'
branch_labels = None
depends_on = None

FIELDS = ('code', 'dossier_code', 'recipient_name', 'recipient_phone', 'address_line', 'commune', 'province',
          'old_address')
INDEX = ('ix_audit_log_entity', 'audit_log', ['entity_type', 'entity_id'])
BATCH = 1000


def _concurrently() -> dict:
    return {'postgresql_concurrently': True} if op.get_bind().dialect.name == 'postgresql' else {}


def upgrade():
    from backend.domain.text import search_text

    bind = op.get_bind()
    items = sa.table('items', sa.column('id', sa.Integer), sa.column('search_text', sa.String),
                     *(sa.column(name, sa.String) for name in FIELDS))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, *(items.c[name] for name in FIELDS))
            .where(items.c.id > last).order_by(items.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                items.update().where(items.c.id == row[0]).values(
                    search_text=search_text(list(row[1:]), row[1 + FIELDS.index('recipient_phone')])
                )
            )
        last = rows[-1][0]
    name, table, columns = INDEX
    with op.get_context().autocommit_block():
        op.create_index(name, table, columns, unique=False, if_not_exists=True, **_concurrently())


def downgrade():
    name, table, _ = INDEX
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, if_exists=True, **_concurrently())
