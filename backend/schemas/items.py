from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from backend.domain.s10 import S10_PATTERN, s10_problem
from backend.domain.status import Direction, Status
from backend.schemas.common import (
    Flag,
    Latitude,
    Longitude,
    Money,
    PageQuery,
    QueryId,
    StrictSchema,
    Text,
    WholeNumber,
)
from backend.schemas.offices import OfficeChoiceSchema
from backend.schemas.rounds import no_repeats
from backend.services.item_events import next_attempt_from

PHONE = validate.Regexp(r"^\+?[0-9 .-]{8,15}$", error="Not a valid phone number.")


class ItemCode(Text):
    """A UPU S10 code, upper-cased, with its check digit verified."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).upper()
        problem = s10_problem(code)
        if problem:
            raise ValidationError(f"Not a valid S10 item code: {problem}.")
        return code


class ItemFieldsSchema(StrictSchema):
    """What a supervisor or an agency may set on an item."""

    dossier_code = Text(allow_none=True, validate=validate.Length(max=64))
    recipient_name = Text(validate=validate.Length(max=200))
    recipient_phone = Text(allow_none=True, validate=[validate.Length(max=20), PHONE])
    address_line = Text(validate=validate.Length(max=300))
    commune = Text(
        validate=validate.Length(max=100),
        metadata={"description": "Current (post-July-2025) commune or ward"},
    )
    province = Text(validate=validate.Length(max=100))
    old_address = Text(
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"description": "Pre-2025 address, if the citizen still uses it"},
    )
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)
    service_fee = Money()
    government_fee = Money()
    due_date = fields.Date(allow_none=True)
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=500))

    @post_load
    def _both_coordinates_or_none(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data) or (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both lat and lon, or neither.", "lat")
        return data


class ItemCreateSchema(ItemFieldsSchema, OfficeChoiceSchema):
    code = ItemCode(
        required=True,
        metadata={
            "description": "UPU S10 code, e.g. RR123456785VN (the check digit is verified)",
            "pattern": S10_PATTERN,
        },
    )
    direction = fields.String(required=True, validate=validate.OneOf([d.value for d in Direction]))
    procedure_id = WholeNumber(required=True)
    agency_id = WholeNumber(metadata={"description": "Required for staff; agency users create for their own"})
    received_from_agency = Flag(
        metadata={
            "description": "Return items only: the post office already holds the result "
            "(default true for staff, false for agency users)"
        }
    )

    # Required on creation (optional when updating).
    recipient_name = Text(required=True, validate=validate.Length(max=200))
    address_line = Text(required=True, validate=validate.Length(max=300))
    commune = Text(required=True, validate=validate.Length(max=100))
    province = Text(required=True, validate=validate.Length(max=100))
    service_fee = Money(required=True)


class ItemUpdateSchema(ItemFieldsSchema):
    pass


class BulkItemsSchema(StrictSchema):
    items = fields.List(fields.Nested(ItemCreateSchema), required=True, validate=validate.Length(min=1))


class ItemEventSchema(StrictSchema):
    event = fields.String(
        required=True,
        validate=validate.OneOf(("receive_from_agency", "cancel", "give_up")),
        metadata={"description": "Office-side events; deliveries and failed attempts arrive through sync"},
    )
    reason = Text(validate=validate.Length(max=500))


SORT_KEYS = ("code", "due_date", "commune", "recipient_name", "status", "direction", "created_at")


class ItemQuerySchema(PageQuery):
    q = Text(
        validate=validate.Length(max=100),
        metadata={"description": "Search name, address, phone or code, with or without diacritics"},
    )
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in Status])))
    direction = fields.String(validate=validate.OneOf([d.value for d in Direction]))
    date = fields.Date(metadata={"description": "Items on rounds of this date"})
    postman_id = QueryId()
    agency_id = QueryId()
    office_id = QueryId(metadata={"description": "Only this post office's items (the office picker)"})
    round_id = QueryId()
    commune = Text(validate=validate.Length(max=100))
    procedure_id = QueryId()
    unassigned = fields.Boolean()
    plannable = fields.Boolean(
        metadata={"description": "Only items waiting to go on a round (the statuses assign is allowed from)"}
    )
    due_before = fields.Date()
    due_from = fields.Date(metadata={"description": "Due on or after this day"})
    due_to = fields.Date(metadata={"description": "Due on or before this day"})
    sort = fields.String(
        validate=validate.OneOf([f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-")]),
        metadata={"description": "Order by one field (a leading '-': descending; ties by id)"},
    )
    changed_since = fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "Only items changed after this change cursor (from the X-Change-Cursor header of an "
            "earlier answer): how an agency's system polls for status updates"
        },
    )

    @validates("status")
    def _some_status(self, value, **kwargs):
        if not value:
            raise ValidationError("Give at least one status.")


class ItemExportQuerySchema(ItemQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class RefSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ItemHeadSchema(StrictSchema):
    """What names an item and where it stands: the first fields of every view of one."""

    id = fields.Integer()
    code = fields.String()
    direction = fields.String()
    status = fields.String()


class ItemSchema(ItemHeadSchema):
    dossier_code = fields.String(allow_none=True)
    procedure = fields.Nested(RefSchema)
    agency = fields.Nested(RefSchema)
    office_id = fields.Integer(allow_none=True, metadata={"description": "The post office it belongs to"})
    recipient_name = fields.String()
    recipient_phone = fields.String(allow_none=True)
    address_line = fields.String()
    commune = fields.String()
    province = fields.String()
    old_address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    service_fee = fields.Integer()
    government_fee = fields.Integer()
    due_date = fields.Date(allow_none=True)
    attempt_count = fields.Integer(metadata={"description": "Every failed visit"})
    invitation_count = fields.Integer(
        metadata={
            "description": "Failed visits that count for the regulation "
            "(spaced by REATTEMPT_SPACING_WORKING_DAYS working days)"
        }
    )
    last_invitation_on = fields.Date(allow_none=True)
    next_attempt_from = fields.Function(
        lambda item: _next_attempt_from(item),
        allow_none=True,
        metadata={
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "Earliest day a new failed visit counts as the next invitation",
        },
    )
    note = fields.String(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    stop_order = fields.Integer(allow_none=True)
    leg_distance_m = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class TrackingSchema(StrictSchema):
    code = fields.String()
    direction = fields.String()
    status = fields.String()
    procedure = fields.String()
    agency = fields.String()
    attempt_count = fields.Integer()
    updated_at = fields.AwareDateTime()


class TrackingQuerySchema(StrictSchema):
    phone_last4 = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}$"),
        metadata={"description": "Last 4 digits of the recipient's phone"},
    )


def _next_attempt_from(item):
    day = next_attempt_from(item)
    return day.isoformat() if day else None


class ItemFilterSchema(ItemQuerySchema):
    """The backlog's filters, as a bulk action names "every item matching" (no paging)."""

    class Meta:
        exclude = ("page", "per_page", "changed_since", "sort")


