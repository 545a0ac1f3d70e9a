"""API keys: machine credentials of an agency's system, made and revoked by an administrator."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.api_keys import create_key, revoke_key
from backend.auth.guard import auth_required, current_user
from backend.auth.scope import not_found, served_agencies, visible_office_ids
from backend.extensions import db
from backend.models import Agency, ApiKey
from backend.schemas.api_keys import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeyQuerySchema, ApiKeySchema

blp = Blueprint("api_keys", __name__, url_prefix="/api/api-keys", description="Agency systems' API keys")


def _keys():
    """The keys of the agencies the admin's offices serve (every key for an admin of no office)."""
    query = db.select(ApiKey).order_by(ApiKey.id)
    if visible_office_ids(current_user()) is None:
        return query
    return query.where(ApiKey.agency_id.in_(served_agencies(current_user())))


def _served_agency(agency_id: int) -> Agency:
    """The agency, if one of the admin's offices serves it; otherwise it is missing (404)."""
    agency = db.session.get(Agency, agency_id)
    served = visible_office_ids(current_user()) is None or agency_id in set(
        db.session.execute(served_agencies(current_user())).scalars()
    )
    if agency is None or not served:
        raise not_found("agency", agency_id)
    return agency


@blp.route("")
class ApiKeys(MethodView):
    @auth_required("admin")
    @blp.arguments(ApiKeyQuerySchema, location="query")
    @blp.response(200, ApiKeySchema(many=True))
    def get(self, args):
        """List the API keys, revoked ones included (never the keys themselves)."""
        query = _keys()
        if args.get("agency_id") is not None:
            query = query.where(ApiKey.agency_id == args["agency_id"])
        return db.session.execute(query).scalars().all()

    @auth_required("admin")
    @problems(404)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeyCreatedSchema)
    def post(self, body):
        """Create a key for an agency's system; the answer shows the key once."""
        agency = _served_agency(body["agency_id"])
        row, key = create_key(agency, body["name"], current_user())
        db.session.flush()
        audit("api_key.created", "api_key", row.prefix, {"agency_id": agency.id, "name": row.name})
        db.session.commit()
        row.key = key  # type: ignore[attr-defined]  # shown in this answer only, never stored
        return row


@blp.route("/<int:key_id>/revoke")
class RevokeApiKey(MethodView):
    @auth_required("admin")
    @blp.response(200, ApiKeySchema)
    def post(self, key_id):
        """Revoke a key: its next request is refused (401 api-key-revoked)."""
        row = db.session.execute(_keys().where(ApiKey.id == key_id)).scalar_one_or_none()
        if row is None:
            raise not_found("API key", key_id)
        revoke_key(row)
        audit("api_key.revoked", "api_key", row.prefix, {"agency_id": row.agency_id})
        db.session.commit()
        return row
