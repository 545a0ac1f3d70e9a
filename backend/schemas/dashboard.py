"""What the supervisors' dashboard reads: settings, the day at a glance, the map, the exceptions."""

from marshmallow import fields, validate

from backend.schemas.cash import PostmanCashSchema
from backend.schemas.common import QueryId, StrictSchema, Text
from backend.schemas.items import ItemHeadSchema
from backend.schemas.rounds import PostmanSchema
from backend.services.item_import import DEFAULT_SERVICE_FEE


class DayQuerySchema(StrictSchema):
    date = fields.Date(
        metadata={"description": "Local date (Asia/Ho_Chi_Minh by default); defaults to today"}
    )


class PointSchema(StrictSchema):
    lat = fields.Float()
    lon = fields.Float()


class DashboardConfigSchema(StrictSchema):
    map_tile_url = fields.String(
        metadata={"description": "Leaflet tile URL template; empty: no tiles, markers on a blank map"}
    )
    map_tile_attribution = fields.String()
    poll_seconds = fields.Integer(metadata={"description": "How often the dashboard re-reads /today"})
    mismatch_metres = fields.Integer(
        metadata={"description": "A proof further than this from the address is a location mismatch"}
    )
    unsynced_device_minutes = fields.Integer()
    attempt_limit = fields.Integer()
    timezone = fields.String()
    today = fields.Date()
    post_office = fields.Nested(PointSchema)


class DeviceStatusSchema(StrictSchema):
    id = fields.String()
    label = fields.String(allow_none=True)
    last_sync_at = fields.AwareDateTime(allow_none=True)
    last_seq = fields.Integer(
        metadata={"description": "Last mutation number the server took from this phone"}
    )
    app_version = fields.String(allow_none=True)
    applied_today = fields.Integer()
    rejected_today = fields.Integer()
    stale = fields.Boolean(metadata={"description": "Not synced for UNSYNCED_DEVICE_MINUTES (or never)"})


class CountsSchema(StrictSchema):
    returned = fields.Integer(metadata={"description": "Results delivered"})
    collected = fields.Integer(metadata={"description": "Dossiers collected (or already handed on)"})
    failed = fields.Integer(metadata={"description": "Last attempt failed (or sent back to the agency)"})
    pending = fields.Integer(
        metadata={"description": "No result on the server yet: not done, or done on the phone and not synced"}
    )


class TotalsSchema(CountsSchema):
    stops = fields.Integer()


class RiskReasonSchema(StrictSchema):
    code = fields.String(
        metadata={"description": "behind | silent | never_synced | exceptions; the page words it"}
    )
    params = fields.Dict(
        keys=fields.String(), values=fields.Integer(allow_none=True), metadata={"description": "Its numbers"}
    )


class RiskSchema(StrictSchema):
    score = fields.Integer(metadata={"description": "Orders the rounds: higher is more at risk"})
    expected_done = fields.Integer(metadata={"description": "Stops expected done by now"})
    behind = fields.Integer(metadata={"description": "Stops expected done by now but not done"})
    reasons = fields.List(fields.Nested(RiskReasonSchema))


class StopEtaSchema(StrictSchema):
    item_id = fields.Integer()
    code = fields.String()
    stop_order = fields.Integer(allow_none=True)
    eta = fields.AwareDateTime()


class RoundProgressSchema(StrictSchema):
    id = fields.Integer()
    office_id = fields.Integer(allow_none=True)
    round_date = fields.Date()
    status = fields.String()
    note = fields.String(allow_none=True)
    postman = fields.Nested(PostmanSchema)
    stop_count = fields.Integer()
    progress = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Stops per item status"}
    )
    counts = fields.Nested(CountsSchema)
    incomplete_proofs = fields.Integer(
        metadata={"description": "Proofs whose photos or signature are still uploading"}
    )
    flagged_proofs = fields.Integer()
    last_proof_at = fields.AwareDateTime(allow_none=True)
    total_distance_m = fields.Integer(allow_none=True)
    devices = fields.List(fields.Nested(DeviceStatusSchema))
    risk = fields.Nested(RiskSchema)
    eta = fields.List(
        fields.Nested(StopEtaSchema),
        metadata={"description": "Each stop with no result yet, in route order, with when it should be done"},
    )
    finish_eta = fields.AwareDateTime(allow_none=True, metadata={"description": "The last stop's ETA"})
    pace_minutes = fields.Float(metadata={"description": "Minutes per stop so far (or the assumed pace)"})


