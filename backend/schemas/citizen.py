"""The citizen's side (docs/citizen.md): what tracking answers beyond the status, and complaints."""

from marshmallow import fields, validate

from backend.schemas.common import PageQuery, StrictSchema, Text


class ExpectedSchema(StrictSchema):
    day = fields.Date()
    from_ = fields.String(data_key="from", allow_none=True, attribute="from")
    to = fields.String(allow_none=True)


class FailureSchema(StrictSchema):
    reason = fields.String(allow_none=True)
    next_attempt = fields.Date(allow_none=True)


class PayeeSchema(StrictSchema):
    bin = fields.String()
    account = fields.String()
    name = fields.String(allow_none=True)


class TransferSchema(StrictSchema):
    fee = fields.String(
        metadata={"description": "`service` (to the post office) or `government` (to the agency)"}
    )
    amount = fields.Integer()
    payee = fields.Nested(PayeeSchema)
    payload = fields.String(metadata={"description": "The VietQR (NAPAS/EMVCo) payload to draw as a QR code"})


class ChoiceSchema(StrictSchema):
    kind = fields.String(allow_none=True, metadata={"description": "another_day, stand_in, pickup, booked"})
    day = fields.Date(allow_none=True)
    stand_in_name = fields.String(allow_none=True)
    at = fields.AwareDateTime(allow_none=True)


class OfficeContactSchema(StrictSchema):
    name = fields.String()
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    hours = fields.String(allow_none=True)


class StepSchema(StrictSchema):
    at = fields.AwareDateTime()
    step = fields.String()
    reason = fields.String(allow_none=True)


class CitizenComplaintSchema(StrictSchema):
    filed_at = fields.AwareDateTime()
    text = fields.String()
    due_on = fields.Date()
    answer = fields.String(allow_none=True)


class ComplaintSchema(StrictSchema):
    id = fields.Integer()
    item_id = fields.Integer()
    code = fields.String(attribute="item.code")
    office_id = fields.Integer(allow_none=True)
    text = fields.String()
    filed_at = fields.AwareDateTime()
    due_on = fields.Date(metadata={"description": "Last working day to answer (5 inside a province)"})
    answer = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


class ComplaintQuerySchema(PageQuery):
    open = fields.Boolean(load_default=None, metadata={"description": "Only unanswered (true) or answered"})


class ComplaintAnswerSchema(StrictSchema):
    answer = Text(required=True, validate=validate.Length(min=2, max=2000))


class BookingSchema(StrictSchema):
    """A collection of a dossier at home, as the /book/ page asks for it."""

    procedure_id = fields.Integer(
        required=True, strict=True, metadata={"description": "A procedure allowed by post"}
    )
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(
        required=True,
        validate=validate.Regexp(r"^\+?[0-9][0-9 .]{7,18}[0-9]$", error="A phone number, 9 to 15 digits."),
    )
    address_line = Text(required=True, validate=validate.Length(min=1, max=300))
    commune = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Current commune/ward"},
    )
    old_address = Text(validate=validate.Length(max=300), allow_none=True)
    day = fields.Date(
        required=True, metadata={"description": "Preferred day: a working day within the allowed range"}
    )


class BookedSchema(StrictSchema):
    code = fields.String(metadata={"description": "The tracking code"})
    status = fields.String()
    link = fields.String(metadata={"description": "The tracking page, opened without the phone digits"})
