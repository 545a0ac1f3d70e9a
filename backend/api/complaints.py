"""Citizens' complaints (docs/citizen.md): filed from the tracking page, answered by a supervisor
within 5 working days (inside a province; Circular 17 Art. 13), the answer shown on the page."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from backend.api.common import Blueprint, paginate
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import scoped, visible
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Complaint
from backend.schemas.citizen import ComplaintAnswerSchema, ComplaintQuerySchema, ComplaintSchema
from backend.services.citizen import answer_complaint

blp = Blueprint("complaints", __name__, url_prefix="/api/complaints", description="Citizens' complaints")


@blp.route("")
class Complaints(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ComplaintQuerySchema, location="query")
    @blp.response(200, ComplaintSchema(many=True))
    def get(self, args):
        """The complaints about the caller's offices' items, soonest deadline first; total in X-Total-Count."""
        query = scoped(select(Complaint), Complaint.office_id, current_user())
        if args.get("open") is not None:
            answered = Complaint.answered_at.is_not(None)
            query = query.where(~answered if args["open"] else answered)
        query = query.order_by(Complaint.due_on, Complaint.id)
        rows, total = paginate(query, args["page"], args["per_page"])
        return rows, 200, {"X-Total-Count": str(total)}


@blp.route("/<int:complaint_id>/answer")
class ComplaintAnswer(MethodView):
    @auth_required(*STAFF)
    @problems(404, 409)
    @blp.arguments(ComplaintAnswerSchema)
    @blp.response(200, ComplaintSchema)
    def post(self, body, complaint_id):
        """Answer a complaint once; the citizen reads the answer on the item's tracking page."""
        complaint = visible(
            current_user(), db.session.get(Complaint, complaint_id), "complaint", complaint_id
        )
        if complaint.answered_at is not None:
            raise DomainError("complaint-answered", "This complaint has been answered already.", status=409)
        answer_complaint(complaint, body["answer"], current_user().id)
        db.session.commit()
        return complaint
