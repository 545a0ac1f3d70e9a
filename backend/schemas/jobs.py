"""A background job as the API shows it (GET /api/jobs/{id}, and the 202 of a large import)."""

from __future__ import annotations

from marshmallow import fields

from backend.schemas.common import StrictSchema


class JobSchema(StrictSchema):
    id = fields.String()
    kind = fields.String(metadata={"description": "import-items"})
    status = fields.String(metadata={"description": "queued, running, succeeded or failed"})
    phase = fields.String(
        allow_none=True, metadata={"description": "while running: checking, then importing"}
    )
    file = fields.String(allow_none=True)
    rows_total = fields.Integer()
    rows_checked = fields.Integer()
    rows_imported = fields.Integer()
    attempts = fields.Integer(
        metadata={"description": "how many workers have taken it (a killed worker's job is taken again)"}
    )
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    result = fields.Dict(
        allow_none=True,
        metadata={"description": "succeeded: what the import did (the 201 answer of POST /api/imports)"},
    )
    problem = fields.Dict(
        allow_none=True,
        metadata={
            "description": "failed: the problem+json body the request would have answered (type, title, status, "
            "detail, errors by line in English and Vietnamese)"
        },
    )
