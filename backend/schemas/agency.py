"""What an agency's system reads and registers (docs/agency-api.md): the change feed, an item's
events, webhook endpoints and their delivery log."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.schemas.common import DateRangeQuery, StrictSchema
from backend.services.agency_events import EVENT_TYPES, FEED_LIMIT


class AgencyEventSchema(StrictSchema):
    id = fields.String(metadata={"description": "evt_<n>: the event, the same in the feed and a webhook"})
    type = fields.String(metadata={"description": ", ".join(("item.created",) + EVENT_TYPES)})
    timestamp = fields.String(metadata={"description": "when it happened (UTC, ISO 8601)"})
    cursor = fields.String(metadata={"description": "the feed's cursor just after this event"})
    data = fields.Dict(
        metadata={
            "description": "item events: item_id, code, dossier_code, direction, from_status, to_status, "
            "attempt_count (and reason of a failed visit); handover.signed: handover_id, direction, items, "
            "seal_number, officer_name"
        }
    )


class ChangesQuery(StrictSchema):
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=60),
        metadata={"description": "next_cursor of the previous page; none to start from the beginning"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=FEED_LIMIT))
    agency_id = fields.Integer(
        load_default=None, metadata={"description": "admins: one agency (an officer always reads their own)"}
    )


class ChangesSchema(StrictSchema):
    events = fields.List(fields.Nested(AgencyEventSchema))
    next_cursor = fields.String(metadata={"description": "where the next page starts: send it as cursor"})
    has_more = fields.Boolean(metadata={"description": "true: ask again at once; false: poll later"})


class ItemEventsSchema(StrictSchema):
    item_id = fields.Integer()
    code = fields.String()
    events = fields.List(fields.Nested(AgencyEventSchema))


class WebhookCreateSchema(StrictSchema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000))
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True, validate=validate.Length(min=1)
    )
    description = fields.String(load_default=None, validate=validate.Length(max=200))
    agency_id = fields.Integer(load_default=None, metadata={"description": "admins: the agency"})


class WebhookSchema(StrictSchema):
    id = fields.Integer()
    agency_id = fields.Integer()
    url = fields.String()
    description = fields.String(allow_none=True)
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "whsec_…: shown this once; sign-checks every delivery"})


class WebhookAttemptSchema(StrictSchema):
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)
    replay = fields.Boolean()


class WebhookDeliverySchema(StrictSchema):
    id = fields.String(metadata={"description": "msg_…: the webhook-id header, the same on every attempt"})
    endpoint_id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"description": "pending, sending, succeeded or failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    log = fields.List(fields.Nested(WebhookAttemptSchema))


class DeliveriesQuery(StrictSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class FeesQuery(DateRangeQuery):
    group = fields.String(
        load_default="day",
        validate=validate.OneOf(("day", "month")),
        metadata={"description": "Rows per day or month"},
    )
    agency_id = fields.Integer(
        load_default=None,
        metadata={"description": "staff: one agency of their offices (an officer always reads their own)"},
    )


class FeesRowSchema(StrictSchema):
    period = fields.String(metadata={"description": "Local day YYYY-MM-DD or month YYYY-MM"})
    collected = fields.Integer(metadata={"description": "Government fees collected for the agency, VND"})
    passed_on = fields.Integer(
        metadata={"description": "Passed on to the agency on signed handover records, VND"}
    )
    held = fields.Integer(metadata={"description": "Still held by the post at the end of the period, VND"})


class FeesTotalsSchema(StrictSchema):
    collected = fields.Integer()
    passed_on = fields.Integer()
    held_before = fields.Integer(metadata={"description": "Held by the post when the range began, VND"})
    held = fields.Integer(metadata={"description": "Held by the post at the end of the range, VND"})


class FeesSchema(StrictSchema):
    date_from = fields.Date()
    date_to = fields.Date()
    group = fields.String()
    agency_id = fields.Integer(allow_none=True)
    rows = fields.List(fields.Nested(FeesRowSchema))
    totals = fields.Nested(FeesTotalsSchema)
