"""report indexes: a month's report looks up each proof's item in an index, not in the items table

Revision ID: 0015_report_indexes
Revises: 0014_export_jobs
Create Date: 2026-12-01 17:00:00

The reports (backend/services/reports.py) read a month of proofs, fees and hand-over lines by date
and join each one's item for its office (the scope), agency, procedure and due date. At 1,000,000
items PostgreSQL does that with one primary-key look-up per proof, each visiting the items table's
heap (325 MB in the growth bench) for those four columns. ix_items_report holds them beside the id
(39 MB there): the look-ups are index-only, the heap is never read (docs/scaling.md).

An index only; no row changes. On PostgreSQL it is built CONCURRENTLY (outside the migration's
transaction), so a deployment with years of items keeps taking pushes while it builds.
"""
from alembic import op

revision = '0015_report_indexes'
down_revision = '0014_export_jobs'
branch_labels = None
depends_on = None

NAME, TABLE = 'ix_items_report', 'items'
COLUMNS = ['id', 'office_id', 'agency_id', 'procedure_id', 'due_date']


def _concurrently() -> dict:
    return {'postgresql_concurrently': True} if op.get_bind().dialect.name == 'postgresql' else {}


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(NAME, TABLE, COLUMNS, unique=False, if_not_exists=True, **_concurrently())


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name=TABLE, if_exists=True, **_concurrently())
