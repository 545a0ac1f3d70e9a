"""Importing items from a one-stop-shop export: preview an upload, then import it (all or nothing).

The file is a multipart `file` part (the dashboard) or the raw body (scripts: curl
--data-binary); the options are in the query string either way.

Stateless on purpose: the preview writes nothing and keeps nothing; the import sends the same
file again (with the digest the preview returned) and every row is checked again, so a
confirmation can never import something other than what was previewed, and it works the
same under any number of workers. Both call backend.services.item_import, like the CLI.
"""

from __future__ import annotations

import hashlib

from flask import current_app, jsonify, request, url_for
from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import office_of_new
from backend.domain.rules import DomainError
from backend.exports import XLSX
from backend.schemas.dashboard import (
    ImportConfirmQuerySchema,
    ImportPreviewSchema,
    ImportQuerySchema,
    ImportResultSchema,
)
from backend.schemas.jobs import JobSchema
from backend.services import jobs
from backend.services.item_import import (
    ImportResult,
    check_importable,
    check_same_file,
    import_items,
    import_summary,
    mark_unserved,
    parse_items_file,
)

PREVIEW_ROWS = 500
JOB_OPTIONS = ("agency_code", "service_fee", "encoding", "skip_bad", "sha256")
BINARY = {"type": "string", "format": "binary", "minLength": 1}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The export: a multipart `file` part, or the "
        "raw file as the body (then name it with ?filename=)",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": BINARY}, "required": ["file"]}
            },
            "text/csv": {"schema": BINARY},
            XLSX: {"schema": BINARY},
            "application/octet-stream": {"schema": BINARY},
        },
    }
}

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/api/imports",
    description="Import items from one-stop-shop exports (CSV/XLSX upload)",
)


@blp.before_request
def _allow_file_sized_bodies():
    # JSON bodies are capped by MAX_CONTENT_LENGTH; an export may be larger (MAX_UPLOAD_BYTES).
    request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]


def _upload(args: dict) -> tuple[str, bytes]:
    """The uploaded file's name and bytes: a multipart `file` part, or the whole body."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None or not part.filename:
            raise DomainError(
                "validation-error",
                "Send the export as the multipart part named 'file'.",
                status=422,
                errors={"file": ["Missing data for required field."]},
            )
        return part.filename, part.read()
    default = "upload.xlsx" if request.mimetype == XLSX else "upload.csv"
    data = request.get_data(cache=False)
    if not data:
        raise DomainError(
            "validation-error",
            "Send the export as the body, or as the multipart part named "
            "'file'. / Hãy gửi tệp xuất làm nội dung, hoặc phần 'file' của multipart.",
            status=422,
            errors={"file": ["The file is empty."]},
        )
    return args.get("filename") or default, data


def _parse(args: dict) -> ImportResult:
    filename, data = _upload(args)
    return parse_items_file(
        filename,
        data,
        agency_code=args.get("agency_code"),
        default_service_fee=args["service_fee"],
        encoding=args.get("encoding"),
    )


def _preview(result: ImportResult) -> dict:
    return {
        **result.source,
        "description": result.description,
        "rows_total": result.rows_total,
        "rows_ok": len(result.rows_ok),
        "bad_lines": result.bad_lines,
        "file_error": result.file_error,
        "warnings": result.warnings,
        "warnings_vi": result.warnings_vi,
        "ignored_columns": result.ignored_columns,
        "errors": [
            {"line": e.line, "column": e.column, "message": e.message, "message_vi": e.message_vi}
            for e in result.errors
        ],
        "rows": [{"line": row.line, **row.values} for row in result.rows_ok[:PREVIEW_ROWS]],
    }


@blp.route("/preview")
class ImportPreview(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(**UPLOAD_BODY)
    @blp.response(200, ImportPreviewSchema)
    def post(self, args):
        """Check an export and show what would be imported, with every problem and its line (a row
        naming an agency the post office does not serve among them); writes nothing."""
        result = _parse(args)
        mark_unserved(result, office_of_new(current_user(), args.get("office")))
        return _preview(result)


@blp.route("")
class Imports(MethodView):
    @auth_required(*STAFF)
    @problems(409)
    @blp.arguments(ImportConfirmQuerySchema, location="query")
    @blp.doc(**UPLOAD_BODY)
    @blp.response(201, ImportResultSchema)
    @blp.alt_response(
        202,
        schema=JobSchema,
        description="A file of more than IMPORT_QUEUE_ROWS rows: the "
        "import runs as a background job; follow it at GET /api/jobs/{id} (Location)",
    )
    def post(self, args):
        """Import the previewed file in one transaction: every row, or none if any row is bad
        (unless skip_bad, which imports the good rows and lists the skipped lines). A large file
        is imported by a background job: 202 and the job, whose progress GET /api/jobs/{id} shows."""
        filename, data = _upload(args)
        check_same_file(args.get("sha256"), hashlib.sha256(data).hexdigest())
        office_id = office_of_new(current_user(), args.get("office"))
        if jobs.rows_in(filename, data, args.get("encoding")) > current_app.config["IMPORT_QUEUE_ROWS"]:
            job = jobs.start_import(
                filename,
                data,
                {**{key: args.get(key) for key in JOB_OPTIONS}, "office_id": office_id},
                actor_id=current_user().id,
            )
            answer = jsonify(JobSchema().dump(jobs.describe(job)))  # a Response: not the 201's schema
            answer.status_code = 202
            answer.headers["Location"] = url_for("jobs.Job", job_id=job.id)
            return answer
        result = parse_items_file(
            filename,
            data,
            agency_code=args.get("agency_code"),
            default_service_fee=args["service_fee"],
            encoding=args.get("encoding"),
        )
        check_importable(result, skip_bad=args["skip_bad"], sha256=args.get("sha256"), office_id=office_id)
        items = import_items(
            result.rows_ok,
            actor_id=current_user().id,
            office_id=office_id,
            source={**result.source, "skipped_lines": result.bad_lines, "via": "dashboard"},
        )
        return import_summary(items, result)
