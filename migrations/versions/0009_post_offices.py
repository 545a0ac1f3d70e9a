"""post offices: a province unit and its commune offices; items, rounds and handovers carry theirs

Revision ID: 0009_post_offices
Revises: 0008_background_jobs
Create Date: 2026-12-01 13:10:00

Data carried over (a database that already holds users, agencies or items): the deployment was one
post office, positioned by POST_OFFICE_LAT/LON. It becomes one commune office `BC01` at that
position, under a province unit `TINH` named after the agencies' province; every supervisor and
postman belongs to it, every item, round and handover record is stamped with it, and it serves every
agency. Admins belong to no office and so still see everything. A brand-new database gets no office
(`flask create-office`, or `seed-demo`).
"""
import os

import sqlalchemy as sa
from alembic import op

revision = '0009_post_offices'
down_revision = '0008_background_jobs'
branch_labels = None
depends_on = None

STAMPED = ('items', 'rounds', 'handovers')


def upgrade():
    op.create_table(
        'post_offices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=300), nullable=True),
        sa.Column('lat', sa.Double(), nullable=True),
        sa.Column('lon', sa.Double(), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('bank_bin', sa.String(length=8), nullable=True),
        sa.Column('bank_account', sa.String(length=32), nullable=True),
        sa.Column('bank_account_name', sa.String(length=100), nullable=True),
        sa.Column('opens_at', sa.Time(), nullable=True),
        sa.Column('closes_at', sa.Time(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['post_offices.id'], name=op.f('fk_post_offices_parent_id_post_offices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_post_offices')),
        sa.UniqueConstraint('code', name=op.f('uq_post_offices_code')),
    )
    op.create_index(op.f('ix_post_offices_parent_id'), 'post_offices', ['parent_id'])
    op.create_table(
        'office_agencies',
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_office_agencies_agency_id_agencies')),
        sa.ForeignKeyConstraint(['office_id'], ['post_offices.id'], name=op.f('fk_office_agencies_office_id_post_offices')),
        sa.PrimaryKeyConstraint('office_id', 'agency_id', name=op.f('pk_office_agencies')),
    )
    op.create_index(op.f('ix_office_agencies_agency_id'), 'office_agencies', ['agency_id'])
    op.create_table(
        'user_offices',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['post_offices.id'], name=op.f('fk_user_offices_office_id_post_offices')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_offices_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'office_id', name=op.f('pk_user_offices')),
    )
    op.create_index(op.f('ix_user_offices_office_id'), 'user_offices', ['office_id'])
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in STAMPED:
        # SQLite: the reference inline with the new column (no table rebuild: other tables refer to these).
        column = sa.Column('office_id', sa.Integer(), sa.ForeignKey('post_offices.id'), nullable=True)
        if sqlite:
            op.add_column(table, column, inline_references=True)
        else:
            op.add_column(table, sa.Column('office_id', sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(f'fk_{table}_office_id_post_offices'), table, 'post_offices',
                                  ['office_id'], ['id'])
        op.create_index(op.f(f'ix_{table}_office_id'), table, ['office_id'])
    _carry_data_over(op.get_bind())


def _setting(name: str, default: float) -> float:
    try:
        from flask import current_app
        return float(current_app.config[name])
    except (RuntimeError, KeyError, TypeError, ValueError):
        return float(os.environ.get(name) or default)


def _carry_data_over(conn):
    existing = any(conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first()
                   for table in ('users', 'agencies', 'items'))
    if not existing:
        return
    province = conn.execute(sa.text(
        "SELECT province FROM agencies GROUP BY province ORDER BY COUNT(*) DESC, province LIMIT 1")).scalar()
    offices = sa.table('post_offices', sa.column('id', sa.Integer), sa.column('code', sa.String),
                       sa.column('name', sa.String), sa.column('kind', sa.String),
                       sa.column('parent_id', sa.Integer), sa.column('lat', sa.Float), sa.column('lon', sa.Float),
                       sa.column('active', sa.Boolean), sa.column('created_at', sa.DateTime(timezone=True)))
    now = sa.func.current_timestamp()
    conn.execute(sa.insert(offices).values(
        code='TINH', name=f"Bưu điện tỉnh {province}" if province else "Bưu điện tỉnh", kind='province',
        active=True, created_at=now))
    unit = conn.execute(sa.select(offices.c.id).where(offices.c.code == 'TINH')).scalar_one()
    conn.execute(sa.insert(offices).values(
        code='BC01', name="Bưu cục", kind='commune', parent_id=unit, active=True, created_at=now,
        lat=_setting('POST_OFFICE_LAT', 10.0035), lon=_setting('POST_OFFICE_LON', 105.1694)))
    office = conn.execute(sa.select(offices.c.id).where(offices.c.code == 'BC01')).scalar_one()
    conn.execute(sa.text(
        "INSERT INTO user_offices (user_id, office_id) SELECT id, :office FROM users "
        "WHERE role IN ('supervisor', 'postman')"), {"office": office})
    conn.execute(sa.text("INSERT INTO office_agencies (office_id, agency_id) SELECT :office, id FROM agencies"),
                 {"office": office})
    for table in STAMPED:
        conn.execute(sa.text(f"UPDATE {table} SET office_id = :office"), {"office": office})


def downgrade():
    for table in reversed(STAMPED):
        op.drop_index(op.f(f'ix_{table}_office_id'), table_name=table)
        if op.get_bind().dialect.name != 'sqlite':
            op.drop_constraint(op.f(f'fk_{table}_office_id_post_offices'), table, type_='foreignkey')
        op.drop_column(table, 'office_id')
    op.drop_index(op.f('ix_user_offices_office_id'), table_name='user_offices')
    op.drop_table('user_offices')
    op.drop_index(op.f('ix_office_agencies_agency_id'), table_name='office_agencies')
    op.drop_table('office_agencies')
    op.drop_index(op.f('ix_post_offices_parent_id'), table_name='post_offices')
    op.drop_table('post_offices')
