"""Importing items from a one-stop-shop export: preview an upload, then import it (all or nothing).

The file is a multipart `file` part (the dashboard) or the raw body (scripts: curl
--data-binary); the options are in the query string either way.

Stateless on purpose: the preview writes nothing and keeps nothing; the import sends the same
file again (with the digest the preview returned) and every row is checked again, so a
confirmation can never import something other than what was previewed, and it works the
same under any number of workers. Both call backend.services.item_import, like the CLI.
"""

from __future__ import annotations

from collections import Counter

from flask import current_app, request
from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.domain.rules import DomainError
from backend.schemas.dashboard import (
    ImportConfirmQuerySchema,
    ImportPreviewSchema,
    ImportQuerySchema,
    ImportResultSchema,
)
from backend.services.item_import import ImportResult, import_items, parse_items_file

PREVIEW_ROWS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def _check_importable(result: ImportResult, args: dict) -> None:
    if args.get("sha256") and args["sha256"] != result.source["sha256"]:
        raise DomainError(
            "file-changed", "This is not the file that was previewed; preview it again.", status=409
        )
    by_line, by_line_vi = {}, {}
    for error in result.errors:
        by_line.setdefault(str(error.line or "file"), []).append(str(error))
        by_line_vi.setdefault(str(error.line or "file"), []).append(error.text_vi)
    lines = {"lines": by_line, "lines_vi": by_line_vi}  # the same problems, in English and in Vietnamese
    if result.file_error:
        raise DomainError(
            "import-file-unreadable",
            "; ".join(str(e) for e in result.errors if e.line is None) + " Nothing was imported.",
            status=422,
            errors=lines,
        )
    if result.errors and not (args["skip_bad"] and result.rows_ok):
        bad = len(result.bad_lines)
        hint = "" if result.rows_ok else " No row is good."
        raise DomainError(
            "import-has-errors",
            f"{bad} of {result.rows_total} row(s) have problems, so nothing "
            f"was imported: fix them, or import only the good rows (skip_bad).{hint}",
            status=422,
            errors=lines,
        )


@blp.route("/preview")
class ImportPreview(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(**UPLOAD_BODY)
    @blp.response(200, ImportPreviewSchema)
    def post(self, args):
        """Check an export and show what would be imported, with every problem and its line; writes nothing."""
        return _preview(_parse(args))


@blp.route("")
class Imports(MethodView):
    @auth_required(*STAFF)
    @problems(409)
    @blp.arguments(ImportConfirmQuerySchema, location="query")
    @blp.doc(**UPLOAD_BODY)
    @blp.response(201, ImportResultSchema)
    def post(self, args):
        """Import the previewed file in one transaction: every row, or none if any row is bad
        (unless skip_bad, which imports the good rows and lists the skipped lines)."""
        result = _parse(args)
        _check_importable(result, args)
        items = import_items(
            result.rows_ok,
            actor_id=current_user().id,
            source={**result.source, "skipped_lines": result.bad_lines, "via": "dashboard"},
        )
        directions = Counter(item.direction for item in items)
        return {
            "imported": len(items),
            "item_ids": [i.id for i in items],
            "codes": [i.code for i in items],
            "to_return": directions["return"],
            "to_collect": directions["collect"],
            "skipped_lines": result.bad_lines,
        }
