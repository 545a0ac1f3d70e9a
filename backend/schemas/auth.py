from marshmallow import fields, validate

from backend.auth.passwords import MIN_PASSWORD_LENGTH
from backend.schemas.common import StrictSchema, Text


class LoginSchema(StrictSchema):
    username = Text(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    device_id = Text(
        validate=validate.Length(min=8, max=64),
        metadata={"description": "The phone's stable id; registered on first login"},
    )
    device_label = Text(validate=validate.Length(max=100))


class RefreshSchema(StrictSchema):
    refresh_token = Text(required=True, validate=validate.Length(min=10, max=200))


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256))


class TokenSchema(StrictSchema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(dump_default="Bearer")
    expires_in = fields.Integer(metadata={"description": "Access token lifetime in seconds"})
    device_id = fields.String(allow_none=True)
    user = fields.Nested("UserSchema")
