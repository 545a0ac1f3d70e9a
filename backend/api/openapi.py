"""The OpenAPI document tells the truth about errors, in one place.

Every error the server sends is application/problem+json (RFC 9457, built by
`backend.errors.problem`). flask-smorest would document `application/json` with its own
"Error" shape; this apispec plugin replaces that, for every operation, with the problem
schema and the statuses the operation can really return:

- every operation: `default` (500 internal-error, 503 when a dependency is down);
- a token is required (`@auth_required`, the one auth path): 401 and 403; an operation
  without it is marked public (`security: []`);
- a path parameter: 404 (unknown id; ids beyond 32 bits are simply not found);
- a request body: 400 (unparsable body), 413 (too large), 422 (invalid fields);
- query arguments: 422;
- rate-limited (a Flask-Limiter decorator on the view): 429 with Retry-After;
- every operation: 414 when the URL is too long for the HTTP server (not problem+json);
- statuses of the operation's own business rules (409, 410, 412, …), declared next to the
  view with `@problems(...)`.

Any documented error response without content gets the problem schema, with `status`
pinned to its code, so a contract fuzzer can hold every answer to it.
"""

from __future__ import annotations

from copy import deepcopy
from http import HTTPStatus

from apispec import BasePlugin
from flask import Flask

from backend.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

PROBLEM = "Problem"
FIELD_ERRORS = "ProblemFieldErrors"

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details. `type` is stable and machine-readable "
    f"({PROBLEM_TYPE_BASE}<kind>); `code` is that kind alone and `params` the numbers and names its "
    "message needs: the apps word the message from those two in the user's language. `title` is "
    "the HTTP status phrase; `detail` says what went wrong in English (logs, scripts); `errors` "
    "names the fields at fault.",
    "required": ["type", "code", "params", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_TYPE_BASE + "validation-error"},
        "code": {"type": "string", "example": "range-too-long"},
        "params": {
            "type": "object",
            "additionalProperties": True,
            "example": {"limit": 400, "fields": ["date_to"]},
            "description": "The message's parameters (`fields`: the fields at fault, by name).",
        },
        "title": {"type": "string", "example": "Unprocessable Content"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "nullable": True, "description": "The path of the request."},
        "errors": {"$ref": f"#/components/schemas/{FIELD_ERRORS}"},
    },
    "additionalProperties": True,  # RFC 9457 extension members
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Messages by field name: a list of strings, or (for lists and nested objects) the same "
    "shape again by index or field name.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"$ref": f"#/components/schemas/{FIELD_ERRORS}"},
        ]
    },
}

# What each error status means in this API (the response description).
MEANING = {
    400: "The body is not parsable (malformed JSON, a corrupt gzip body) or a protocol field is wrong.",
    401: "No access token, or an invalid or expired one (see WWW-Authenticate).",
    403: "The token is valid but this user, role or device may not do this.",
    404: "Nothing with that id (or the caller may not know it exists).",
    405: "The method is not allowed on this path (see Allow).",
    409: "The request conflicts with the current state (a business rule, a duplicate, a transition the "
    "state machine refuses); nothing was changed.",
    410: "It existed but is gone for good (e.g. a photo past its retention period).",
    412: "If-Match does not match the current version; reload and try again.",
    413: "The body is larger than the server accepts.",
    415: "The body's media type is not accepted here.",
    422: "Fields are missing, of the wrong type or out of range (`errors` names them); nothing was changed.",
    428: "This change needs a precondition header (If-Match).",
    429: "Too many requests; wait for Retry-After seconds.",
    503: "A dependency the server needs is unavailable; retry later (see Retry-After when present).",
}
DEFAULT_MEANING = "Any other error, e.g. 500 (a server fault; nothing was half-written) or 503 (retry later)."
# Answered by the HTTP server (gunicorn's limit-request-line, 4094 bytes) before the application
# runs, so it is not problem+json.
URI_TOO_LONG = (
    "The URL (path and query) is longer than the HTTP server accepts; answered by the server "
    "in front of the application, so not problem+json."
)
RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}


def json_answer(schema: dict) -> dict:
    """`@blp.doc(**json_answer(schema))`: the 200 answer of a view that returns a plain dict, as JSON Schema."""
    return {"responses": {200: {"description": "OK", "content": {"application/json": {"schema": schema}}}}}


def problems(*statuses: int):
    """Declare error statuses an operation's own rules return (409, 410, 412, …): documented as problems."""
    from flask_smorest import Blueprint

    return Blueprint.doc(
        responses={
            status: {"description": MEANING.get(status, HTTPStatus(status).phrase)} for status in statuses
        }
    )


def _problem_response(status: int | None, description: str) -> dict:
    schema: dict = {"$ref": f"#/components/schemas/{PROBLEM}"}
    if status is not None:
        schema = {
            "allOf": [
                schema,
                {"type": "object", "properties": {"status": {"type": "integer", "enum": [status]}}},
            ]
        }
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}


def _is_error(code: str) -> bool:
    return code == "default" or (code.isdigit() and int(code) >= 400)


class ProblemResponsesPlugin(BasePlugin):
    """Document every operation's error responses as problem+json (see the module docstring)."""

    def __init__(self, app: Flask):
        self.app = app

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.schema(FIELD_ERRORS, FIELD_ERRORS_SCHEMA)
        spec.components.schema(PROBLEM, PROBLEM_SCHEMA)

    def _view(self, rule, method: str):
        view = self.app.view_functions.get(rule.endpoint)
        handler = getattr(getattr(view, "view_class", None), method, None) or view
        return view, handler

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            view, handler = self._view(rule, method)
            responses: dict = {}
            for code, response in operation.get("responses", {}).items():  # flask-smorest keys by int
                previous = responses.get(str(code))
                if isinstance(previous, dict) and isinstance(response, dict):
                    response = {**previous, **response}
                responses[str(code)] = response
            operation["responses"] = responses
            wanted: set[int] = set()
            if getattr(handler, "auth_roles", None) is not None:
                wanted |= {401, 403}
            else:
                operation["security"] = []
            if rule.arguments:
                wanted.add(404)
            if "requestBody" in operation:
                wanted |= {400, 413, 422}
            if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
                wanted.add(422)
            limited = getattr(view, "__wrapper-limiter-instance", None) is not None
            if limited:
                wanted.add(429)
            for status in wanted:
                responses.setdefault(str(status), {"description": MEANING[status]})
            responses.setdefault("414", {"description": URI_TOO_LONG})
            for code in list(responses):
                if not _is_error(str(code)) or code == "414":
                    continue
                current = responses[code]
                status = None if code == "default" else int(code)
                description = (current.get("description") if isinstance(current, dict) else None) or (
                    DEFAULT_MEANING if status is None else MEANING.get(status, HTTPStatus(status).phrase)
                )
                if isinstance(current, str) or status is None:  # flask-smorest's Error refs
                    description = DEFAULT_MEANING if status is None else MEANING.get(status, description)
                fresh = _problem_response(status, description)
                if isinstance(current, dict) and current.get("headers"):
                    fresh["headers"] = deepcopy(current["headers"])
                if status == 429:
                    fresh.setdefault("headers", {})["Retry-After"] = RETRY_AFTER
                responses[code] = fresh
            responses.setdefault("default", _problem_response(None, DEFAULT_MEANING))
            operation["responses"] = dict(
                sorted(responses.items(), key=lambda kv: (kv[0] == "default", kv[0]))
            )
