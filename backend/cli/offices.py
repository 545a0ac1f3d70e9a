"""create-office, agency-bank-account."""

from __future__ import annotations

from datetime import time

import click
from flask.cli import with_appcontext

from backend.extensions import db
from backend.models import Agency, PostOffice
from backend.models.offices import OFFICE_KINDS


def rows_by_code(model, codes, what: str) -> list:
    """The rows named by these codes, in order; a usage error for a code that names none."""
    rows = []
    for code in codes:
        row = db.session.execute(db.select(model).where(model.code == code)).scalar_one_or_none()
        if row is None:
            raise click.UsageError(f"No {what} with code {code}.")
        rows.append(row)
    return rows


def _hour(value: str | None) -> time | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time of day such as 07:30.") from None


def _check_bin(bank_bin: str | None) -> None:
    if bank_bin is not None and not (bank_bin.isdigit() and len(bank_bin) == 6):
        raise click.UsageError("--bank-bin is the bank's six-digit NAPAS BIN.")


@click.command("create-office")
@with_appcontext
@click.option("--code", required=True, help="A short unique code, e.g. BC-NK.")
@click.option("--name", required=True)
@click.option(
    "--kind",
    type=click.Choice(OFFICE_KINDS),
    default=None,
    help="province (a province unit) or commune; defaults to commune with --parent, else province.",
)
@click.option("--parent", default=None, help="A commune office's province unit, by code.")
@click.option("--address", default=None)
@click.option("--lat", type=click.FloatRange(-90, 90), default=None, help="Where the office's rounds start.")
@click.option("--lon", type=click.FloatRange(-180, 180), default=None)
@click.option("--phone", default=None)
@click.option("--bank-bin", default=None, help="VietQR payee: the bank's six-digit NAPAS BIN.")
@click.option("--bank-account", default=None)
@click.option("--bank-account-name", default=None)
@click.option("--opens", default=None, help="Working hours, local time: 07:00")
@click.option("--closes", default=None, help="17:00")
@click.option(
    "--agency", "agencies", multiple=True, help="An agency the office serves, by code (repeatable)."
)
def create_office(
    code,
    name,
    kind,
    parent,
    address,
    lat,
    lon,
    phone,
    bank_bin,
    bank_account,
    bank_account_name,
    opens,
    closes,
    agencies,
):
    """Create a post office: a province unit, or a commune office under one (--parent)."""
    if db.session.execute(db.select(PostOffice).where(PostOffice.code == code)).scalar_one_or_none():
        raise click.UsageError(f"The office code {code} is taken.")
    kind = kind or ("commune" if parent else "province")
    parent_office = None
    if parent:
        parent_office = db.session.execute(
            db.select(PostOffice).where(PostOffice.code == parent, PostOffice.kind == "province")
        ).scalar_one_or_none()
        if parent_office is None:
            raise click.UsageError(f"No province unit with code {parent}.")
        if kind == "province":
            raise click.UsageError("A province unit has no --parent.")
    if (lat is None) != (lon is None):
        raise click.UsageError("Give both --lat and --lon, or neither.")
    _check_bin(bank_bin)
    opens_at, closes_at = _hour(opens), _hour(closes)
    if opens_at and closes_at and opens_at >= closes_at:
        raise click.UsageError("--closes must be after --opens.")
    served = rows_by_code(Agency, agencies, "agency")
    office = PostOffice(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent_office.id if parent_office else None,
        address=address,
        lat=lat,
        lon=lon,
        phone=phone,
        bank_bin=bank_bin,
        bank_account=bank_account,
        bank_account_name=bank_account_name,
        opens_at=opens_at,
        closes_at=closes_at,
        agencies=served,
    )
    db.session.add(office)
    db.session.commit()
    where = f" under {parent_office.code}" if parent_office else ""
    click.echo(f"Created {kind} office {code}{where}.")


@click.command("agency-bank-account")
@with_appcontext
@click.option("--agency", "code", required=True, help="The agency, by code.")
@click.option("--bank-bin", default=None, help="The bank's six-digit NAPAS BIN.")
@click.option("--bank-account", default=None, help="The account number (letters and digits, at most 19).")
@click.option("--bank-account-name", default=None, help="The account holder's name as the bank shows it.")
@click.option("--clear", is_flag=True, help="Remove the account: the government fee is taken in cash.")
def agency_bank_account(code, bank_bin, bank_account, bank_account_name, clear):
    """Set the account an agency's government fee is paid to by VietQR (also PATCH /api/agencies/{id})."""
    (agency,) = rows_by_code(Agency, [code], "agency")
    if clear:
        agency.bank_bin = agency.bank_account = agency.bank_account_name = None
        db.session.commit()
        click.echo(f"Agency {code} has no bank account now: its fee is taken in cash.")
        return
    if bank_bin is None or bank_account is None:
        raise click.UsageError("Give --bank-bin and --bank-account (or --clear).")
    _check_bin(bank_bin)
    if not (bank_account.isalnum() and bank_account.isascii() and len(bank_account) <= 19):
        raise click.UsageError("--bank-account is letters and digits, at most 19.")
    agency.bank_bin, agency.bank_account, agency.bank_account_name = bank_bin, bank_account, bank_account_name
    db.session.commit()
    click.echo(f"Agency {code}: its fee is paid by VietQR to {bank_bin} {bank_account}.")
