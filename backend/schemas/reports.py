"""Reports: the query (range, period, grouping) and the aggregated rows."""

from marshmallow import fields, validate

from backend.schemas.common import DateRangeQuery, StrictSchema
from backend.services.reports import GROUPS, PERIODS


class ReportQuerySchema(DateRangeQuery):
    period = fields.String(
        load_default="day",
        validate=validate.OneOf(PERIODS),
        metadata={"description": "Bucket rows per day, month or quarter (YYYY-Q1)"},
    )
    group_by = fields.String(load_default="agency", validate=validate.OneOf(GROUPS))


class ReportExportQuerySchema(ReportQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ReportRowSchema(StrictSchema):
    period = fields.String(metadata={"description": "YYYY-MM-DD or YYYY-MM (local)"})
    key = fields.Integer(allow_none=True, metadata={"description": "Agency, procedure or postman id"})
    label = fields.String()
    returned = fields.Integer()
    collected = fields.Integer()
    failed = fields.Integer()
    failed_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    delivered_with_due = fields.Integer()
    delivered_on_time = fields.Integer()
    on_time_share = fields.Float(
        allow_none=True, metadata={"description": "delivered_on_time / delivered_with_due"}
    )
    service_fees_collected = fields.Integer()
    government_fees_collected = fields.Integer()
    service_fees_by_transfer = fields.Integer(metadata={"description": "Of the service fees, paid by VietQR"})
    government_fees_by_transfer = fields.Integer(
        metadata={"description": "Of the government fees, paid by VietQR to the agency"}
    )
    fees_collected = fields.Integer()
    fees_by_transfer = fields.Integer()
    fees_in_cash = fields.Integer(metadata={"description": "fees_collected minus fees_by_transfer"})
    fees_handed_over = fields.Integer()
    fees_not_handed_over = fields.Integer(
        metadata={"description": "Government fees collected in cash minus fees handed over"}
    )
    complaints = fields.Integer(metadata={"description": "Citizens' complaints filed"})
    complaints_answered_on_time = fields.Integer(
        metadata={"description": "Of them, answered by their deadline"}
    )


class ReportSchema(StrictSchema):
    period = fields.String()
    group_by = fields.String()
    date_from = fields.Date()
    date_to = fields.Date()
    timezone = fields.String()
    empty = fields.Boolean(metadata={"description": "Nothing happened in the range"})
    reasons = fields.List(fields.String(), metadata={"description": "Failure reasons present, in order"})
    rows = fields.List(fields.Nested(ReportRowSchema))
    totals = fields.Nested(ReportRowSchema)
