"""An item's messages to its citizen (GET /api/items/{id}/notifications) and the opt-out flag."""

from marshmallow import fields, validate

from backend.domain.notify_templates import EVENTS
from backend.schemas.common import Flag, StrictSchema


class NotificationAttemptSchema(StrictSchema):
    at = fields.DateTime()
    outcome = fields.String(metadata={"description": "sent, error or skipped (opted out, no phone)"})
    http_status = fields.Integer(allow_none=True)
    provider_id = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class NotificationSchema(StrictSchema):
    id = fields.Integer()
    event = fields.String(validate=validate.OneOf(EVENTS))
    channel = fields.String(metadata={"description": "sms or zns"})
    status = fields.String(metadata={"description": "pending, sent, failed (given up) or skipped"})
    due_at = fields.DateTime(metadata={"description": "Not sent before (a retry's delay, the quiet hours)"})
    sent_at = fields.DateTime(allow_none=True)
    provider_id = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    text_vi = fields.String(metadata={"description": "The message as sent"})
    text_en = fields.String()
    attempts = fields.List(fields.Nested(NotificationAttemptSchema))


class NotificationLogSchema(StrictSchema):
    opted_out = fields.Boolean()
    messages = fields.List(fields.Nested(NotificationSchema))


class OptOutSchema(StrictSchema):
    whole_phone = Flag(
        load_default=False,
        metadata={"description": "Nothing more to this phone number, about any item (the citizen asked)"},
    )


class StopMessagesSchema(StrictSchema):
    """What the link in a message carries (backend/services/citizen_links.py)."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{2}\d{9}[A-Za-z]{2}$"))
    k = fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": "The link's token"}
    )


class StoppedSchema(StrictSchema):
    stopped = fields.Boolean()
