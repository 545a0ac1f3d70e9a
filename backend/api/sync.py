"""The offline-sync endpoints (protocol in docs/sync-protocol.md)."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from datetime import timedelta

import marshmallow as ma
from flask import Response, current_app, json, request
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from backend.api.common import Blueprint, parse_json_body
from backend.api.openapi import json_answer, problems
from backend.auth.guard import auth_required, current_device, current_user
from backend.auth.scope import sees_file
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Device
from backend.models.base import now_utc
from backend.schemas.common import StrictSchema
from backend.timeutil import local_today
from sync import attachments
from sync.protocol import APP_VERSION_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, Cursor, check_protocol
from sync.pull import DEFAULT_PAGE, MAX_PAGE, pull
from sync.push import error_shape, push
from sync.schemas import MAX_APP_VERSION, PushSchema

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/sync",
    description="Offline sync for postmen's phones: pull, push, attachments",
)

SHA_PATH = "<string(length=64):sha256>"
MAX_INFLATED_PUSH = 8 * 1024 * 1024
LAST_SYNC_WRITE_EVERY = timedelta(seconds=60)


# Response shapes for the OpenAPI document (the fields are described in docs/sync-protocol.md).
PULL_ANSWER = {
    "type": "object",
    "required": ["protocol", "cursor", "more", "device_seq"],
    "properties": {
        "protocol": {"type": "integer"},
        "cursor": {"type": "string"},
        "more": {"type": "boolean"},
        "reset": {"type": "boolean"},
        "device_seq": {"type": "integer"},
        **{
            key: {"type": "array", "items": {"type": "object"}}
            for key in ("rounds", "items", "procedures", "agencies")
        },
        "removed": {"type": "array"},
        "timezone": {"type": "string"},
        "map": {"type": "object"},
    },
}
PUSH_ANSWER = {
    "type": "object",
    "required": ["protocol", "results", "device_seq"],
    "properties": {
        "protocol": {"type": "integer"},
        "device_seq": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "outcome"],
                "properties": {
                    "id": {"type": "string", "nullable": True},
                    "seq": {"type": "integer", "nullable": True},
                    "outcome": {"type": "string", "enum": ["applied", "duplicate", "rejected"]},
                },
            },
        },
    },
}
UPLOAD_STATUS = {
    "type": "object",
    "required": ["sha256", "received", "verified"],
    "properties": {
        "sha256": {"type": "string"},
        "received": {"type": "integer"},
        "size": {"type": "integer", "nullable": True},
        "verified": {"type": "boolean"},
    },
}


CHECK_ANSWER = {
    "type": "object",
    "required": ["attachments", "small_upload_bytes"],
    "properties": {
        "attachments": {"type": "array", "items": UPLOAD_STATUS},
        "small_upload_bytes": {"type": "integer"},
    },
}
MAX_CHECK_DIGESTS = 1000
MAX_PARTS = 200  # files in one batch upload
READ_BLOCK = 64 * 1024
BATCH_ANSWER = {
    "type": "object",
    "required": ["attachments"],
    "properties": {
        "attachments": {
            "type": "array",
            "items": {
                **UPLOAD_STATUS,
                "properties": {
                    **UPLOAD_STATUS["properties"],
                    "sha256": {"type": "string", "nullable": True},
                    "problem": {"type": "object"},
                },
            },
        }
    },
}


class PullQuerySchema(StrictSchema):
    cursor = fields.String(validate=validate.Length(max=80))
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    protocol = fields.Integer()


class CheckSchema(StrictSchema):
    digests = fields.List(
        fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lower-case hex SHA-256.")),
        required=True,
        validate=validate.Length(min=1, max=MAX_CHECK_DIGESTS),
    )


@blp.after_app_request
def _protocol_header(response: Response) -> Response:
    """Every answer under /api/sync says which protocol the server speaks, errors included."""
    if request.path == "/api/sync" or request.path.startswith("/api/sync/"):
        response.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
    return response


def _app_version_header() -> str | None:
    value = request.headers.get(APP_VERSION_HEADER)
    if value is None:
        return None
    if len(value) > MAX_APP_VERSION or not value.isprintable():
        raise DomainError(
            "invalid-header",
            f"{APP_VERSION_HEADER} must be at most {MAX_APP_VERSION} printable characters.",
            status=400,
            errors={APP_VERSION_HEADER: [f"At most {MAX_APP_VERSION} printable characters."]},
        )
    return value or None


def _load_push(body: dict) -> dict:
    try:
        return PushSchema().load(body)
    except ma.ValidationError as error:
        raise DomainError(
            "validation-error",
            "The push envelope is invalid; see errors.",
            status=422,
            errors=error_shape(error.messages),
        ) from None


def _device_for_sync() -> Device:
    device = current_device()
    if device is None:
        raise DomainError(
            "device-required",
            "Sync needs a token issued to a registered device; sign in from the phone with its device_id.",
            status=403,
        )
    return device


def _compact_json(payload: dict, status: int = 200) -> Response:
    """Minified JSON, gzipped when the client accepts it: phones are on 2G."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    response = Response(body, status=status, mimetype="application/json")
    if len(body) > 512 and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    response.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
    response.headers["Cache-Control"] = "no-store"
    return response