class TodaySchema(StrictSchema):
    date = fields.Date()
    sync_seq = fields.Integer(
        metadata={"description": "The sync clock: it moves whenever an item or round changes"}
    )
    rounds = fields.List(fields.Nested(RoundProgressSchema))
    totals = fields.Nested(TotalsSchema)
    exception_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    cash = fields.List(
        fields.Nested(PostmanCashSchema),
        metadata={"description": "Per postman: cash collected, transfers, handed over, outstanding (VND)"},
    )


class ItemRefSchema(ItemHeadSchema):
    recipient_name = fields.String()
    commune = fields.String()
    due_date = fields.Date(allow_none=True)
    attempt_count = fields.Integer()
    round_id = fields.Integer(allow_none=True)
    agency_id = fields.Integer()


class AcknowledgementSchema(StrictSchema):
    by = fields.Nested(PostmanSchema, allow_none=True, metadata={"description": "The supervisor"})
    at = fields.AwareDateTime()
    note = fields.String(allow_none=True)


class OfficeDayQuerySchema(DayQuerySchema):
    office_id = QueryId(
        metadata={"description": "Only this post office (the office picker of a user who sees several)"}
    )


class ExceptionsQuerySchema(DayQuerySchema):
    include_acknowledged = fields.Boolean(
        load_default=False, metadata={"description": "Also list acknowledged exceptions, with who and when"}
    )


class AcknowledgeSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=32))
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=96),
        metadata={"description": "The `subject` of the exception, as listed"},
    )
    note = Text(validate=validate.Length(max=1000), allow_none=True)
    date = fields.Date(metadata={"description": "The day the exception is listed for; defaults to today"})


class ExceptionSchema(StrictSchema):
    kind = fields.String(
        metadata={
            "description": "flagged_proof, location_mismatch, unsynced_device, "
            "attempt_limit, failed_attempt, overdue or citizen_answer"
        }
    )
    action = fields.String(
        metadata={
            "description": "What to do: review_proof, check_location, call_postman, "
            "return_to_agency, reattempt, hand_to_agency, "
            "fetch_from_agency, deliver_first, collect_first, "
            "assign_today, tell_postman, hold_for_pickup"
        }
    )
    item = fields.Nested(ItemRefSchema, allow_none=True)
    proof_id = fields.Integer(allow_none=True)
    postman = fields.Nested(PostmanSchema, allow_none=True)
    device_id = fields.String(allow_none=True)
    at = fields.AwareDateTime(allow_none=True)
    facts = fields.Dict(
        keys=fields.String(), metadata={"description": "Numbers behind the exception, by kind"}
    )
    subject = fields.String(
        allow_none=True,
        metadata={"description": "What to send to acknowledge it; null when it cannot be acknowledged"},
    )
    acknowledged = fields.Nested(AcknowledgementSchema, allow_none=True)


class ExceptionsSchema(StrictSchema):
    date = fields.Date()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    exceptions = fields.List(fields.Nested(ExceptionSchema))


class MapStopSchema(ItemHeadSchema):
    recipient_name = fields.String()
    address_line = fields.String()
    commune = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    round_id = fields.Integer()
    stop_order = fields.Integer(allow_none=True)
    postman = fields.String()


class MapProofSchema(StrictSchema):
    id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.String()
    outcome = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    server_time = fields.AwareDateTime()
    flagged = fields.Boolean()
    distance_m = fields.Integer(allow_none=True, metadata={"description": "Geodesic metres from the address"})
    mismatch = fields.Boolean()


