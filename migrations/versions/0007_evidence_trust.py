"""evidence and personal data: ledger payloads redacted, ID hash key versions, upload owners, ink

Revision ID: 0007_evidence_trust
Revises: 0006_reattempts
Create Date: 2026-12-01 10:00:00

Data carried over:
- The sync ledger kept each mutation as received, with the full ID number (CCCD). Every stored
  payload and outcome is rewritten with ID numbers masked (backend.personal_data.scrub).
- Proofs' ID hashes were keyed with the token-signing SECRET_KEY. Re-keying needs the clear number:
  where the ledger still holds it (the proof's own mutation) and ID_HASH_KEY is set in the
  environment of this migration, the hash is recomputed under ID_HASH_KEY and marked with
  ID_HASH_KEY_ID; every other hash is kept and marked "legacy" (it can be compared only under the
  old key and is never produced again). Run the upgrade with the production ID_HASH_KEY set.
- Verified files get an upload record for every postman whose proof names them (who sent the
  bytes was not recorded before; the proofs that name a file are the best evidence of it).
"""
import hashlib
import hmac
import os

import sqlalchemy as sa
from alembic import op

from backend.personal_data import scrub, secrets_in

revision = '0007_evidence_trust'
down_revision = '0006_reattempts'
branch_labels = None
depends_on = None

LEGACY_KEY_ID = "legacy"


def upgrade():
    with op.batch_alter_table('delivery_attempts') as batch_op:
        batch_op.add_column(sa.Column('id_number_hash_key', sa.String(length=16), nullable=True))
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.add_column(sa.Column('ink_share', sa.Double(), nullable=True))
    op.create_table(
        'attachment_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attachment_uploads_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_uploads')),
        sa.UniqueConstraint('sha256', 'user_id', name='attachment_upload_once'),
    )
    with op.batch_alter_table('attachment_uploads') as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_uploads_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_uploads_user_id'), ['user_id'], unique=False)
    _carry_data_over(op.get_bind())


def _carry_data_over(conn):
    ledger = sa.table("sync_mutations", sa.column("id", sa.String), sa.column("payload", sa.JSON),
                      sa.column("result", sa.JSON))
    attempts = sa.table("delivery_attempts", sa.column("id", sa.Integer), sa.column("client_mutation_id", sa.String),
                        sa.column("id_number_hash", sa.String), sa.column("id_number_hash_key", sa.String),
                        sa.column("postman_id", sa.Integer), sa.column("server_time", sa.DateTime(timezone=True)))
    key = os.environ.get("ID_HASH_KEY", "").strip()
    key_id = os.environ.get("ID_HASH_KEY_ID", "").strip() or "k1"
    rows = conn.execute(sa.select(ledger.c.id, ledger.c.payload, ledger.c.result)).all()
    for mutation_id, payload, result in rows:
        secrets = secrets_in(payload)
        if not secrets:
            continue
        conn.execute(sa.update(ledger).where(ledger.c.id == mutation_id)
                     .values(payload=scrub(payload, secrets), result=scrub(result, secrets)))
        number = (payload.get("data") or {}).get("id_number") if isinstance(payload, dict) else None
        if key and isinstance(number, str) and number.strip():
            digest = hmac.new(key.encode(), number.strip().upper().encode(), hashlib.sha256).hexdigest()
            conn.execute(sa.update(attempts).where(attempts.c.client_mutation_id == mutation_id,
                                                   attempts.c.id_number_hash.is_not(None))
                         .values(id_number_hash=digest, id_number_hash_key=key_id))
    conn.execute(sa.update(attempts).where(attempts.c.id_number_hash.is_not(None),
                                           attempts.c.id_number_hash_key.is_(None))
                 .values(id_number_hash_key=LEGACY_KEY_ID))

    conn.execute(sa.text(
        "INSERT INTO attachment_uploads (sha256, user_id, size_bytes, uploaded_at) "
        "SELECT a.sha256, d.postman_id, a.size_bytes, MIN(d.server_time) "
        "FROM attachments a JOIN proof_attachments p ON p.sha256 = a.sha256 "
        "JOIN delivery_attempts d ON d.id = p.attempt_id "
        "WHERE a.verified = :yes GROUP BY a.sha256, d.postman_id, a.size_bytes"), {"yes": True})


def downgrade():
    with op.batch_alter_table('attachment_uploads') as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_uploads_sha256'))
    op.drop_table('attachment_uploads')
    with op.batch_alter_table('attachments') as batch_op:
        batch_op.drop_column('ink_share')
    with op.batch_alter_table('delivery_attempts') as batch_op:
        batch_op.drop_column('id_number_hash_key')
