"""Rounds: supervisors plan each postman's day; a postman reads their own.

Every change is one transaction: if any item in a request is refused, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask.views import MethodView

from backend.api.common import PDF_RESPONSE, Blueprint, commit_unique, paginate, pdf_response
from backend.api.openapi import problems
from backend.audit import audit_read
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import office_of_new, scoped
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Round
from backend.schemas.common import PrintQuery
from backend.schemas.offices import requested_office
from backend.schemas.rounds import (
    ItemIdsSchema,
    MineQuerySchema,
    RoundCreateSchema,
    RoundDetailSchema,
    RoundQuerySchema,
    RoundSchema,
)
from backend.services import labels, round_events, round_versions, rounds, run_sheet
from backend.timeutil import local_today

blp = Blueprint(
    "rounds", __name__, url_prefix="/api/rounds", description="Rounds: a postman's ordered stops for one day"
)


def _change_round(
    round_id: int, what: str, change: Callable[[Round], object], item_ids: Iterable[int] = (), count: int = 0
) -> tuple[dict, int, dict]:
    """One planning change (backend.services.rounds.change_round); the round's detail and ETag."""
    rnd = rounds.change_round(round_id, current_user(), what, change, item_ids, count)
    return rounds.detail(rnd), 200, round_versions.etag(rnd)


def _changes_stops(view):
    """The contract of a view that changes a round's stops: staff only, item ids in, the round's detail out."""
    for decorate in (
        blp.response(200, RoundDetailSchema),
        blp.arguments(ItemIdsSchema),
        problems(409, 412),
        auth_required(*STAFF),
    ):
        view = decorate(view)
    return view


@blp.route("")
class Rounds(MethodView):
    @auth_required(*STAFF, "postman")
    @blp.arguments(RoundQuerySchema, location="query")
    @blp.response(200, RoundSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, query):
        """List rounds, newest day first, with progress per item status (a postman sees only their own)."""
        user = current_user()
        if user.role == "postman":
            if query.get("postman_id", user.id) != user.id:
                raise DomainError("forbidden", "Postmen see only their own rounds.", status=403)
            query["postman_id"] = user.id
        select = db.select(Round).order_by(Round.round_date.desc(), Round.id)
        if user.role != "postman":
            select = scoped(select, Round.office_id, user)
        if query.get("office_id") is not None:
            select = select.where(Round.office_id == query["office_id"])
        if "round_date" in query:
            select = select.where(Round.round_date == query["round_date"])
        if "postman_id" in query:
            select = select.where(Round.postman_id == query["postman_id"])
        page, total = paginate(select, query["page"], query["per_page"])
        progress = rounds.progress_of([r.id for r in page])
        return [rounds.summary(r, progress[r.id]) for r in page], {"X-Total-Count": str(total)}

    @auth_required(*STAFF)
    @problems(409)
    @blp.arguments(RoundCreateSchema)
    @blp.response(201, RoundDetailSchema)
    def post(self, body):
        """Plan a round for an active postman on a day (one round per postman per day)."""
        user = current_user()
        office_id = office_of_new(user, requested_office(body))
        rnd = rounds.create_round(
            body["postman_id"], body["round_date"], body.get("note"), user.id, office_id
        )
        commit_unique(
            "That postman already has a round on that day.",
            kind="round-exists",
            params={"postman": rnd.postman.full_name, "date": body["round_date"].isoformat()},
        )
        return rounds.detail(rnd), 201, round_versions.etag(rnd)


@blp.route("/mine")
class MyRounds(MethodView):
    @auth_required("postman")
    @blp.arguments(MineQuerySchema, location="query")
    @blp.response(200, RoundDetailSchema(many=True))
    def get(self, query):
        """The signed-in postman's round(s) for a day (today by default), with ordered stops."""
        day = query.get("round_date") or local_today()
        mine = db.session.execute(
            db.select(Round)
            .where(Round.postman_id == current_user().id, Round.round_date == day)
            .order_by(Round.id)
        ).scalars()
        return [rounds.detail(r) for r in mine]


