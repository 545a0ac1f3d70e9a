"""Agencies: the offices whose one-stop shops work with the post."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, create_coded, get_or_404, update_coded
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import served_agencies, visible_office_ids
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Agency, office_agencies
from backend.schemas.org import AgencySchema, AgencyUpdateSchema

blp = Blueprint("agencies", __name__, url_prefix="/api/agencies", description="Agencies (one-stop shops)")


def _visible(agency: Agency) -> Agency:
    user = current_user()
    if user.role == "agency" and user.agency_id != agency.id:
        raise DomainError("forbidden", "Agency officers see only their own agency.", status=403)
    if user.role != "agency" and _served(user) is not None:
        served = db.session.execute(_served(user).where(office_agencies.c.agency_id == agency.id)).first()
        if served is None:  # an agency no office of theirs serves is missing to a supervisor
            raise DomainError("not-found", f"No agency with id {agency.id}.", status=404)
    return agency


def _served(user):
    return None if visible_office_ids(user) is None else served_agencies(user)


@blp.route("")
class Agencies(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, AgencySchema(many=True))
    def get(self):
        """List agencies (an agency officer sees only their own)."""
        query = db.select(Agency).order_by(Agency.name)
        if current_user().role == "agency":
            query = query.where(Agency.id == current_user().agency_id)
        elif _served(current_user()) is not None:
            query = query.where(Agency.id.in_(served_agencies(current_user())))
        return db.session.execute(query).scalars().all()

    @auth_required("admin")
    @problems(409)
    @blp.arguments(AgencySchema)
    @blp.response(201, AgencySchema)
    def post(self, body):
        """Create an agency."""
        return create_coded(Agency, body, "agency")


@blp.route("/<int:agency_id>")
class AgencyById(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, AgencySchema)
    def get(self, agency_id):
        """One agency."""
        return _visible(get_or_404(Agency, agency_id))

    @auth_required("admin")
    @problems(409)
    @blp.arguments(AgencyUpdateSchema)
    @blp.response(200, AgencySchema)
    def patch(self, body, agency_id):
        """Change an agency."""
        return update_coded(get_or_404(Agency, agency_id), body, "agency")
