"""The dashboard's search box (GET /api/search) and an item's page (GET /api/items/{id}/timeline)."""

from marshmallow import fields, validate

from backend.schemas.common import MAX_PAGE, StrictSchema, Text
from backend.schemas.items import ItemHeadSchema
from backend.schemas.rounds import PostmanSchema

GROUPS = ("items", "rounds", "postmen")


class SearchQuerySchema(StrictSchema):
    q = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Words to find, with or without diacritics: an S10 or dossier code, a name, "
            "a phone number, an address; a date (01/12/2026, 1/12, 2026-12-01) finds that day's rounds"
        },
    )
    group = fields.String(
        validate=validate.OneOf(GROUPS), metadata={"description": "Only this group (to page through it)"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(
        load_default=8, validate=validate.Range(min=1, max=50), metadata={"description": "Per group"}
    )


class ItemHitSchema(ItemHeadSchema):
    dossier_code = fields.String(allow_none=True)
    recipient_name = fields.String()
    recipient_phone = fields.String(allow_none=True)
    address_line = fields.String()
    commune = fields.String()
    due_date = fields.Date(allow_none=True)
    round_id = fields.Integer(allow_none=True)


class RoundHitSchema(StrictSchema):
    id = fields.Integer()
    round_date = fields.Date()
    status = fields.String()
    postman = fields.Nested(PostmanSchema)
    stop_count = fields.Integer()


class PostmanHitSchema(PostmanSchema):
    phone = fields.String(allow_none=True)
    active = fields.Boolean()


def _group(schema) -> type[StrictSchema]:
    return StrictSchema.from_dict(
        {
            "total": fields.Integer(
                metadata={
                    "description": "How many match in all (not only this page), counted up to 1,000: "
                    "past that it is 1000 and `more` is true"
                }
            ),
            "more": fields.Boolean(metadata={"description": "More than `total` (1,000) match"}),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "results": fields.List(fields.Nested(schema)),
        },
        name=f"{schema.__name__.removesuffix('Schema')}Group",
    )


class SearchSchema(StrictSchema):
    q = fields.String()
    date = fields.Date(allow_none=True, metadata={"description": "The date read from the query, if any"})
    items = fields.Nested(_group(ItemHitSchema), allow_none=True)
    rounds = fields.Nested(_group(RoundHitSchema), allow_none=True)
    postmen = fields.Nested(_group(PostmanHitSchema), allow_none=True)


class PersonSchema(StrictSchema):
    id = fields.Integer()
    full_name = fields.String()
    role = fields.String()


class RoundRefSchema(StrictSchema):
    id = fields.Integer()
    round_date = fields.Date()
    postman = fields.Nested(PersonSchema, allow_none=True)


class TimelineEntrySchema(StrictSchema):
    """One thing that happened to the item. `kind`: created, imported, updated, event, reassigned,
    proof, review, fee, handover (other: an audit action of the item's this page has no words for);
    the other fields are those that kind has."""

    at = fields.AwareDateTime()
    kind = fields.String()
    actor = fields.Nested(PersonSchema, allow_none=True, metadata={"description": "Who did it"})
    event = fields.String(metadata={"description": "event, reassigned: the state machine's event"})
    action = fields.String(metadata={"description": "other: the audit action"})
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "event: as typed; proof: reason code"})
    round = fields.Nested(RoundRefSchema, allow_none=True)
    from_round = fields.Nested(RoundRefSchema, allow_none=True)
    source = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True, metadata={"description": "imported: the file's line"})
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    proof_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    note = fields.String(allow_none=True)
    device_time = fields.AwareDateTime(allow_none=True)
    flagged = fields.Boolean()
    flag_reason = fields.String(allow_none=True)
    review = fields.String(allow_none=True)
    counts_as_invitation = fields.Boolean(allow_none=True)
    complete = fields.Boolean()
    files = fields.Integer()
    service_fee = fields.Integer()
    government_fee = fields.Integer()
    service_fee_payment = fields.String()
    government_fee_payment = fields.String()
    receipt_number = fields.String(allow_none=True)
    handover_id = fields.Integer(allow_none=True)
    number = fields.String()
    direction = fields.String()
    agency = fields.String()
    officer_name = fields.String(allow_none=True)
    postman = fields.Nested(PersonSchema, allow_none=True)
    originals = fields.Integer()
    copies = fields.Integer()
    fee_passed_on = fields.Integer()


class TimelineSchema(StrictSchema):
    item_id = fields.Integer()
    code = fields.String()
    status = fields.String()
    version = fields.Integer(metadata={"description": "Send it as If-Match with a change"})
    editable = fields.Boolean(
        metadata={"description": "Not final: its recipient, address, fees may be corrected"}
    )
    allowed_events = fields.List(
        fields.String(), metadata={"description": "Events the state machine allows from its status now"}
    )
    entries = fields.List(fields.Nested(TimelineEntrySchema), metadata={"description": "Oldest first"})
