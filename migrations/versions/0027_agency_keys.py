"""agency keys: machine credentials of an agency's system, and idempotent item creation

Revision ID: 0027_agency_keys
Revises: 0026_notifications
Create Date: 2026-12-01 19:45:00

`api_keys` holds one row per agency system's key: its public prefix, a SHA-256 of the whole key
(the key itself is shown once, at creation), its agency and the system account (a users row of role
`agency`, with no password) it acts as. `item_creations` remembers which item an agency's
Idempotency-Key (or dossier code) created, with a hash of the request body, so a retry returns that
item instead of a second one. Both tables are new: no existing row changes. Downgrade drops them
(the keys stop working; their system accounts stay, disabled by nothing, with no way to sign in).
"""
import sqlalchemy as sa
from alembic import op


revision = '0027_agency_keys'
down_revision = '0026_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_api_keys_agency_id_agencies')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_keys_created_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix')),
        sa.UniqueConstraint('user_id', name=op.f('uq_api_keys_user_id')),
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_agency_id'), ['agency_id'], unique=False)
    op.create_table(
        'item_creations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=255), nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_item_creations_agency_id_agencies')
        ),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_creations_item_id_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_creations')),
        sa.UniqueConstraint('agency_id', 'idempotency_key', name='agency_idempotency_key'),
    )
    with op.batch_alter_table('item_creations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_creations_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('item_creations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_creations_item_id'))
    op.drop_table('item_creations')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_agency_id'))
    op.drop_table('api_keys')
