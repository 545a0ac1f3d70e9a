"""webhook secrets sealed at rest

Revision ID: 0030_webhook_secrets
Revises: 0029_search_lookup
Create Date: 2026-12-01 23:40:00

webhook_endpoints.secret held each endpoint's signing secret in clear. It is replaced by
`secret_sealed`: "fernet:" + a Fernet token under WEBHOOK_SECRET_KEY (SECRET_KEY when unset;
backend/secretbox.py), every existing row sealed under the running app's key, then the clear
column dropped. Both columns are added and dropped in place (no table copy on SQLite: other
tables refer to webhook_endpoints). Downgrade opens every row again (with the current or an old
key) into `secret`.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from backend import secretbox

revision = '0030_webhook_secrets'
down_revision = '0029_search_lookup'
branch_labels = None
depends_on = None

endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.String),
    sa.column("secret_sealed", sa.String),
)


def _copy(source, target, change):
    bind = op.get_bind()
    for row_id, value in bind.execute(sa.select(endpoints.c.id, endpoints.c[source])).all():
        bind.execute(endpoints.update().where(endpoints.c.id == row_id).values({target: change(value)}))


def upgrade():
    op.add_column(
        "webhook_endpoints",
        sa.Column("secret_sealed", sa.String(length=400), nullable=False, server_default=""),
    )
    fernet = secretbox.box_of(current_app.config)
    _copy("secret", "secret_sealed", lambda value: secretbox.seal(fernet, value))
    op.drop_column("webhook_endpoints", "secret")


def downgrade():
    op.add_column(
        "webhook_endpoints", sa.Column("secret", sa.String(length=100), nullable=False, server_default="")
    )
    fernet = secretbox.box_of(current_app.config)
    _copy("secret_sealed", "secret", lambda value: secretbox.open_sealed(fernet, value))
    op.drop_column("webhook_endpoints", "secret_sealed")
