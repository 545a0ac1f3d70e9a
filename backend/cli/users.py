"""create-user."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from backend.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from backend.cli.offices import rows_by_code
from backend.extensions import db
from backend.models import Agency, PostOffice, User
from backend.models.users import ROLES


@click.command("create-user")
@with_appcontext
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--full-name", default=None, help="Defaults to the username.")
@click.option("--agency-code", default=None, help="Required for the agency role.")
@click.option(
    "--office",
    "offices",
    multiple=True,
    help="A post office the user belongs to, by code (repeatable); a province unit's code gives the "
    "provincial role. Without it, a supervisor or postman joins the only commune office, if there is one.",
)
def create_user(
    role: str,
    username: str,
    password: str,
    full_name: str | None,
    agency_code: str | None,
    offices: tuple[str, ...],
):
    """Create a user with a role."""
    username = username.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none():
        raise click.UsageError(f"The username {username} is taken.")
    agency_id = None
    if role == "agency" or agency_code:
        if not agency_code:
            raise click.UsageError("An agency user needs --agency-code.")
        agency = db.session.execute(db.select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
        if agency is None:
            raise click.UsageError(f"No agency with code {agency_code}.")
        agency_id = agency.id
    members = rows_by_code(PostOffice, offices, "post office")
    if not offices and role in ("supervisor", "postman"):
        communes = db.session.execute(
            db.select(PostOffice).where(PostOffice.kind == "commune").limit(2)
        ).scalars()
        only = list(communes)
        members = only if len(only) == 1 else []
        if len(only) > 1:
            raise click.UsageError("There are several post offices: name the user's with --office CODE.")
    db.session.add(
        User(
            username=username,
            password_hash=hash_password(password),
            full_name=full_name or username,
            role=role,
            agency_id=agency_id,
            offices=members,
        )
    )
    db.session.commit()
    where = f" in {', '.join(o.code for o in members)}" if members else ""
    click.echo(f"Created {role} {username}{where}.")
