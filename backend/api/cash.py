"""Cash handed to the post office at the end of the day: list, record receiving it, confirm a phone's.

A postman's phone declares a handover with the sync `cash_handover` mutation; the supervisor who takes
the cash confirms it here, or records it here when the phone did not. The per-postman figures of a day
(collected, handed over, outstanding) are the `cash` part of GET /api/dashboard/today
(backend.services.cash).
"""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import check_visible, not_found, scoped, users_query
from backend.domain.handover_rules import Recorder
from backend.extensions import db
from backend.models import CashHandover, User
from backend.schemas.cash import (
    CashHandoverCreateSchema,
    CashHandoverSchema,
    CashQuerySchema,
    CashReceiveSchema,
)
from backend.services import cash
from backend.timeutil import local_today

blp = Blueprint(
    "cash",
    __name__,
    url_prefix="/api/cash-handovers",
    description="Cash a postman hands to the post office at the end of the day",
)


@blp.route("")
class CashHandovers(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(CashQuerySchema, location="query")
    @blp.response(200, CashHandoverSchema(many=True))
    def get(self, args):
        """The day's cash handovers of the caller's offices (one postman's with `postman_id`), oldest first."""
        query = scoped(
            select(CashHandover).where(CashHandover.day == (args.get("date") or local_today())),
            CashHandover.office_id,
            current_user(),
        )
        if args.get("postman_id") is not None:
            query = query.where(CashHandover.postman_id == args["postman_id"])
        options = (selectinload(CashHandover.postman), selectinload(CashHandover.received_by))
        return db.session.execute(query.options(*options).order_by(CashHandover.id)).scalars().all()

    @auth_required(*STAFF)
    @problems(404, 422)
    @blp.arguments(CashHandoverCreateSchema)
    @blp.response(201, CashHandoverSchema)
    def post(self, body):
        """Record receiving a postman's cash (service fees and government fees separately) for a day;
        refused when it is more than they hold in cash for that day."""
        user = current_user()
        postman = db.session.execute(
            users_query(user).where(User.id == body["postman_id"], User.role == "postman")
        ).scalar_one_or_none()
        if postman is None:
            raise not_found("postman", body["postman_id"])
        body["day"] = body.get("day") or local_today()
        office_id = cash.postman_office(postman, body["day"])
        check_visible(user, office_id, "postman", postman.id)
        handover = cash.record(Recorder.STAFF, user.id, postman.id, office_id, body)
        db.session.commit()
        return handover


@blp.route("/<int:handover_id>/receive")
class ReceiveCash(MethodView):
    @auth_required(*STAFF)
    @problems(404, 409)
    @blp.arguments(CashReceiveSchema)
    @blp.response(200, CashHandoverSchema)
    def post(self, body, handover_id):
        """Confirm receiving the cash a phone declared handed over (409 when it was received already)."""
        handover = db.session.execute(
            select(CashHandover).where(CashHandover.id == handover_id).with_for_update()
        ).scalar_one_or_none()
        if handover is None:
            raise not_found("cash handover", handover_id)
        check_visible(current_user(), handover.office_id, "cash handover", handover_id)
        cash.receive(handover, current_user().id, body.get("note"))
        db.session.commit()
        return handover