class MapOfficeSchema(PointSchema):
    # An office whose position is not known yet (created without one): no marker, still listed.
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class MapSchema(StrictSchema):
    date = fields.Date()
    post_office = fields.Nested(
        PointSchema, metadata={"description": "Where rounds start: the first of the offices shown"}
    )
    offices = fields.List(
        fields.Nested(MapOfficeSchema), metadata={"description": "The commune offices shown"}
    )
    mismatch_metres = fields.Integer()
    stops = fields.List(fields.Nested(MapStopSchema))
    proofs = fields.List(fields.Nested(MapProofSchema))


# Importing items from a one-stop-shop export (an upload) ------------------------------------


class ImportQuerySchema(StrictSchema):
    filename = Text(
        validate=validate.Length(max=200),
        metadata={"description": "The file's name when it is sent as the raw body (not multipart)"},
    )
    agency_code = Text(
        validate=validate.Length(max=32),
        metadata={
            "description": "The agency that handed the items over, for rows without a 'Mã cơ quan' column"
        },
    )
    encoding = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,20}$"),
        metadata={
            "description": "Read a CSV in this encoding (e.g. cp1258) instead of UTF-8; only if you are sure"
        },
    )
    service_fee = fields.Integer(
        load_default=DEFAULT_SERVICE_FEE,
        validate=validate.Range(min=0, max=1_000_000_000),
        metadata={"description": "VND for rows without one"},
    )
    office = Text(
        validate=validate.Length(max=32),
        metadata={
            "description": "The post office the items belong to (its code); required when the caller belongs "
            "to several. The preview checks that it serves each row's agency"
        },
    )


class ImportConfirmQuerySchema(ImportQuerySchema):
    skip_bad = fields.Boolean(
        load_default=False, metadata={"description": "Import the good rows even if some are bad"}
    )
    sha256 = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={"description": "The digest the preview returned: refuses a different file"},
    )


class RowErrorSchema(StrictSchema):
    line = fields.Integer(allow_none=True, metadata={"description": "Spreadsheet line; null: the whole file"})
    column = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "The problem in English"})
    message_vi = fields.String(metadata={"description": "The same problem in Vietnamese"})


class PreviewRowSchema(StrictSchema):
    line = fields.Integer()
    code = fields.String()
    direction = fields.String()
    dossier_code = fields.String(allow_none=True)
    recipient_name = fields.String()
    address_line = fields.String()
    commune = fields.String()
    procedure_id = fields.Integer()
    agency_id = fields.Integer()
    due_date = fields.Date(allow_none=True)
    service_fee = fields.Integer()
    government_fee = fields.Integer()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class ImportPreviewSchema(StrictSchema):
    file = fields.String()
    sha256 = fields.String()
    bytes = fields.Integer()
    description = fields.String(metadata={"description": "e.g. 'CSV (UTF-8), header on line 1'"})
    rows_total = fields.Integer()
    rows_ok = fields.Integer()
    bad_lines = fields.List(fields.Integer())
    file_error = fields.Boolean(metadata={"description": "The file as a whole cannot be imported"})
    errors = fields.List(fields.Nested(RowErrorSchema))
    warnings = fields.List(fields.String())
    warnings_vi = fields.List(fields.String(), metadata={"description": "The same warnings in Vietnamese"})
    ignored_columns = fields.List(fields.String())
    rows = fields.List(fields.Nested(PreviewRowSchema), metadata={"description": "The good rows (first 500)"})


class ImportResultSchema(StrictSchema):
    imported = fields.Integer()
    item_ids = fields.List(fields.Integer())
    codes = fields.List(fields.String())
    to_return = fields.Integer(metadata={"description": "Results now at the post office"})
    to_collect = fields.Integer(metadata={"description": "Dossiers to collect (registered)"})
    skipped_lines = fields.List(fields.Integer())
