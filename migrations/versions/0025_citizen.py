"""citizen: the citizen's answer on items (another day, a stand-in, pickup) and complaints

Revision ID: 0025_citizen
Revises: 0024_search_trigram
Create Date: 2026-12-01 19:40:00

Four nullable columns on items (existing rows carry no answer: nothing to fill in) and a new
complaints table (docs/citizen.md).
"""
import sqlalchemy as sa
from alembic import op

revision = '0025_citizen'
down_revision = '0024_search_trigram'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN (SQLite has both): a batch copy of `items` would rewrite its foreign keys
    # and break 0009's downgrade.
    op.add_column('items', sa.Column('citizen_choice', sa.String(length=16), nullable=True))
    op.add_column('items', sa.Column('citizen_day', sa.Date(), nullable=True))
    op.add_column('items', sa.Column('stand_in_name', sa.String(length=200), nullable=True))
    op.add_column('items', sa.Column('citizen_choice_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'complaints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.String(length=2000), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('answer', sa.String(length=2000), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['answered_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['item_id'], ['items.id']),
        sa.ForeignKeyConstraint(['office_id'], ['post_offices.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_complaints_item_id', 'complaints', ['item_id'])
    op.create_index('ix_complaints_office_id', 'complaints', ['office_id'])
    op.create_index('ix_complaints_filed_at', 'complaints', ['filed_at'])


def downgrade():
    op.drop_index('ix_complaints_filed_at', table_name='complaints')
    op.drop_index('ix_complaints_office_id', table_name='complaints')
    op.drop_index('ix_complaints_item_id', table_name='complaints')
    op.drop_table('complaints')
    for name in ('citizen_choice_at', 'stand_in_name', 'citizen_day', 'citizen_choice'):
        op.drop_column('items', name)
