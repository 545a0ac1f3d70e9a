"""payment method: each fee collected at the door was paid in cash or by VietQR transfer

Revision ID: 0012_payment_method
Revises: 0011_growth_indexes
Create Date: 2026-12-01 14:40:00

fee_entries gains service_fee_payment and government_fee_payment ('cash' or 'transfer'). Every
existing entry was cash (the phone had no other way to take money), so both start at 'cash' for the
rows already there and for mutations from phones that do not send them. Columns only (add_column):
fee_entries is not rebuilt.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_payment_method'
down_revision = '0011_growth_indexes'
branch_labels = None
depends_on = None

COLUMNS = ('service_fee_payment', 'government_fee_payment')


def upgrade():
    for name in COLUMNS:
        op.add_column('fee_entries', sa.Column(name, sa.String(8), nullable=False, server_default='cash'))


def downgrade():
    for name in reversed(COLUMNS):
        op.drop_column('fee_entries', name)
