from marshmallow import fields, validate

from backend.schemas.common import QueryId, StrictSchema, Text, WholeNumber
from backend.schemas.items import RefSchema


class ApiKeyCreateSchema(StrictSchema):
    agency_id = WholeNumber(required=True, metadata={"description": "The agency whose system uses the key"})
    name = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Which system it is, e.g. 'Hệ thống một cửa tỉnh An Giang'"},
    )


class ApiKeyQuerySchema(StrictSchema):
    agency_id = QueryId(metadata={"description": "Only this agency's keys"})


class ApiKeySchema(StrictSchema):
    id = fields.Integer()
    prefix = fields.String(metadata={"description": "The key's public part: prk_<prefix>_…"})
    name = fields.String()
    agency = fields.Nested(RefSchema)
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When a request last used it (at most a minute stale); null: never"},
    )


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The whole key, shown this once: only its hash is kept"})
