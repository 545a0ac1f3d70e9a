"""The supervisors' dashboard: settings, the day at a glance, the map and the exceptions.

Live progress is plain polling of GET /dashboard/today (every DASHBOARD_POLL_SECONDS, at most
15 s), not server-sent events: under gunicorn's sync workers each open event stream would pin
a worker (and a database connection) for as long as a supervisor keeps the page open, and
two open dashboards would starve the phones. A poll is a handful of GROUP BY queries; the
ETag lets an unchanged answer go back as an empty 304. See docs/dashboard.md.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.audit import audit_read
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import offices_query
from backend.extensions import db
from backend.models import PostOffice
from backend.schemas.dashboard import (
    AcknowledgementSchema,
    AcknowledgeSchema,
    DashboardConfigSchema,
    ExceptionsQuerySchema,
    ExceptionsSchema,
    MapSchema,
    OfficeDayQuerySchema,
    TodaySchema,
)
from backend.services import cash, dashboard
from backend.services.rounds import office_position
from backend.timeutil import local_today

blp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/api/dashboard",
    description="Supervisors' dashboard: today's rounds, the map, exceptions",
)
# Personal data: never stored (backend.api.no_store); a client may still revalidate with the ETag.
REVALIDATE = {"Cache-Control": "private, no-cache, no-store"}


@blp.route("/config")
class Config(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, DashboardConfigSchema)
    def get(self):
        """Settings the dashboard needs: map tiles (empty: none), poll interval, thresholds (also
        the agency portal's: its officers sign in to the same app)."""
        config = current_app.config
        return {
            "map_tile_url": config["MAP_TILE_URL"],
            "map_tile_attribution": config["MAP_TILE_ATTRIBUTION"],
            "poll_seconds": config["DASHBOARD_POLL_SECONDS"],
            "mismatch_metres": config["LOCATION_MISMATCH_METRES"],
            "unsynced_device_minutes": config["UNSYNCED_DEVICE_MINUTES"],
            "attempt_limit": config["FAILED_ATTEMPT_LIMIT"],
            "timezone": config["TIMEZONE"],
            "today": local_today(),
            "post_office": dict(zip(("lat", "lon"), _first_office_position(), strict=True)),
        }


def _first_office_position() -> tuple[float, float]:
    """Where the map centres: the caller's first commune office (POST_OFFICE_LAT/LON without one)."""
    first = db.session.execute(
        offices_query(current_user()).where(PostOffice.kind == "commune").limit(1)
    ).scalar()
    return office_position(first.id if first else None)


@blp.route("/today")
class Today(MethodView):
    @auth_required(*STAFF)
    @blp.etag
    @blp.arguments(OfficeDayQuerySchema, location="query")
    @blp.response(200, TodaySchema)
    def get(self, args):
        """Every round of the day with its postman, progress, phones and last sync, and each postman's
        cash (collected in cash and by transfer, handed over, outstanding); poll it (≤ 15 s)."""
        day = args.get("date") or local_today()
        user = current_user()
        open_exceptions = dashboard.exceptions(user, day)
        view = dashboard.today(day, user, args.get("office_id"), open_exceptions)
        view["exception_counts"] = dashboard.exception_counts(open_exceptions)
        view["cash"] = cash.per_postman(day, user, args.get("office_id"))
        return view, REVALIDATE


@blp.route("/exceptions")
class Exceptions(MethodView):
    @auth_required(*STAFF)
    @blp.etag
    @blp.arguments(ExceptionsQuerySchema, location="query")
    @blp.response(200, ExceptionsSchema)
    def get(self, args):
        """What needs a supervisor: flagged proofs, location mismatches, silent phones, attempt limits,
        failed attempts and overdue items, each with the action to take. Acknowledged ones leave the
        list (`include_acknowledged=true` lists them too, with who and when); `counts` counts the
        ones still open."""
        day = args.get("date") or local_today()
        found = dashboard.exceptions(current_user(), day, include_acknowledged=args["include_acknowledged"])
        audit_read(
            "dashboard.exceptions.viewed",
            "proof",
            [e.get("proof_id") for e in found],
            {"date": day.isoformat()},
        )
        open_ones = [e for e in found if e["acknowledged"] is None]
        return {"date": day, "counts": dashboard.exception_counts(open_ones), "exceptions": found}, REVALIDATE


@blp.route("/exceptions/acknowledge")
class AcknowledgeException(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(AcknowledgeSchema)
    @blp.response(201, AcknowledgementSchema)
    @blp.alt_response(
        200, schema=AcknowledgementSchema, description="Already acknowledged: the first one stands"
    )
    @problems(404, 409)
    def post(self, body):
        """Acknowledge an exception (a location mismatch checked, an overdue item noted, a failed
        attempt or a silent phone seen), with who and when; it leaves the list. A flagged proof is
        accepted or rejected instead (409 `not-acknowledgeable`), an item at its attempt limit handed
        back to the agency."""
        ack, created = dashboard.acknowledge(
            body["kind"], body["subject"], body.get("note"), current_user(), body.get("date")
        )
        return ack, 201 if created else 200


@blp.route("/map")
class Map(MethodView):
    @auth_required(*STAFF)
    @blp.etag
    @blp.arguments(OfficeDayQuerySchema, location="query")
    @blp.response(200, MapSchema)
    def get(self, args):
        """Stops of the day's rounds and the positions where proofs were captured, mismatches marked."""
        day = args.get("date") or local_today()
        view = dashboard.map_of(day, current_user(), args.get("office_id"))
        audit_read(
            "dashboard.map.viewed", "proof", [p["id"] for p in view["proofs"]], {"date": day.isoformat()}
        )
        return view, REVALIDATE
