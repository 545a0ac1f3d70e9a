"""notifications: the outbox of messages to citizens, the log of every attempt, the opt-outs

Revision ID: 0026_notifications
Revises: 0025_citizen
Create Date: 2026-12-01 19:45:00

Three new tables (docs/notifications.md): notifications (one row per item and event key, unique;
written with the change that causes it, sent by the worker), notification_attempts (every try, its
provider id, status and error) and notification_opt_outs (a phone or an item that gets nothing).
Existing data: no message was ever sent before this revision, so no row is made (items already
delivered or failed are not told after the fact). No existing table changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026_notifications'
down_revision = '0025_citizen'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claim', sa.String(length=36), nullable=True),
        sa.Column('provider_id', sa.String(length=100), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_notifications_item_id_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('item_id', 'key', name=op.f('uq_notifications_item_id')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_notifications_status_due', ['status', 'due_at'], unique=False)
    op.create_table(
        'notification_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('http_status', sa.Integer(), nullable=True),
        sa.Column('provider_id', sa.String(length=100), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ['notification_id'],
            ['notifications.id'],
            name=op.f('fk_notification_attempts_notification_id_notifications'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_attempts')),
    )
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_notification_attempts_notification_id'), ['notification_id'], unique=False
        )
    op.create_table(
        'notification_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_notification_opt_outs_created_by_id_users')
        ),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_notification_opt_outs_item_id_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_opt_outs')),
        sa.UniqueConstraint('item_id', name=op.f('uq_notification_opt_outs_item_id')),
        sa.UniqueConstraint('phone', name=op.f('uq_notification_opt_outs_phone')),
    )


def downgrade():
    op.drop_table('notification_opt_outs')
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_attempts_notification_id'))
    op.drop_table('notification_attempts')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_due')
        batch_op.drop_index(batch_op.f('ix_notifications_item_id'))
    op.drop_table('notifications')