@blp.route("/<int:round_id>")
class RoundById(MethodView):
    @auth_required(*STAFF, "postman")
    @blp.response(200, RoundDetailSchema)
    def get(self, round_id):
        """One round with its stops in visiting order; its `version` is the ETag to send as If-Match."""
        rnd = rounds.check_may_read(db.session.get(Round, round_id), current_user(), round_id)
        return rounds.detail(rnd), 200, round_versions.etag(rnd)


@blp.route("/<int:round_id>/assign")
class AssignItems(MethodView):
    @_changes_stops
    def post(self, body, round_id):
        """Add items after the round's stops; an item on another round moves to this one."""
        return _change_round(
            round_id,
            "assign",
            lambda rnd: rounds.assign_items(rnd, body["item_ids"], current_user()),
            item_ids=body["item_ids"],
            count=len(body["item_ids"]),
        )


@blp.route("/<int:round_id>/unassign")
class UnassignItems(MethodView):
    @_changes_stops
    def post(self, body, round_id):
        """Take items off the round; they wait at the post office again."""
        return _change_round(
            round_id,
            "unassign",
            lambda rnd: rounds.unassign_items(rnd, body["item_ids"], current_user()),
            count=len(body["item_ids"]),
        )


@blp.route("/<int:round_id>/order")
class StopOrder(MethodView):
    @_changes_stops
    def put(self, body, round_id):
        """Set the visiting order by hand: every item of the round, each once."""
        return _change_round(round_id, "reorder", lambda rnd: rounds.set_order(rnd, body["item_ids"]))


@blp.route("/<int:round_id>/optimise")
class Optimise(MethodView):
    @auth_required(*STAFF)
    @problems(409, 412)
    @blp.response(200, RoundDetailSchema)
    def post(self, round_id):
        """Order the stops for the shortest walk from the post office and back (road-free distances)."""
        return _change_round(round_id, "optimise", rounds.optimise)


@blp.route("/<int:round_id>/close")
class CloseRound(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, RoundDetailSchema)
    @problems(409, 412)
    def post(self, round_id):
        """Close a completed round at the end of its day: it can no longer be planned."""
        return _change_round(round_id, "close", lambda rnd: round_events.close_round(rnd, current_user().id))


def _prints_round(view):
    """The contract of a view that prints a round: staff of its office, a language, a PDF out."""
    for decorate in (
        blp.response(200, PDF_RESPONSE, content_type="application/pdf"),
        blp.arguments(PrintQuery, location="query"),
        auth_required(*STAFF),
    ):
        view = decorate(view)
    return view


def _printable_round(round_id: int) -> Round:
    return rounds.check_may_read(db.session.get(Round, round_id), current_user(), round_id)


@blp.route("/<int:round_id>/run-sheet.pdf")
class RunSheet(MethodView):
    @_prints_round
    def get(self, query, round_id):
        """The round's run sheet (A4 PDF): every stop in order with its fees and a column to sign. Audited."""
        rnd = _printable_round(round_id)
        data = run_sheet.render(rnd, query["lang"])
        audit_read("round.run_sheet_printed", "round", [rnd.id])
        return pdf_response(data, f"bang-ke-{run_sheet.number(rnd)}.pdf")


@blp.route("/<int:round_id>/labels.pdf")
class RoundLabels(MethodView):
    @_prints_round
    def get(self, query, round_id):
        """Labels for the round's items in visiting order: the S10 code as Code 128 and QR. Audited."""
        rnd = _printable_round(round_id)
        stops = rounds.stops_of(rnd.id)
        data = labels.render(stops, query["lang"])
        audit_read("items.labels_printed", "item", [item.id for item in stops], {"round_id": rnd.id})
        return pdf_response(data, f"nhan-{run_sheet.number(rnd)}.pdf")
