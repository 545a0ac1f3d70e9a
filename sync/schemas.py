"""The shapes of client mutations (protocol 1)."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from backend.models.proofs import ATTACHMENT_KINDS, FAILURE_REASONS, PAYMENT_METHODS, RECEIVER_RELATIONS
from backend.schemas.common import Latitude, Longitude, Money, StrictSchema, Text, WholeNumber

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="A lower-case hex SHA-256 digest.")
ID_RANGE = validate.Range(min=1, max=2**31 - 1)  # ids are 32-bit in the database
MUTATION_TYPES = ("deliver", "fail", "collect", "fee", "handover", "cash_handover")
NO_ITEM_TYPES = ("handover", "cash_handover")  # mutation types without an item_id
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a mutation's client-generated id
MAX_SEQ = 2**53  # the largest integer a JavaScript phone counts exactly


class MutationSchema(StrictSchema):
    id = fields.String(required=True, validate=validate.Regexp(CLIENT_ID.pattern + "$"))
    seq = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_SEQ))
    type = fields.String(required=True, validate=validate.OneOf(MUTATION_TYPES))
    v = WholeNumber(load_default=1, metadata={"description": "Mutation payload version"})
    at = fields.AwareDateTime(required=True, metadata={"description": "Device time, with offset"})
    item_id = WholeNumber(validate=ID_RANGE)
    data = fields.Dict(load_default=dict)
    attachments = fields.List(
        fields.Nested(lambda: AttachmentRefSchema()), load_default=list, validate=validate.Length(max=12)
    )


class AttachmentRefSchema(StrictSchema):
    sha256 = fields.String(required=True, validate=SHA256)
    kind = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_KINDS))


class PositionMixin(StrictSchema):
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(min=0, max=100_000))


def _payment():
    """Cash or VietQR transfer, per fee kind; absent means cash (phones before VietQR)."""
    return fields.String(load_default="cash", validate=validate.OneOf(PAYMENT_METHODS))


class PaymentMixin(StrictSchema):
    """How the fees a mutation carries were paid, and the receipt given for them."""

    service_fee_payment = _payment()
    government_fee_payment = _payment()
    receipt_number = Text(allow_none=True, validate=validate.Length(max=64))


class FeeMixin(PaymentMixin):
    fee_collected = Money(load_default=0)
    government_fee_collected = Money(load_default=0)


class DeliverData(PositionMixin, FeeMixin):
    receiver_name = Text(required=True, validate=validate.Length(max=200))
    receiver_relation = fields.String(required=True, validate=validate.OneOf(RECEIVER_RELATIONS))
    id_number = Text(allow_none=True, validate=validate.Regexp(r"^[0-9A-Za-z]{6,20}$"))
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))


class FailData(PositionMixin):
    reason_code = fields.String(required=True, validate=validate.OneOf(FAILURE_REASONS))
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))
    next_attempt_date = fields.Date(allow_none=True)


class ChecklistTickSchema(StrictSchema):
    name = Text(required=True, validate=validate.Length(max=300))
    form = fields.String(required=True, validate=validate.OneOf(("original", "copy")))
    present = fields.Boolean(required=True)


class CollectData(PositionMixin, FeeMixin):
    checklist = fields.List(
        fields.Nested(ChecklistTickSchema), required=True, validate=validate.Length(max=50)
    )
    missing_papers = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))
    seal_number = Text(required=True, validate=validate.Length(max=64))
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))


class FeeData(PaymentMixin):
    service_fee = Money(load_default=0)
    government_fee = Money(load_default=0)

    @validates_schema
    def _something(self, data, **kwargs):
        if not data.get("service_fee") and not data.get("government_fee"):
            raise ma.ValidationError("A fee mutation must carry an amount.", "service_fee")


class HandoverLineSchema(StrictSchema):
    item_id = WholeNumber(required=True, validate=ID_RANGE)
    originals = WholeNumber(load_default=0, validate=validate.Range(min=0, max=100))
    copies = WholeNumber(load_default=0, validate=validate.Range(min=0, max=100))
    fee_passed_on = Money(load_default=0)


class HandoverData(StrictSchema):
    direction = fields.String(required=True, validate=validate.OneOf(("agency_to_post", "post_to_agency")))
    agency_id = WholeNumber(required=True, validate=ID_RANGE)
    officer_name = Text(required=True, validate=validate.Length(max=200))
    result_ready_date = fields.Date(allow_none=True)
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))
    seal_number = Text(allow_none=True, validate=validate.Length(max=64))
    lines = fields.List(
        fields.Nested(HandoverLineSchema), required=True, validate=validate.Length(min=1, max=500)
    )


class CashHandoverData(StrictSchema):
    """The day's cash handed to the post office, per fee kind (backend.services.cash)."""

    day = fields.Date(required=True)
    service_fee_cash = Money(load_default=0)
    government_fee_cash = Money(load_default=0)
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data.get("service_fee_cash") and not data.get("government_fee_cash"):
            raise ma.ValidationError("A cash handover must carry an amount.", "service_fee_cash")


# Each mutation type's amounts and how each was paid: (amount field, payment field).
CASH_FIELDS = {
    "deliver": (
        ("fee_collected", "service_fee_payment"),
        ("government_fee_collected", "government_fee_payment"),
    ),
    "collect": (
        ("fee_collected", "service_fee_payment"),
        ("government_fee_collected", "government_fee_payment"),
    ),
    "fee": (("service_fee", "service_fee_payment"), ("government_fee", "government_fee_payment")),
}


def cash_taken(kind: str, data: dict) -> int:
    """The VND a mutation says were taken in cash (a transfer needs no receipt: the bank keeps one)."""
    return sum(
        data.get(amount) or 0 for amount, paid in CASH_FIELDS.get(kind, ()) if data.get(paid) == "cash"
    )


DATA_SCHEMAS = {
    "deliver": DeliverData,
    "fail": FailData,
    "collect": CollectData,
    "fee": FeeData,
    "handover": HandoverData,
    "cash_handover": CashHandoverData,
}
# Attachments each proof must carry.
REQUIRED_ATTACHMENTS = {"deliver": {"signature"}, "collect": {"signature", "postman_signature"}}
# The only kinds some mutations may carry (the others take any of ATTACHMENT_KINDS): a handover
# record keeps the agency officer's signature and photos.
ALLOWED_ATTACHMENTS = {"handover": {"signature", "photo"}}


MAX_BATCH = 200  # mutations per push
MAX_APP_VERSION = 32  # characters of app_version / X-PostRound-App (the ledger keeps it)


class PushSchema(StrictSchema):
    protocol = WholeNumber(load_default=1)
    app_version = Text(allow_none=True, validate=validate.Length(max=MAX_APP_VERSION))
    mutations = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))
