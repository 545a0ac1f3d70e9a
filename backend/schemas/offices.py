from marshmallow import fields, validate

from backend.models.offices import OFFICE_KINDS
from backend.schemas.common import Flag, Latitude, Longitude, StrictSchema, Text, WholeNumber, update_schema
from backend.schemas.org import CODE, vietqr_payee

HOUR = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
OFFICE_CODE = Text(validate=[validate.Length(max=32), CODE])


class OfficeChoiceSchema(StrictSchema):
    """For a caller of several post offices: which one the new thing belongs to (by code or id)."""

    office = Text(
        validate=[validate.Length(max=32), CODE],
        metadata={"description": "The post office's code; required when the caller belongs to several"},
    )
    office_id = WholeNumber(metadata={"description": "Or the post office's id"})


def requested_office(body: dict) -> str | int | None:
    """The office a body names (and removes from it): `office` (a code) or `office_id`."""
    code, office_id = body.pop("office", None), body.pop("office_id", None)
    return code if code is not None else office_id


class OfficeRefSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class OfficeSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    code = Text(required=True, validate=[validate.Length(max=32), CODE])
    name = Text(required=True, validate=validate.Length(max=200))
    kind = fields.String(load_default="commune", validate=validate.OneOf(OFFICE_KINDS))
    parent = Text(
        allow_none=True,
        load_only=True,
        validate=[validate.Length(max=32), CODE],
        metadata={"description": "A commune office's province unit, by code"},
    )
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    address = Text(allow_none=True, validate=validate.Length(max=300))
    lat = Latitude(allow_none=True, metadata={"description": "Where the office's rounds start"})
    lon = Longitude(allow_none=True)
    phone = Text(allow_none=True, validate=validate.Regexp(r"^\+?[0-9 .-]{8,15}$"))
    bank_bin, bank_account, bank_account_name = vietqr_payee()  # the service fee's payee
    opens_at = fields.Time(allow_none=True, metadata={"description": "Local time, HH:MM", "pattern": HOUR})
    closes_at = fields.Time(allow_none=True, metadata={"description": "Local time, HH:MM", "pattern": HOUR})
    active = Flag(load_default=True)
    agencies = fields.List(
        OFFICE_CODE,
        metadata={"description": "Codes of the agencies the office serves (replaces the list)"},
    )


OfficeUpdateSchema = update_schema(OfficeSchema, "OfficeUpdateSchema")


class OfficeViewSchema(OfficeSchema):
    agencies = fields.Function(
        lambda office: [agency.code for agency in office.agencies],
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Codes of the agencies it serves",
        },
    )
