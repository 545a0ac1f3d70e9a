"""Cash a postman hands to the post office, and the per-postman cash figures of a day."""

from marshmallow import fields, validate

from backend.schemas.common import Money, QueryId, StrictSchema, Text, WholeNumber
from backend.schemas.rounds import PostmanSchema


class CashHandoverSchema(StrictSchema):
    id = fields.Integer()
    postman = fields.Nested(PostmanSchema)
    office_id = fields.Integer(allow_none=True)
    day = fields.Date(metadata={"description": "The local day whose cash it is"})
    service_fee_cash = fields.Integer(metadata={"description": "VND"})
    government_fee_cash = fields.Integer(metadata={"description": "VND"})
    total = fields.Integer()
    status = fields.String(
        metadata={"description": "declared (sent by the phone) or received (a supervisor took it)"}
    )
    flag_reason = fields.String(
        allow_none=True, metadata={"description": "more-than-held: the phone's record exceeds the cash held"}
    )
    note = fields.String(allow_none=True)
    source = fields.Function(
        lambda row: "phone" if row.client_mutation_id else "dashboard",
        metadata={"description": "phone (the sync cash_handover mutation) or dashboard"},
    )
    received_by = fields.Nested(PostmanSchema, allow_none=True, metadata={"description": "The supervisor"})
    received_at = fields.AwareDateTime(allow_none=True)
    device_time = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class CashHandoverCreateSchema(StrictSchema):
    postman_id = WholeNumber(required=True)
    day = fields.Date(metadata={"description": "The local day whose cash it is; defaults to today"})
    service_fee_cash = Money(load_default=0)
    government_fee_cash = Money(load_default=0)
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))


class CashReceiveSchema(StrictSchema):
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))


class CashQuerySchema(StrictSchema):
    date = fields.Date(
        metadata={"description": "The local day (Asia/Ho_Chi_Minh by default); defaults to today"}
    )
    postman_id = QueryId()


class PostmanCashSchema(StrictSchema):
    """One postman's cash for the day, in VND (backend.services.cash)."""

    postman = fields.Nested(PostmanSchema)
    cash_collected = fields.Integer()
    service_fee_cash = fields.Integer()
    government_fee_cash = fields.Integer()
    transfer_collected = fields.Integer(metadata={"description": "VietQR transfers: never cash held"})
    service_fee_transfer = fields.Integer()
    government_fee_transfer = fields.Integer()
    handed_over = fields.Integer()
    handed_to_office_service = fields.Integer()
    handed_to_office_government = fields.Integer()
    handed_to_agency = fields.Integer(metadata={"description": "Government fees on agency handover records"})
    awaiting_receipt = fields.Integer(metadata={"description": "Declared by the phone, not yet received"})
    outstanding = fields.Integer()
    outstanding_service = fields.Integer()
    outstanding_government = fields.Integer()
    handovers = fields.List(fields.Nested(CashHandoverSchema))
