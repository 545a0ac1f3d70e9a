"""A citizen books a dossier collection at home, as JSON (the /book/ page's service, docs/citizen.md)."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.citizen_pages import booking_limit
from backend.extensions import db
from backend.schemas.citizen import BookedSchema, BookingSchema
from backend.services import citizen
from backend.services.citizen_links import tracking_link

blp = Blueprint("bookings", __name__, url_prefix="/api", description="Citizens' bookings of a collection")


@blp.route("/bookings")
class Bookings(MethodView):
    # Public, like the page: the page's limit per client address, in the same budget.
    decorators = [booking_limit]

    @blp.doc(security=[])
    @problems(422)
    @blp.arguments(BookingSchema)
    @blp.response(201, BookedSchema)
    def post(self, body):
        """Ask the post to collect a dossier at home: a `collect` item in the supervisor's planning.
        Answers its tracking code and the tracking page's link (no phone digits to type)."""
        body["phone"] = "".join(ch for ch in body["phone"] if ch.isdigit() or ch == "+")
        body["old_address"] = (body.get("old_address") or "")[:300]
        item = citizen.book_collection(body)
        db.session.commit()
        return {"code": item.code, "status": item.status, "link": tracking_link(item)}
