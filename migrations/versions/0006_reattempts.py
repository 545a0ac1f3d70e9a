"""Re-attempts, proof reviews, acknowledged exceptions

items.invitation_count / last_invitation_on (the regulation's invitations, spaced by working
days), delivery_attempts.review / review_note / reviewed_by_id / counts_as_invitation, and the
exception_acks table. Existing data is carried over: every failed visit so far counts as an
invitation (they were made under the old rules), and a flagged proof that was "resolved" is
recorded as rejected (its item never moved).

Revision ID: 0006_reattempts
Revises: 0005_token_sessions
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_reattempts'
down_revision = '0005_token_sessions'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Plain ADD COLUMN: a batch copy of items / delivery_attempts would drop tables that other
        # rows reference, which SQLite's foreign-key enforcement refuses on a database with data.
        op.execute("ALTER TABLE items ADD COLUMN invitation_count INTEGER NOT NULL DEFAULT 0 "
                   "CONSTRAINT ck_items_invitation_count_non_negative CHECK (invitation_count >= 0)")
        op.execute("ALTER TABLE items ADD COLUMN last_invitation_on DATE")
        op.execute("ALTER TABLE delivery_attempts ADD COLUMN review VARCHAR(16)")
        op.execute("ALTER TABLE delivery_attempts ADD COLUMN review_note VARCHAR(1000)")
        op.execute("ALTER TABLE delivery_attempts ADD COLUMN reviewed_by_id INTEGER "
                   "CONSTRAINT fk_delivery_attempts_reviewed_by_id_users REFERENCES users (id)")
        op.execute("ALTER TABLE delivery_attempts ADD COLUMN counts_as_invitation BOOLEAN")
    else:
        op.add_column('items', sa.Column('invitation_count', sa.Integer(), nullable=False, server_default='0'))
        op.add_column('items', sa.Column('last_invitation_on', sa.Date(), nullable=True))
        op.create_check_constraint(op.f('ck_items_invitation_count_non_negative'), 'items', 'invitation_count >= 0')
        op.alter_column('items', 'invitation_count', server_default=None)
        op.add_column('delivery_attempts', sa.Column('review', sa.String(length=16), nullable=True))
        op.add_column('delivery_attempts', sa.Column('review_note', sa.String(length=1000), nullable=True))
        op.add_column('delivery_attempts', sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        op.add_column('delivery_attempts', sa.Column('counts_as_invitation', sa.Boolean(), nullable=True))
        op.create_foreign_key('fk_delivery_attempts_reviewed_by_id_users', 'delivery_attempts', 'users',
                              ['reviewed_by_id'], ['id'])
    op.create_table(
        'exception_acks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('subject', sa.String(length=96), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'subject', name='exception_ack_subject'),
    )

    # Carry the data over.
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE items SET invitation_count = attempt_count"))
    last = conn.execute(sa.text(
        "SELECT item_id, MAX(COALESCE(device_time, server_time)) FROM delivery_attempts "
        "WHERE outcome = 'failed' AND flagged = :no GROUP BY item_id"), {"no": False}).all()
    for item_id, at in last:
        day = at.date() if hasattr(at, 'date') else str(at)[:10]
        conn.execute(sa.text("UPDATE items SET last_invitation_on = :day WHERE id = :id"),
                     {"day": day, "id": item_id})
    conn.execute(sa.text("UPDATE delivery_attempts SET counts_as_invitation = :yes "
                         "WHERE outcome = 'failed' AND flagged = :no"), {"yes": True, "no": False})
    conn.execute(sa.text("UPDATE delivery_attempts SET review = 'rejected', "
                         "review_note = 'Resolved before accept/reject existed; see the audit log.' "
                         "WHERE flagged = :yes AND resolved_at IS NOT NULL"), {"yes": True})


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_table('exception_acks')
    with op.batch_alter_table('delivery_attempts') as batch_op:
        if not sqlite:  # on SQLite the copy without the column drops its inline foreign key too
            batch_op.drop_constraint('fk_delivery_attempts_reviewed_by_id_users', type_='foreignkey')
        batch_op.drop_column('counts_as_invitation')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('review_note')
        batch_op.drop_column('review')
    with op.batch_alter_table('items') as batch_op:
        batch_op.drop_constraint(op.f('ck_items_invitation_count_non_negative'), type_='check')
        batch_op.drop_column('last_invitation_on')
        batch_op.drop_column('invitation_count')
