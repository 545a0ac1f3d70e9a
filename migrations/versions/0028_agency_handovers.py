"""agency handovers: electronic records signed by both sides, and the agency's hold/cancel requests

Revision ID: 0028_agency_handovers
Revises: 0027_agency_keys
Create Date: 2026-12-01 19:40:00

handovers gains `status` (signed, awaiting_post, awaiting_agency), `signed_at` (server time of the
second signature: the record's legal time), `signed_by_id` and `signer_name`. Existing records were
typed from signed paper: they become `signed` (the server default) with no `signed_at` (their legal
time is on the paper). A new `item_requests` table holds an agency's requests to hold or cancel an
item. Downgrade drops the table and the columns (electronic records awaiting a signature become
indistinguishable from signed ones: downgrade only a deployment that has none).
"""
import sqlalchemy as sa
from alembic import op


revision = '0028_agency_handovers'
down_revision = '0027_agency_keys'
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # Existing records were typed from signed paper: `signed`, with no electronic signed time.
    op.add_column('handovers', sa.Column('status', sa.String(length=16), nullable=False, server_default='signed'))
    op.add_column('handovers', sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('handovers', sa.Column('signer_name', sa.String(length=200), nullable=True))
    # SQLite: the reference inline with the new column (no table rebuild: other tables refer to handovers).
    if sqlite:
        column = sa.Column('signed_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True)
        op.add_column('handovers', column, inline_references=True)
    else:
        op.add_column('handovers', sa.Column('signed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_handovers_signed_by_id_users'), 'handovers', 'users', ['signed_by_id'], ['id']
        )
    op.create_table(
        'item_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.CheckConstraint("kind in ('hold', 'cancel')", name=op.f('ck_item_requests_item_request_kind_known')),
        sa.CheckConstraint(
            "status in ('open', 'done', 'declined')", name=op.f('ck_item_requests_item_request_status_known')
        ),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_item_requests_agency_id_agencies')),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_requests_item_id_items')),
        sa.ForeignKeyConstraint(
            ['requested_by_id'], ['users.id'], name=op.f('fk_item_requests_requested_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['resolved_by_id'], ['users.id'], name=op.f('fk_item_requests_resolved_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_requests')),
    )
    with op.batch_alter_table('item_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_requests_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_requests_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_requests_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('item_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_requests_status'))
        batch_op.drop_index(batch_op.f('ix_item_requests_item_id'))
        batch_op.drop_index(batch_op.f('ix_item_requests_agency_id'))
    op.drop_table('item_requests')
    # Dropped in place (SQLite's own DROP COLUMN), never by batch mode's table copy (see 0020).
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_handovers_signed_by_id_users'), 'handovers', type_='foreignkey')
    for column in ('signed_by_id', 'signer_name', 'signed_at', 'status'):
        op.drop_column('handovers', column)
