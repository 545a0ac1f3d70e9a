"""Small helpers shared by the resource blueprints."""

from __future__ import annotations

import flask_smorest
import marshmallow as ma
from sqlalchemy import Select, func
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser

from backend.domain.rules import DomainError
from backend.extensions import db


class BodyRequiredParser(FlaskParser):
    """webargs' parser, except that a request with no body at all is refused (422), never read as `{}`:
    an empty PATCH changed nothing and said so with a 200 before."""

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
        db.select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return rows, total


def commit_unique(detail: str, kind: str = "already-exists") -> None:
    """Commit, turning a unique-constraint race into a 409 problem instead of a 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(kind, detail, status=409) from None
