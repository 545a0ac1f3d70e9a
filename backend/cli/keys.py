"""flask keys create|list|revoke: an agency system's API keys from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from backend.audit import audit
from backend.auth.api_keys import create_key, revoke_key
from backend.extensions import db
from backend.models import Agency, ApiKey


@click.group("keys")
def keys_group():
    """API keys of agency systems (docs/agency-api.md)."""


@keys_group.command("create")
@with_appcontext
@click.option("--agency", "agency_code", required=True, help="The agency's code.")
@click.option("--name", required=True, help="Which system uses the key.")
def create_command(agency_code: str, name: str):
    """Create a key; it is printed once (only its hash is kept)."""
    agency = db.session.execute(db.select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    if agency is None:
        raise click.UsageError(f"No agency with code {agency_code}.")
    row, key = create_key(agency, name.strip(), None)
    audit("api_key.created", "api_key", row.prefix, {"agency_id": agency.id, "name": row.name})
    db.session.commit()
    click.echo(
        f"Created API key {row.prefix} for {agency.code} ({row.name}). Keep it now; it is not shown again:"
    )
    click.echo(key)


@keys_group.command("list")
@with_appcontext
def list_command():
    """Every key: prefix, agency, name, when it was revoked, and when it was last used."""
    for row in db.session.execute(db.select(ApiKey).order_by(ApiKey.id)).scalars():
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M} UTC" if row.revoked_at else "active"
        used = f"last used {row.last_used_at:%Y-%m-%d %H:%M} UTC" if row.last_used_at else "never used"
        click.echo(f"{row.prefix}\t{row.agency.code}\t{row.name}\t{state}\t{used}")


@keys_group.command("revoke")
@with_appcontext
@click.argument("prefix")
def revoke_command(prefix: str):
    """Revoke the key with this prefix: refused from its next request on."""
    row = db.session.execute(db.select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if row is None:
        raise click.UsageError(f"No API key {prefix}.")
    revoke_key(row)
    audit("api_key.revoked", "api_key", row.prefix, {"agency_id": row.agency_id})
    db.session.commit()
    click.echo(f"Revoked API key {prefix}.")
