"""search trigram: the search box's LIKE '%word%' on items.search_text through a pg_trgm GIN index

Revision ID: 0024_search_trigram
Revises: 0023_webhooks
Create Date: 2026-12-01 19:40:00

GET /api/search and GET /api/items?q= find items by every folded word anywhere in items.search_text
(backend/services/items.py: search_filter, a LIKE '%word%' per word). No B-tree serves a pattern that
starts with '%', so PostgreSQL read the whole items table for every search. A GIN index with
pg_trgm's gin_trgm_ops answers LIKE '%word%' for any word of three characters or more, with the same
SQL (bench/growth_bench.py, the search_* calls). On PostgreSQL it creates the pg_trgm extension (a
trusted extension since PostgreSQL 13: the database owner may) and builds the index CONCURRENTLY,
outside the migration's transaction, as 0015 and 0021 do. On SQLite, which keeps its LIKE over the
table, the same name is a plain index on the column, so both engines hold the models' schema.
No row changes. Downgrade drops the index and leaves the extension (other objects may use it).
"""
import sqlalchemy as sa
from alembic import op

revision = '0024_search_trigram'
down_revision = '0023_webhooks'
branch_labels = None
depends_on = None

NAME, TABLE = 'ix_items_search_trgm', 'items'


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    if _postgresql():
        op.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    with op.get_context().autocommit_block():
        if _postgresql():
            op.create_index(
                NAME, TABLE, ['search_text'], if_not_exists=True, postgresql_using='gin',
                postgresql_ops={'search_text': 'gin_trgm_ops'}, postgresql_concurrently=True,
            )
        else:
            op.create_index(NAME, TABLE, ['search_text'], if_not_exists=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name=TABLE, if_exists=True,
                      **({'postgresql_concurrently': True} if _postgresql() else {}))
