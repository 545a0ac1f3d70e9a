"""`flask --app wsgi webhooks rekey`: seal every webhook secret under the current WEBHOOK_SECRET_KEY."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook endpoints' stored secrets."""


@webhooks_group.command("rekey")
@with_appcontext
def rekey_command() -> None:
    """After a key rotation (old key in WEBHOOK_SECRET_OLD_KEYS): re-seal every secret under the new key."""
    from backend.services.webhooks import rekey

    click.echo(f"re-sealed {rekey()} webhook secret(s) under WEBHOOK_SECRET_KEY")
