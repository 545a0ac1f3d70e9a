"""The API's one error format: application/problem+json (RFC 9457).

Every error anywhere (validation, auth, domain rules, 404s, crashes) goes through
`problem()` so a client has exactly one shape to parse.
"""

from __future__ import annotations

import logging

from apispec import APISpec
from flask import Response, json, request
from flask_smorest import Api
from marshmallow import ValidationError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from backend.domain.rules import DomainError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://postround.example/problems/"

log = logging.getLogger(__name__)


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
    params: dict | None = None,
    **extra,
) -> Response:
    """Build a problem+json response.

    Besides RFC 9457's members every problem has `code` (the machine code, the last part of `type`)
    and `params` (the numbers and names the message needs, e.g. {"retry_after": 30}): the apps word
    the message from those in the user's language; `detail` is English, for logs and scripts."""
    body = {"type": PROBLEM_TYPE_BASE + kind, "code": kind, "params": params or {}, "title": title}
    body["status"] = status
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body["instance"] = request.path if request else None
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def _flatten_webargs_errors(errors: dict) -> dict:
    # webargs nests by location ({"json": {...}, "query": {...}}); clients want field names.
    if len(errors) == 1 and next(iter(errors)) in ("json", "query", "form", "files", "headers", "view_args"):
        return next(iter(errors.values()))
    return errors


class ProblemApi(Api):
    """flask-smorest Api whose error handler speaks problem+json."""

    # The API description depends only on the code, the blueprints and the API_*/OPENAPI_* settings,
    # so a process builds it once and every later app reuses it (each test makes an app; building
    # the description was three quarters of create_app's time).
    _descriptions: dict[tuple, APISpec] = {}

    def register_blueprints(self, blueprints) -> None:
        config = self._app.config
        key = (
            tuple(blp.name for blp in blueprints),
            tuple(sorted((k, repr(v)) for k, v in config.items() if k.startswith(("API_", "OPENAPI_")))),
        )
        described = self._descriptions.get(key)
        if described is None:
            for blp in blueprints:
                self.register_blueprint(blp)
            self._descriptions[key] = self.spec
            return
        for blp in blueprints:  # what register_blueprint does, but the description
            self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
            self._app.register_blueprint(blp)
        self.spec = described

    def _register_responses(self):
        # Error responses are documented as problem+json by backend/api/openapi.py; keep only
        # flask-smorest's content-less ones (304 for ETags), not its "Error" schema.
        from http import HTTPStatus

        for status in HTTPStatus:
            if status < 400:
                self.spec.components.response(status.name, {"description": status.phrase}, lazy=True)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        headers = dict(data.get("headers") or {})
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.exception("Unhandled error", exc_info=original)
            return problem(
                500,
                "internal-error",
                "Internal Server Error",
                "Something went wrong on the server; nothing was half-written.",
            )
        detail = data.get("message") or error.description
        kind = data.get("kind") or _slug(error.name)
        if isinstance(errors, dict):
            errors = _flatten_webargs_errors(errors)
        if isinstance(errors, list):
            # webargs reports an unparsable body as a bare list of messages.
            detail, errors = "; ".join(str(e) for e in errors), None
            kind = "malformed-json"
        if errors and error.code == 422:
            kind = "validation-error"
            detail = data.get("message") or "The request has invalid fields; see errors."
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        params = {}
        if error.code == 429:
            detail = f"Too many requests: {error.description}. Try again later."
            headers.setdefault("Retry-After", _seconds_until_reset())
            params["retry_after"] = int(headers["Retry-After"])
        if errors and isinstance(errors, dict):
            params["fields"] = sorted(str(name) for name in errors)
        return problem(
            error.code or 500, kind, error.name, detail, errors=errors, headers=headers, params=params
        )


DATABASE_DOWN = (
    "The database cannot be reached right now; nothing was saved. Try again shortly. "
    "/ Không kết nối được cơ sở dữ liệu; chưa có gì được lưu. Vui lòng thử lại sau."
)


def database_unavailable(**extra) -> Response:
    """503 + Retry-After for a database that is down, refuses connections or does not answer in time."""
    from flask import current_app

    return problem(
        503,
        "database-unavailable",
        "Service Unavailable",
        DATABASE_DOWN,
        headers={"Retry-After": str(current_app.config["DB_RETRY_AFTER"])},
        **extra,
    )


def register_outage_handler(app) -> None:
    """A database outage is a 503 the clients retry, never a 500 (docs/security.md, "Outages")."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_down(error: Exception):
        from backend.extensions import db

        log.warning(
            "database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__
        )
        try:
            db.session.rollback()
        except DBAPIError:
            db.session.close()  # the connection is gone; the pool discards it
        return database_unavailable()


def _seconds_until_reset() -> str:
    """Retry-After for a flask-limiter 429: when the breached limit's window ends."""
    import time

    from backend.extensions import limiter

    try:
        limit = limiter.current_limit
        return str(max(1, int(limit.reset_at - time.time()))) if limit else "60"
    except Exception:  # the limit store is unreachable: a safe guess
        return "60"


def register_error_handlers(app) -> None:
    """Handlers for what flask-smorest's HTTPException handler does not see."""
    register_outage_handler(app)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        from backend.extensions import db

        db.session.rollback()  # a refused request leaves nothing half-written behind
        headers = {"WWW-Authenticate": f'Bearer error="{error.kind}"'} if error.status == 401 else {}
        headers.update(error.headers or {})
        extra = getattr(error, "extra", {})
        # The problem's own scalar members (e.g. `received`) are parameters of its message too.
        params = {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool) or v is None}
        params.update(error.params or {})
        if error.errors:
            params.setdefault("fields", sorted(str(name) for name in error.errors))
        return problem(
            error.status,
            error.kind,
            HTTP_STATUS_CODES.get(error.status, "Error"),
            error.detail,
            errors=error.errors,
            headers=headers,
            params=params,
            **extra,
        )

    @app.errorhandler(ValidationError)
    def _invalid(error: ValidationError):
        # A schema loaded by hand in a view (not through @blp.arguments) refused its input.
        from backend.extensions import db

        db.session.rollback()
        errors = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        return problem(
            422,
            "validation-error",
            "Unprocessable Content",
            "The request has invalid fields; see errors.",
            errors=errors,
            params={"fields": sorted(str(name) for name in errors)},
        )

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error: Exception):
        from backend.extensions import db

        db.session.rollback()
        return problem(
            422,
            "invalid-value",
            "Unprocessable Content",
            "A value is out of range or not storable (e.g. a number too large for an id).",
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from backend.extensions import api, db

        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        log.exception("Unhandled error", exc_info=error)
        db.session.rollback()
        return problem(
            500,
            "internal-error",
            "Internal Server Error",
            "Something went wrong on the server; nothing was half-written.",
        )
