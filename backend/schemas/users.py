from marshmallow import fields, validate

from backend.auth.passwords import MIN_PASSWORD_LENGTH
from backend.models.users import ROLES
from backend.schemas.common import Flag, StrictSchema, Text, WholeNumber
from backend.schemas.rounds import PostmanSchema

USERNAME = validate.Regexp(r"^[a-z0-9._-]{3,64}$", error="3-64 characters: lower-case letters, digits, . _ -")


class UserSchema(PostmanSchema):
    role = fields.String(dump_only=True)
    phone = fields.String(dump_only=True, allow_none=True)
    agency_id = fields.Integer(dump_only=True, allow_none=True)
    offices = fields.Function(
        lambda user: [office.code for office in user.offices],
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Codes of the user's post offices",
        },
    )
    active = fields.Boolean(dump_only=True)


def _office_codes() -> fields.List:
    """The `offices` a user is given, created or changed (a field each: marshmallow binds it to one schema)."""
    return fields.List(
        Text(validate=validate.Length(max=32)),
        validate=validate.Length(max=100),
        metadata={"description": "Codes of the post offices the user belongs to (replaces the list)"},
    )


class UserCreateSchema(StrictSchema):
    username = Text(required=True, validate=USERNAME)
    password = fields.String(required=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256))
    full_name = Text(required=True, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    phone = Text(validate=validate.Length(max=20), allow_none=True)
    agency_id = WholeNumber(allow_none=True)
    offices = _office_codes()


class UserUpdateSchema(StrictSchema):
    password = fields.String(validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256))
    full_name = Text(validate=validate.Length(max=200))
    phone = Text(validate=validate.Length(max=20), allow_none=True)
    active = Flag()
    agency_id = WholeNumber(allow_none=True)
    offices = _office_codes()


class UserQuerySchema(StrictSchema):
    role = fields.String(validate=validate.OneOf(ROLES))


class DeviceSchema(StrictSchema):
    id = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True)
    label = fields.String(dump_only=True, allow_none=True)
    registered_at = fields.AwareDateTime(dump_only=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_seen_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_sync_at = fields.AwareDateTime(dump_only=True, allow_none=True)