def _request_json() -> dict:
    """The push body, inflated if the phone gzipped it (bounded against zip bombs)."""
    raw = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_INFLATED_PUSH)
        except zlib.error:
            raise DomainError("malformed-body", "The gzip body is corrupt.", status=400) from None
        if inflater.unconsumed_tail:
            raise DomainError("body-too-large", "The inflated push body is too large.", status=413)
    try:
        body = parse_json_body(raw, allow_nul=False)
    except ValueError as error:  # json.JSONDecodeError: not plain JSON text (see parse_json_body)
        raise DomainError(
            "malformed-json", f"The body is not valid JSON: {getattr(error, 'msg', error)}.", status=400
        ) from None
    if not isinstance(body, dict):
        raise DomainError("malformed-json", "The body must be a JSON object.", status=400)
    return body


@blp.route("/pull")
class Pull(MethodView):
    @auth_required("postman")
    @problems(400)
    @blp.arguments(PullQuerySchema, location="query")
    @blp.response(200)
    @blp.doc(**json_answer(PULL_ANSWER))
    def get(self, args):
        """Download the postman's rounds, items and checklists; with a cursor, only what changed
        (including removals). Send the returned cursor next time; while `more` is true, pull again.
        `timezone` is the post office's zone, in which the phone shows dates and times."""
        check_protocol(request.headers.get(PROTOCOL_HEADER) or args.get("protocol"))
        _app_version_header()
        device = _device_for_sync()
        payload = pull(
            db.session,
            current_user().id,
            device.last_seq,
            Cursor.decode(args.get("cursor")),
            local_today(),
            args["limit"],
            spacing=current_app.config["REATTEMPT_SPACING_WORKING_DAYS"],
            attempt_limit=current_app.config["FAILED_ATTEMPT_LIMIT"],
        )
        if device.last_sync_at is None or now_utc() - device.last_sync_at > LAST_SYNC_WRITE_EVERY:
            device.last_sync_at = now_utc()
            db.session.commit()
        payload["timezone"] = current_app.config["TIMEZONE"]  # the post office's: local dates and times
        # The round's map on the phone: tiles from this server when online (none: markers only).
        payload["map"] = {
            "tile_url": current_app.config["MAP_TILE_URL"],
            "attribution": current_app.config["MAP_TILE_ATTRIBUTION"],
        }
        return _compact_json(payload)


@blp.route("/push")
class Push(MethodView):
    @auth_required("postman")
    @blp.doc(requestBody={"content": {"application/json": {"schema": PushSchema}}})
    @blp.response(200)
    @blp.doc(**json_answer(PUSH_ANSWER))
    def post(self):
        """Apply a batch of mutations (deliver, fail, collect, fee, handover) exactly once each;
        every mutation gets its own outcome: applied, duplicate or rejected (with a reason)."""
        body = _load_push(_request_json())
        check_protocol(request.headers.get(PROTOCOL_HEADER) or body["protocol"])
        header_version = _app_version_header()
        device = _device_for_sync()
        app_version = body.get("app_version") or header_version
        result = push(db.session, current_user(), device.id, body["mutations"], app_version)
        return _compact_json({"protocol": PROTOCOL_VERSION, **result})


def _check_sha(sha256: str) -> str:
    if not attachments.is_digest(sha256):
        raise DomainError("bad-digest", "Name the file by its lower-case hex SHA-256.", status=422)
    return sha256


def _content_range(total_header: str | None, length: int) -> tuple[int, int]:
    """(start, total) from 'Content-Range: bytes START-END/TOTAL' (or a whole file without it)."""
    if not total_header:
        return 0, length
    try:
        unit, _, spec = total_header.partition(" ")
        span, _, total = spec.partition("/")
        start, _, end = span.partition("-")
        start, end, total = int(start), int(end), int(total)
    except ValueError:
        raise DomainError(
            "bad-content-range", "Content-Range must be 'bytes START-END/TOTAL'.", status=400
        ) from None
    if unit != "bytes" or start < 0 or end - start + 1 != length or total <= 0:
        raise DomainError("bad-content-range", "Content-Range does not match the body.", status=400)
    return start, total


def _multipart_parts(stream, boundary: str, part_limit: int):
    """(name, bytes) for each part of a multipart/form-data body as it arrives; bytes is None for a
    part larger than `part_limit`, whose data is dropped as it streams past, never buffered."""
    name, kept, too_large, read = None, bytearray(), False, 0
    try:
        decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=MAX_PARTS)
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                block = stream.read(READ_BLOCK)
                if not block and not read:
                    return  # an empty body: no parts
                read += len(block)
                decoder.receive_data(block or None)
            elif isinstance(event, (Field, File)):
                name, kept, too_large = event.name, bytearray(), False
            elif isinstance(event, Data):
                if not too_large:
                    kept += event.data
                    if len(kept) > part_limit:
                        kept, too_large = bytearray(), True
                if not event.more_data:
                    yield name, None if too_large else bytes(kept)
                    kept = bytearray()
            elif isinstance(event, Epilogue):
                return
    except (ValueError, AttributeError, IndexError):  # werkzeug's decoder on a malformed body
        raise DomainError(
            "malformed-body", "The body is not valid multipart/form-data.", status=400
        ) from None


