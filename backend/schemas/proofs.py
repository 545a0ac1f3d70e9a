from marshmallow import fields, validate

from backend.schemas.common import PageQuery, QueryId, StrictSchema, Text


class ProofAttachmentSchema(StrictSchema):
    sha256 = fields.String()
    kind = fields.String()
    available = fields.Function(
        lambda link: link.file is not None and link.file.verified and link.file.purged_at is None,
        metadata={"description": "False until uploaded, and after retention"},
    )


class ProofSchema(StrictSchema):
    id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.Function(lambda a: a.item.code)
    postman_id = fields.Integer()
    device_id = fields.String(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    reason_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    next_attempt_date = fields.Date(allow_none=True)
    receiver_name = fields.String(allow_none=True)
    receiver_relation = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    device_time = fields.AwareDateTime(allow_none=True)
    server_time = fields.AwareDateTime()
    fee_collected = fields.Integer()
    government_fee_collected = fields.Integer()
    receipt_number = fields.String(allow_none=True)
    checklist = fields.List(fields.Dict(), allow_none=True)
    missing_papers = fields.String(allow_none=True)
    seal_number = fields.String(allow_none=True)
    flagged = fields.Boolean()
    flag_reason = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True, metadata={"description": "When it was reviewed"})
    review = fields.String(
        allow_none=True,
        metadata={"description": "A flagged proof: null while pending, then `accepted` or `rejected`"},
    )
    review_note = fields.String(allow_none=True)
    reviewed_by_id = fields.Integer(allow_none=True)
    counts_as_invitation = fields.Boolean(
        allow_none=True,
        metadata={"description": "A failed visit: whether it counted as one of the regulation's invitations"},
    )
    complete = fields.Boolean()
    attachments = fields.List(fields.Nested(ProofAttachmentSchema))


class ProofQuerySchema(PageQuery):
    flagged = fields.Boolean()
    unresolved = fields.Boolean()
    item_id = QueryId()
    postman_id = QueryId()
    outcome = fields.String(validate=validate.OneOf(("delivered", "collected", "failed")))
    date = fields.Date(metadata={"description": "Server date (local time) the proof arrived"})


class ResolveSchema(StrictSchema):
    note = Text(required=True, validate=validate.Length(min=1, max=1000))


class AcceptSchema(StrictSchema):
    note = Text(validate=validate.Length(max=1000), allow_none=True)


class RejectSchema(StrictSchema):
    reason = Text(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why the proof does not count (shown in the audit log)"},
    )


class ReconciliationQuerySchema(StrictSchema):
    date = fields.Date(metadata={"description": "Round date; defaults to today (local)"})
    postman_id = QueryId()


class DeviceSyncSchema(StrictSchema):
    id = fields.String()
    user_id = fields.Integer()
    username = fields.Function(lambda d: d.user.username)
    full_name = fields.Function(lambda d: d.user.full_name)
    label = fields.String(allow_none=True)
    last_sync_at = fields.AwareDateTime(allow_none=True)
    last_seq = fields.Integer()
    app_version = fields.String(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
