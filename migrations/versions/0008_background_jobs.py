"""background jobs: the durable record of work done by the task queue

Revision ID: 0008_background_jobs
Revises: 0007_evidence_trust
Create Date: 2026-12-01 11:10:00

A new table only; no existing row changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_background_jobs'
down_revision = '0007_evidence_trust'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'background_jobs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claim', sa.String(length=36), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('input', sa.LargeBinary(), nullable=True),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_checked', sa.Integer(), nullable=False),
        sa.Column('rows_imported', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('problem', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_background_jobs_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_jobs')),
    )
    op.create_index('ix_background_jobs_status_heartbeat', 'background_jobs', ['status', 'heartbeat_at'])
    op.create_index(op.f('ix_background_jobs_created_by_id'), 'background_jobs', ['created_by_id'])

def downgrade():
    op.drop_index(op.f('ix_background_jobs_created_by_id'), table_name='background_jobs')
    op.drop_index('ix_background_jobs_status_heartbeat', table_name='background_jobs')
    op.drop_table('background_jobs')
