"""cash handover: the cash a postman hands to the post office at the end of the day

Revision ID: 0016_cash_handover
Revises: 0015_report_indexes
Create Date: 2026-12-01 16:40:00

A new table, cash_handovers: per record the postman, the office, the day, the service-fee cash and
the government-fee cash handed over, its status (declared by the phone / received by a supervisor),
who received it and when. Existing data: before this revision nothing recorded a postman handing
cash to the office, so no row is made; every fee collected in cash before it reads as outstanding
until a supervisor records its handover (docs/dashboard.md, "Cash per postman"). No existing table
changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_cash_handover'
down_revision = '0015_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cash_handovers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_mutation_id', sa.String(length=64), nullable=True),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('postman_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_fee_cash', sa.Integer(), nullable=False),
        sa.Column('government_fee_cash', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('flag_reason', sa.String(length=32), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'service_fee_cash >= 0 AND government_fee_cash >= 0',
            name=op.f('ck_cash_handovers_cash_amounts_non_negative'),
        ),
        sa.CheckConstraint(
            "status in ('declared', 'received')", name=op.f('ck_cash_handovers_cash_status_known')
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_cash_handovers_created_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['office_id'], ['post_offices.id'], name=op.f('fk_cash_handovers_office_id_post_offices')
        ),
        sa.ForeignKeyConstraint(['postman_id'], ['users.id'], name=op.f('fk_cash_handovers_postman_id_users')),
        sa.ForeignKeyConstraint(
            ['received_by_id'], ['users.id'], name=op.f('fk_cash_handovers_received_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_handovers')),
        sa.UniqueConstraint('client_mutation_id', name=op.f('uq_cash_handovers_client_mutation_id')),
    )
    with op.batch_alter_table('cash_handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_handovers_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_handovers_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_handovers_postman_id'), ['postman_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cash_handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_handovers_postman_id'))
        batch_op.drop_index(batch_op.f('ix_cash_handovers_office_id'))
        batch_op.drop_index(batch_op.f('ix_cash_handovers_day'))
    op.drop_table('cash_handovers')
