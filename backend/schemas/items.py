from flask import current_app
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from backend.domain.onestop import (
    CHANNEL_BY_POST,
    DOSSIER_CODE_PATTERN,
    deadline_working_days,
    dossier_code_problem,
    onestop_status,
    parse_deadlines,
    route_of,
)
from backend.domain.s10 import S10_PATTERN, s10_problem
from backend.domain.status import DUE_BINDS, Direction, Status
from backend.domain.workdays import add_working_days, working_days_left
from backend.schemas.citizen import (
    ChoiceSchema,
    CitizenComplaintSchema,
    ExpectedSchema,
    FailureSchema,
    OfficeContactSchema,
    PayeeSchema,
    StepSchema,
    TransferSchema,
)
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
from backend.timeutil import local_today

PHONE = validate.Regexp(r"^\+?[0-9 .-]{8,15}$", error="Not a valid phone number.")


class ItemCode(Text):
    """A UPU S10 code, upper-cased, with its check digit verified."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).upper()
        problem = s10_problem(code)
        if problem:
            raise ValidationError(f"Not a valid S10 item code: {problem}.")
        return code


class DossierCode(Text):
    """A one-stop dossier code of the national format (backend/domain/onestop.py)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs)
        problem = dossier_code_problem(code.strip().upper())
        if problem:
            raise ValidationError(f"Not a dossier code of the national format: {problem}.")
        return code.strip().upper()


class ItemFieldsSchema(StrictSchema):
    """What a supervisor or an agency may set on an item."""

    dossier_code = DossierCode(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={
            "description": "The one-stop system's dossier code, national format: 000.21.30.H01-251201-0014",
            "pattern": DOSSIER_CODE_PATTERN,
        },
    )
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
    overdue = fields.Boolean(
        metadata={
            "description": "Only items overdue in working days (working_days_left < 0), still bound by the date"
        }
    )
    due_within = fields.Integer(
        validate=validate.Range(min=0, max=60),
        metadata={
            "description": "Only items due within this many working days and not overdue "
            "(0 <= working_days_left <= n; 0: due now)"
        },
    )
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


def _deadline_days(item) -> int:
    table = parse_deadlines(current_app.config["DEADLINE_WORKING_DAYS"])
    return deadline_working_days(table, _route(item), item.direction)


def _day_field(day_of, description: str) -> fields.Function:
    """A day worked out from the item (`day_of(item)`, None for none), documented as a nullable date."""

    def iso(item) -> str | None:
        day = day_of(item)
        return day.isoformat() if day else None

    return fields.Function(
        iso, metadata={"type": "string", "format": "date", "nullable": True, "description": description}
    )


def _deadline(item):
    received = getattr(item, "received_on", None)
    return add_working_days(received, _deadline_days(item)) if received else None


def _left(item, due):
    """The one lateness rule (backend/domain/workdays.py: working_days_left) for an item still bound."""
    if due is None or item.status not in DUE_BINDS:
        return None
    return working_days_left(due, local_today())


def _route(item) -> str:
    return route_of(item.commune, item.province, item.agency.commune, item.agency.province)


class OneStopSchema(StrictSchema):
    """The item in the one-stop systems' words (docs/agency-api.md, "Their vocabulary")."""

    status_code = fields.Function(
        lambda item: int(onestop_status(item.direction, item.status)),
        metadata={"type": "integer", "minimum": 1, "maximum": 10, "description": "One-stop status 1-10"},
    )
    channel = fields.Function(
        lambda item: CHANNEL_BY_POST, metadata={"type": "integer", "description": "3: by public post"}
    )
    tracking_number = fields.String(attribute="code", metadata={"description": "The post's S10 number"})
    dossier_code = fields.String(allow_none=True)
    deadline_route = fields.Function(
        _route,
        metadata={"type": "string", "enum": ["local", "province", "national"], "description": "Circular 17"},
    )
    deadline_working_days = fields.Function(
        _deadline_days,
        metadata={"type": "integer", "description": "n of J+n: working days after the post receives it"},
    )
    received_on = _day_field(lambda item: getattr(item, "received_on", None), "J: the post received it")
    deadline = _day_field(_deadline, "J+n, in working days")
    deadline_working_days_left = fields.Function(
        lambda item: _left(item, _deadline(item)),
        metadata={
            "type": "integer",
            "nullable": True,
            "description": "Working days to `deadline` (0: due now, negative: overdue by); null once "
            "final or going back, or before the post has it",
        },
    )


class TheItemItself(fields.Nested):
    """A nested view of the same object (not of one of its attributes)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj


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
    working_days_left = fields.Function(
        lambda item: _left(item, item.due_date),
        metadata={
            "type": "integer",
            "nullable": True,
            "description": "Working days to the due date (0: due now, negative: overdue by that many; a due "
            "date on a weekend or holiday moves to the next working day); null without a due date or "
            "once final or going back to the agency",
        },
    )
    attempt_count = fields.Integer(metadata={"description": "Every failed visit"})
    invitation_count = fields.Integer(
        metadata={
            "description": "Failed visits that count for the regulation "
            "(spaced by REATTEMPT_SPACING_WORKING_DAYS working days)"
        }
    )
    last_invitation_on = fields.Date(allow_none=True)
    next_attempt_from = _day_field(
        lambda item: next_attempt_from(item), "Earliest day a new failed visit counts as the next invitation"
    )
    note = fields.String(allow_none=True)
    # The citizen's answer from the tracking link (docs/citizen.md).
    citizen_choice = fields.String(
        allow_none=True, metadata={"description": "another_day, stand_in, pickup, or booked (a collection)"}
    )
    citizen_day = fields.Date(allow_none=True)
    stand_in_name = fields.String(allow_none=True)
    citizen_choice_at = fields.AwareDateTime(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    stop_order = fields.Integer(allow_none=True)
    leg_distance_m = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    onestop = TheItemItself(OneStopSchema, dump_only=True)


class TrackingSchema(StrictSchema):
    code = fields.String()
    direction = fields.String()
    status = fields.String()
    procedure = fields.String()
    agency = fields.String()
    attempt_count = fields.Integer()
    updated_at = fields.AwareDateTime()
    # What the citizen's tracking page shows (docs/citizen.md).
    expected = fields.Nested(ExpectedSchema, allow_none=True)
    failure = fields.Nested(FailureSchema, allow_none=True)
    service_fee = fields.Integer()
    government_fee = fields.Integer()
    to_pay = fields.Integer()
    payee = fields.Nested(PayeeSchema, allow_none=True)
    transfers = fields.List(fields.Nested(TransferSchema))
    checklist = fields.List(fields.Raw())
    choice = fields.Nested(ChoiceSchema)
    can_answer = fields.Boolean()
    office = fields.Nested(OfficeContactSchema, allow_none=True)
    story = fields.List(fields.Nested(StepSchema))
    complaints = fields.List(fields.Nested(CitizenComplaintSchema))


class TrackingQuerySchema(StrictSchema):
    phone_last4 = fields.String(
        validate=validate.Regexp(r"^\d{4}$"),
        metadata={"description": "Last 4 digits of the recipient's phone (or `k`)"},
    )
    k = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "The token of the link in a message; stands in for the digits"},
    )

    @validates_schema
    def _digits_or_link(self, data, **kwargs):
        if not data.get("phone_last4") and not data.get("k"):
            raise ValidationError("Give phone_last4 or k.", "phone_last4")


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