@blp.route("/attachments")
class AttachmentBatch(MethodView):
    @auth_required("postman")
    @blp.doc(
        requestBody={
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "format": "binary"},
                    }
                }
            }
        }
    )
    @problems(400, 413, 415)
    @blp.response(200)
    @blp.doc(**json_answer(BATCH_ANSWER))
    def post(self):
        """Upload many small files in one request (multipart/form-data, each part named by its file's
        SHA-256, raw bytes, at most SMALL_UPLOAD_BYTES each): each part is verified on its own and
        gets its own result; a refused part carries `problem` and refuses only itself."""
        _device_for_sync()
        config = current_app.config
        if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
            raise DomainError(
                "unsupported-media-type",
                "Send the files as multipart/form-data, each part named by its SHA-256.",
                status=415,
            )
        # The whole request is bounded before anything is read; each part as it streams in.
        request.max_content_length = config["MAX_UPLOAD_BYTES"]
        user_id = current_user().id
        store = current_app.extensions["postround.store"]
        limits = {
            "part_limit": config["SMALL_UPLOAD_BYTES"],
            "max_bytes": config["MAX_UPLOAD_BYTES"],
            "quota": config["UPLOAD_QUOTA_BYTES"],
        }
        parts: list = []  # the whole body is bounded above, so its parts may wait in memory
        try:
            parts.extend(
                _multipart_parts(request.stream, request.mimetype_params["boundary"], limits["part_limit"])
            )
        except BaseException:
            # A cut or malformed body: the parts that arrived whole before it are kept (one commit).
            with contextlib.suppress(SQLAlchemyError, OSError):
                attachments.receive_parts(db.session, store, parts, user_id, **limits)
                db.session.commit()
            raise
        results = attachments.receive_parts(db.session, store, parts, user_id, **limits)
        db.session.commit()  # every part's file, once for the request
        return {"attachments": results}


@blp.route("/attachments/check")
class AttachmentCheck(MethodView):
    @auth_required("postman")
    @blp.arguments(CheckSchema)
    @blp.response(200)
    @blp.doc(**json_answer(CHECK_ANSWER))
    def post(self, args):
        """What the server holds of many files at once (a batch's digests, 1 to 1000): per digest what
        you have sent (`received`) and whether it is verified for you, as the single-file GET says."""
        _device_for_sync()
        digests = list(dict.fromkeys(args["digests"]))  # each once, in the order sent
        found = attachments.statuses(
            db.session, current_app.extensions["postround.store"], digests, current_user().id
        )
        # The largest file the batch upload takes: a phone sends smaller ones together, larger ones by PUT.
        return {
            "attachments": [status.as_dict() for status in found],
            "small_upload_bytes": current_app.config["SMALL_UPLOAD_BYTES"],
        }


@blp.route(f"/attachments/{SHA_PATH}")
class AttachmentUpload(MethodView):
    @auth_required("postman", "admin", "supervisor")
    @problems(422)
    @blp.response(200)
    @blp.doc(**json_answer(UPLOAD_STATUS))
    def get(self, sha256):
        """How much of this file the server has from you (resume from `received`), and whether it is
        verified for you: a postman's proofs count a file once that postman has sent it whole. Staff
        see a file the server holds only through a proof of their offices naming it; any other digest
        answers as one the server does not have (received 0, not verified)."""
        user, sha256 = current_user(), _check_sha(sha256)
        if user.role != "postman" and not sees_file(user, sha256):
            return attachments.UploadStatus(sha256, 0, None, False).as_dict()
        store = current_app.extensions["postround.store"]
        return attachments.status(
            db.session, store, sha256, user.id if user.role == "postman" else None
        ).as_dict()

    @auth_required("postman")
    @blp.doc(
        requestBody={
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        }
    )
    @problems(409)
    @blp.response(200)
    @blp.doc(**json_answer(UPLOAD_STATUS))
    def put(self, sha256):
        """Upload a file (or a chunk with Content-Range) by its SHA-256; verified when complete."""
        _check_sha(sha256)
        _device_for_sync()
        # A whole file may come in one request: the upload limit applies here, not the JSON one.
        request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]
        data = request.get_data(cache=False)
        start, total = _content_range(request.headers.get("Content-Range"), len(data))
        result = attachments.receive_chunk(
            db.session,
            current_app.extensions["postround.store"],
            sha256,
            start,
            total,
            data,
            current_app.config["MAX_UPLOAD_BYTES"],
            current_user().id,
            current_app.config["UPLOAD_QUOTA_BYTES"],
        )
        return result.as_dict()
