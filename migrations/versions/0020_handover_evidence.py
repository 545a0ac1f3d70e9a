"""handover evidence: a handover record keeps its seal number and its files

Revision ID: 0020_handover_evidence
Revises: 0019_round_version
Create Date: 2026-12-02 10:00:00

handovers gains `seal_number` (nullable, 64 characters) and a `handover_attachments` table links a
record to the files sent with the phone's `handover` mutation (the agency officer's signature, a
photo) by digest and kind, like proof_attachments (the file may arrive after the record, so the
digest has no foreign key). Existing records are kept as they are: there is nothing to link (the
server did not keep those files with them), and a seal number a phone wrote into the note before
("Số niêm phong: …") stays in the note; it is not parsed out. Downgrade drops the column and the
table (the links and seal numbers recorded since are lost; the files stay).
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_handover_evidence'
down_revision = '0019_round_version'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('handovers', sa.Column('seal_number', sa.String(length=64), nullable=True))
    op.create_table(
        'handover_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handover_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ['handover_id'], ['handovers.id'], name=op.f('fk_handover_attachments_handover_id_handovers')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_attachments')),
        sa.UniqueConstraint('handover_id', 'sha256', 'kind', name='handover_file_kind'),
    )
    with op.batch_alter_table('handover_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_attachments_handover_id'), ['handover_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handover_attachments_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('handover_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_handover_attachments_handover_id'))
    op.drop_table('handover_attachments')
    # Dropped in place (SQLite's own DROP COLUMN), never by batch mode's table copy: the copy rewrites
    # handovers' foreign keys as table constraints, and 0009's downgrade could then not drop office_id.
    op.drop_column('handovers', 'seal_number')