BULK_ACTIONS = ("assign", "reschedule", "cancel")


class ItemSelectionSchema(StrictSchema):
    """A selection: the listed items (in that order), or every item matching a filter, found when
    the request is served (never more than MAX_BULK_ITEMS: more is refused, not cut)."""

    item_ids = fields.List(
        WholeNumber(validate=validate.Range(min=1)), validate=[validate.Length(min=1), no_repeats]
    )
    filter = fields.Nested(
        ItemFilterSchema, metadata={"description": "Instead of item_ids: all items matching"}
    )

    @validates_schema
    def _one_selection(self, data, **kwargs):
        if ("item_ids" in data) == ("filter" in data):
            raise ValidationError("Give item_ids or filter, one of them.", "item_ids")


class BulkActionSchema(ItemSelectionSchema):
    """One action on a selection, all or nothing."""

    action = fields.String(required=True, validate=validate.OneOf(BULK_ACTIONS))
    round_id = WholeNumber(metadata={"description": "assign: the round (If-Match: its version)"})
    due_date = fields.Date(metadata={"description": "reschedule: the new due date"})
    reason = Text(validate=validate.Length(min=1, max=500), metadata={"description": "cancel: why"})

    @validates_schema
    def _its_fields(self, data, **kwargs):
        needed = {"assign": "round_id", "reschedule": "due_date", "cancel": "reason"}.get(
            data.get("action", "")
        )
        if needed and data.get(needed) is None:
            raise ValidationError(f"Required for the action '{data['action']}'.", needed)


class BulkActionResultSchema(StrictSchema):
    action = fields.String()
    count = fields.Integer(metadata={"description": "How many items the action changed"})
    item_ids = fields.List(fields.Integer())
    round_id = fields.Integer(metadata={"description": "assign: the round"})
    round_version = fields.Integer(metadata={"description": "assign: the round's version now (its ETag)"})
