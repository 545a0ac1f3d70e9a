"""login sessions (revocable access tokens) and the ledger's payload hash

Revision ID: 0005_token_sessions
Revises: 0004
Create Date: 2026-12-01 10:00:00

- login_sessions: one row per login (refresh-token family). Access tokens name it, and the
  request's authentication statement reads its revoked_at, so logout, refresh-token reuse,
  password changes and revoked devices stop access tokens at once. Existing families are
  carried over: a family is revoked when none of its refresh tokens is still valid.
- sync_mutations.payload_hash: the canonical hash of each mutation as received, so a retry
  with the same id and seq but another payload is refused (id-reused). Rows recorded before
  stay NULL: their payload may since have been redacted, so their retries are compared by id
  and seq only, as before.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_token_sessions'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_login_sessions_device_id_devices')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
    op.execute(
        "INSERT INTO login_sessions (id, user_id, device_id, created_at, revoked_at) "
        "SELECT family_id, MIN(user_id), MIN(device_id), MIN(issued_at), "
        "CASE WHEN COUNT(*) = COUNT(revoked_at) THEN MAX(revoked_at) END "
        "FROM refresh_tokens GROUP BY family_id"
    )
    with op.batch_alter_table('sync_mutations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_mutations', schema=None) as batch_op:
        batch_op.drop_column('payload_hash')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_sessions_device_id'))
    op.drop_table('login_sessions')
