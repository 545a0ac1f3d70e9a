"""Small helpers shared by the resource blueprints."""

from __future__ import annotations

import json
import re

import flask
import flask_smorest
import marshmallow as ma
from sqlalchemy import Select, func
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser, is_json_request

from backend.audit import audit
from backend.domain.rules import DomainError
from backend.extensions import db

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # \ud800 in JSON: not Unicode text, storable nowhere
_LONE_SURROGATE_OR_NUL = re.compile("[\ud800-\udfff\x00]")


def _check_text(value, doc: str, allow_nul: bool) -> None:
    bad = _LONE_SURROGATE if allow_nul else _LONE_SURROGATE_OR_NUL
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if bad.search(node):
                raise json.JSONDecodeError(
                    "Text must be valid Unicode (no lone surrogates such as \\ud800)"
                    + ("" if allow_nul else " without NUL characters"),
                    doc,
                    0,
                )
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json_body(data: bytes, *, allow_nul: bool = True):
    """A request body as JSON, or json.JSONDecodeError for anything that is not plain JSON text:
    bytes that are not UTF-8, NaN/Infinity, numbers too long to convert, nesting too deep for the
    parser, lone surrogates in any string or key, and NUL unless `allow_nul` (the fields of a
    schema name it themselves; a sync push is kept verbatim as evidence, and PostgreSQL's jsonb
    cannot hold it).
    One parser for every JSON body (webargs arguments and the sync push), so hostile input is a
    400, never a 500."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Never an empty `doc`: webargs reads an empty one as "no body" and the request went on as {}.
        raise json.JSONDecodeError("The body is not UTF-8", data.decode("utf-8", "replace"), 0) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("The body is nested too deeply", text, 0) from None
    except ValueError as error:  # NaN/Infinity, integers beyond Python's digit limit
        raise json.JSONDecodeError(str(error), text, 0) from None
    _check_text(value, text, allow_nul)
    return value


class BodyRequiredParser(FlaskParser):
    """webargs' parser, reading JSON with `parse_json_body`; a request with no body at all is refused
    (422), never read as `{}`: an empty PATCH changed nothing and said so with a 200 before."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return ma.missing
        data = req.get_data(cache=True)
        if not data:
            raise json.JSONDecodeError("empty", "", 0)  # load_json turns an empty document into `missing`
        return parse_json_body(data)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        # Say why (webargs says only "Invalid JSON body."); `detail` of the 400 malformed-json problem.
        reason = getattr(error, "msg", None) or str(error)
        flask_smorest.abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}."]})

    def load_json(self, req, schema):
        data = super().load_json(req, schema)
        if data is ma.missing and not req.get_data(cache=True):
            raise ma.ValidationError({"_body": ["A JSON body is required. / Cần gửi nội dung JSON."]})
        return data


class Blueprint(flask_smorest.Blueprint):
    """The blueprint every resource uses: flask-smorest's, with the parser above."""

    ARGUMENTS_PARSER = BodyRequiredParser()


def get_or_404(model, key, what: str | None = None):
    obj = db.session.get(model, key)
    if obj is None:
        name = what or model.__name__.lower()
        raise DomainError("not-found", f"No {name} with id {key}.", status=404)
    return obj


def paginate(query: Select, page: int, per_page: int) -> tuple[list, int]:
    """One page of rows plus the total count; the total goes in X-Total-Count."""
    total = db.session.execute(
        db.select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return rows, total


def commit_unique(detail: str, kind: str = "already-exists", params: dict | None = None) -> None:
    """Commit, turning a unique-constraint race into a 409 problem instead of a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(kind, detail, status=409, params=params) from None


def create_coded(model, body: dict, what: str):
    """A new row of a table whose rows have a unique `code` (an agency, a procedure), from `body`:
    audited as `<what>.created`, committed, and a 409 when another row already has that code."""
    row = model(**body)
    db.session.add(row)
    audit(f"{what}.created", what, body["code"])
    article = "An" if what[0] in "aeiou" else "A"
    commit_unique(f"{article} {what} with code {body['code']} already exists.")
    return row


def update_coded(row, body: dict, what: str):
    """`row` (as `create_coded` made it) with the fields of `body`: audited as `<what>.updated` with the
    names of the fields, committed, and a 409 when the new code is another row's."""
    for key, value in body.items():
        setattr(row, key, value)
    audit(f"{what}.updated", what, row.id, {"fields": sorted(body)})
    commit_unique(f"Another {what} already has that code.")
    return row


PDF_RESPONSE = {"type": "string", "format": "binary"}


def file_response(data: bytes, media_type: str, name: str, disposition: str = "attachment") -> flask.Response:
    """A file for the browser, saved (a report export) or shown inline (a printed page); never kept
    by a cache on the way."""
    response = flask.Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pdf_response(data: bytes, filename: str) -> flask.Response:
    return file_response(data, "application/pdf", filename, disposition="inline")
