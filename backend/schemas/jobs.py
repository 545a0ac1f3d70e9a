"""A background job as the API shows it (GET /api/jobs/{id}, the 202 of a large import or of an export)."""

from __future__ import annotations

from marshmallow import fields

from backend.schemas.common import StrictSchema


class JobSchema(StrictSchema):
    id = fields.String()
    kind = fields.String(metadata={"description": "import-items or export-report"})
    status = fields.String(metadata={"description": "queued, running, succeeded or failed"})
    phase = fields.String(
        allow_none=True,
        metadata={"description": "while running: checking, then importing (an import); building (an export)"},
    )
    file = fields.String(allow_none=True, metadata={"description": "the file imported, or the file exported"})
    rows_total = fields.Integer(metadata={"description": "an import's rows; an export's steps (5)"})
    rows_checked = fields.Integer(
        metadata={"description": "an import's rows checked; an export's steps done"}
    )
    rows_imported = fields.Integer()
    attempts = fields.Integer(
        metadata={"description": "how many workers have taken it (a killed worker's job is taken again)"}
    )
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    result = fields.Dict(
        allow_none=True,
        metadata={
            "description": "succeeded: what the import did (the 201 answer of POST /api/imports); what the "
            "export made (file, media_type, bytes, rows, download: GET /api/jobs/{id}/file)"
        },
    )
    problem = fields.Dict(
        allow_none=True,
        metadata={
            "description": "failed: the problem+json body the request would have answered (type, title, status, "
            "detail, errors by line in English and Vietnamese)"
        },
    )
