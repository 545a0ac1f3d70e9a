"""Handover records (biên bản bàn giao) as supervisors create, list and print them."""

from marshmallow import fields, validate

from backend.models.handover import (
    HANDOVER_DIRECTIONS,
    HANDOVER_STATUSES,
    ITEM_REQUEST_KINDS,
    ITEM_REQUEST_STATUSES,
)
from backend.schemas.common import PageQuery, QueryId, StrictSchema, Text, WholeNumber
from backend.schemas.items import RefSchema
from backend.schemas.offices import OfficeChoiceSchema
from backend.schemas.proofs import ProofAttachmentSchema
from backend.schemas.rounds import PostmanSchema
from sync.schemas import HandoverLineSchema  # the same line shape as a phone's `handover` mutation

DIRECTION = validate.OneOf(HANDOVER_DIRECTIONS)


class HandoverCreateSchema(OfficeChoiceSchema):
    direction = fields.String(
        required=True,
        validate=DIRECTION,
        metadata={
            "description": "agency_to_post: results the agency hands to the post; "
            "post_to_agency: collected dossiers and results sent back"
        },
    )
    agency_id = WholeNumber(metadata={"description": "Required of staff; an agency officer's own agency"})
    officer_name = Text(
        metadata={"description": "The agency officer who signs (an officer: their own name by default)"},
        validate=validate.Length(max=200),
    )
    postman_id = WholeNumber(allow_none=True, metadata={"description": "The postman who carries, if any"})
    result_ready_date = fields.Date(
        allow_none=True, metadata={"description": "When the agency will have the results ready"}
    )
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=1000))
    seal_number = Text(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "The bag's seal"}
    )
    lines = fields.List(
        fields.Nested(HandoverLineSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    signature = fields.String(
        load_only=True,
        validate=validate.Length(max=300_000),
        metadata={
            "description": "The recorder's signature drawn on screen (a PNG data URL): the record is "
            "electronic and waits for the other side's signature. Required of an agency officer."
        },
    )


class HandoverSignSchema(StrictSchema):
    signer_name = Text(required=True, validate=validate.Length(max=200))
    signature = fields.String(
        required=True, validate=validate.Length(max=300_000), metadata={"description": "A PNG data URL"}
    )


class HandoverWithdrawSchema(StrictSchema):
    reason = Text(
        allow_none=True,
        allow_blank=True,
        validate=validate.Length(max=500),
        metadata={"description": "Why, for the audit log"},
    )


class ItemRequestCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_REQUEST_KINDS))
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class ItemRequestResolveSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(("done", "declined")))
    note = Text(allow_none=True, allow_blank=True, validate=validate.Length(max=500))


class ItemRequestQuerySchema(PageQuery):
    status = fields.String(validate=validate.OneOf(ITEM_REQUEST_STATUSES))


class ItemRequestSchema(StrictSchema):
    id = fields.Integer()
    item_id = fields.Integer()
    code = fields.String(attribute="item.code")
    item_status = fields.String(attribute="item.status")
    agency_id = fields.Integer()
    kind = fields.String(metadata={"description": "hold or cancel"})
    reason = fields.String()
    status = fields.String(metadata={"description": "open, done or declined"})
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    note = fields.String(allow_none=True)


class HandoverQuerySchema(PageQuery):
    agency_id = QueryId()
    direction = fields.String(validate=DIRECTION)
    status = fields.String(
        validate=validate.OneOf(HANDOVER_STATUSES),
        metadata={
            "description": "signed, awaiting_post or awaiting_agency (electronic records awaiting a signature), "
            "withdrawn"
        },
    )
    date_from = fields.Date(metadata={"description": "Local date the record was made, inclusive"})
    date_to = fields.Date()


class CandidateQuerySchema(StrictSchema):
    direction = fields.String(required=True, validate=DIRECTION)
    agency_id = QueryId()


class HandoverLineViewSchema(StrictSchema):
    item_id = fields.Integer()
    code = fields.String()
    dossier_code = fields.String(allow_none=True)
    recipient_name = fields.String()
    direction = fields.String()
    status = fields.String()
    procedure = fields.String()
    originals = fields.Integer()
    copies = fields.Integer()
    fee_passed_on = fields.Integer(metadata={"description": "VND"})


class HandoverTotalsSchema(StrictSchema):
    items = fields.Integer()
    originals = fields.Integer()
    copies = fields.Integer()
    fee_passed_on = fields.Integer()


class HandoverSchema(StrictSchema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "Printed number, e.g. BG-000012"})
    direction = fields.String()
    agency = fields.Nested(RefSchema)
    postman = fields.Nested(PostmanSchema, allow_none=True)
    created_by = fields.Nested(PostmanSchema, allow_none=True)
    officer_name = fields.String(allow_none=True)
    result_ready_date = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    seal_number = fields.String(
        allow_none=True,
        metadata={"description": "The bag's seal (records before it had a field: in the note)"},
    )
    attachments = fields.List(
        fields.Nested(ProofAttachmentSchema),
        metadata={"description": "Evidence sent with the phone's record: the officer's signature, photos"},
    )
    flag_reason = fields.String(
        allow_none=True,
        metadata={"description": "blank-signature: the officer's signature arrived after the record, blank"},
    )
    source = fields.String(metadata={"description": "phone (a postman's sync mutation) or dashboard"})
    status = fields.String(
        metadata={
            "description": "signed; or, electronic, awaiting_post / awaiting_agency (its second signature), "
            "or withdrawn by the side that drew it up"
        }
    )
    signed_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "Electronic records: when the second signature landed (server time), the legal time"
        },
    )
    signer_name = fields.String(allow_none=True, metadata={"description": "Who signed second"})
    created_at = fields.AwareDateTime()
    device_time = fields.AwareDateTime(allow_none=True)
    verification = fields.String(metadata={"description": "The hash printed in the QR code"})
    lines = fields.List(fields.Nested(HandoverLineViewSchema))
    totals = fields.Nested(HandoverTotalsSchema)


class CandidateSchema(HandoverLineViewSchema):
    """An item that could go on a handover record (a line-to-be, with suggestions)."""

    agency_id = fields.Integer()
    event = fields.String(
        allow_none=True,
        metadata={
            "description": "The status change the record makes; null: it documents a receipt already booked"
        },
    )
    originals = fields.Integer(
        metadata={
            "description": "Suggested: a dossier's papers ticked present (else its procedure's checklist); "
            "a result's papers as the agency handed them over (else one original)"
        }
    )
    copies = fields.Integer()
    fee_passed_on = fields.Integer(
        metadata={"description": "Suggested: government fees collected for the item"}
    )
