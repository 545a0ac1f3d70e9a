"""agency bank account: the VietQR payee of the government fee paid at the door

Revision ID: 0017_agency_bank_account
Revises: 0016_cash_handover
Create Date: 2026-12-01 17:05:00

agencies gains bank_bin (the bank's six-digit NAPAS BIN), bank_account and bank_account_name, as
post offices have for the service fee. No agency had an account before, so the columns start empty
(NULL) for the rows already there: the phone then says the government fee is taken in cash. Columns
only (add_column): agencies is not rebuilt, and every existing row keeps its data.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_agency_bank_account'
down_revision = '0016_cash_handover'
branch_labels = None
depends_on = None

COLUMNS = (('bank_bin', 8), ('bank_account', 32), ('bank_account_name', 100))


def upgrade():
    for name, length in COLUMNS:
        op.add_column('agencies', sa.Column(name, sa.String(length), nullable=True))


def downgrade():
    for name, _ in reversed(COLUMNS):
        op.drop_column('agencies', name)
