from marshmallow import fields, validate

from backend.models.org import AGENCY_KINDS
from backend.schemas.common import Flag, Latitude, Longitude, Money, StrictSchema, Text, update_schema

CODE = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$", error="Letters, digits, . _ - only (at most 64).")


def vietqr_payee() -> tuple:
    """The VietQR payee's fields (bank BIN, account number, account name), for an office or an agency."""
    return (
        Text(
            allow_none=True,
            validate=validate.Regexp(r"^[0-9]{6}$", error="Six digits (the NAPAS bank BIN)."),
            metadata={"description": "VietQR payee: the bank's NAPAS BIN"},
        ),
        Text(allow_none=True, validate=validate.Regexp(r"^[0-9A-Za-z]{1,19}$")),
        Text(allow_none=True, validate=validate.Length(max=100)),
    )


class AgencySchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=[validate.Length(max=32), CODE])
    name = Text(required=True, validate=validate.Length(max=200))
    kind = fields.String(load_default="commune_centre", validate=validate.OneOf(AGENCY_KINDS))
    province = Text(required=True, validate=validate.Length(max=100))
    commune = Text(allow_none=True, validate=validate.Length(max=100))
    address = Text(allow_none=True, validate=validate.Length(max=300))
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)
    active = Flag(load_default=True)
    # The government fee's VietQR payee (the agency's account), carried to the phones in the pull.
    bank_bin, bank_account, bank_account_name = vietqr_payee()


AgencyUpdateSchema = update_schema(AgencySchema, "AgencyUpdateSchema")


class ChecklistPaperSchema(StrictSchema):
    name = Text(required=True, validate=validate.Length(max=300))
    form = fields.String(required=True, validate=validate.OneOf(("original", "copy")))
    required = Flag(load_default=True)


class ProcedureSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=CODE)
    name = Text(required=True, validate=validate.Length(max=300))
    allowed_by_post = Flag(load_default=True)
    government_fee = Money(load_default=0)
    checklist = fields.List(
        fields.Nested(ChecklistPaperSchema), load_default=list, validate=validate.Length(max=50)
    )


ProcedureUpdateSchema = update_schema(ProcedureSchema, "ProcedureUpdateSchema")
