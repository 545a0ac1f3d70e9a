"""handover flag and agency feed: a blank late signature flags its handover; agencies and offices join the change feed

Revision ID: 0022_handover_flag_agency_feed
Revises: 0021_fee_taken_index
Create Date: 2026-12-01 20:00:00

handovers gains `flag_reason` (nullable, 64 characters), set to "blank-signature" when the agency
officer's signature reaches the server after the record and has too little ink (a proof in the
same case is flagged the same way). Existing records are carried over: one whose signature file
is already verified with no ink at all (ink_share 0, blank under any SIGNATURE_MIN_INK) is flagged
now; every other record keeps no flag.

agencies and post_offices gain `change_seq` (the commit_log ticket of the transaction that last
changed the row, like procedures'), so a changed bank account reaches the phones on their next
incremental pull. Existing rows get 0: unchanged since any phone's cursor, which is true (a phone
that downloaded them has them as they are now).

Downgrade drops both columns (the flags are lost; phones then see agency changes on a full
download only, as before).
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_handover_flag_agency_feed'
down_revision = '0021_fee_taken_index'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('handovers', sa.Column('flag_reason', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE handovers SET flag_reason = 'blank-signature' WHERE id IN ("
        " SELECT a.handover_id FROM handover_attachments a JOIN attachments f ON f.sha256 = a.sha256"
        " WHERE a.kind = 'signature' AND f.verified AND f.ink_share = 0)"
    )
    # Added in place on both engines (never batch mode's table copy: other tables refer to these); the
    # default fills the existing rows, and SQLite, which cannot drop a default in place, keeps it.
    for table in ('agencies', 'post_offices'):
        op.add_column(table, sa.Column('change_seq', sa.BigInteger(), nullable=False, server_default='0'))
        if op.get_bind().dialect.name == 'postgresql':
            op.alter_column(table, 'change_seq', server_default=None)


def downgrade():
    # Dropped in place (SQLite's own DROP COLUMN), as 0020 drops seal_number.
    op.drop_column('post_offices', 'change_seq')
    op.drop_column('agencies', 'change_seq')
    op.drop_column('handovers', 'flag_reason')
