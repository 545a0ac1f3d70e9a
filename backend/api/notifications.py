"""Messages to citizens: the citizen's STOP, from the link in a message (docs/notifications.md).

A supervisor's view of an item's messages and their opt-out flag live with the item
(`/api/items/{id}/notifications`)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.auth.scope import not_found
from backend.extensions import db, limiter
from backend.models import Item
from backend.schemas.notifications import StopMessagesSchema, StoppedSchema
from backend.services import notifications
from backend.services.citizen_links import verify_link_token

blp = Blueprint(
    "notifications", __name__, url_prefix="/api", description="Messages to citizens (SMS, Zalo ZNS)"
)


@blp.route("/notifications/stop")
class StopMessages(MethodView):
    # Public, like tracking: rate-limited per client address; the link's token is unguessable.
    decorators = [limiter.limit(lambda: current_app.config["TRACKING_RATE_LIMIT"])]

    @blp.doc(security=[])
    @problems(404)
    @blp.arguments(StopMessagesSchema)
    @blp.response(200, StoppedSchema)
    def post(self, body):
        """A citizen's STOP from their message's link: no more messages to their phone number.
        A wrong token answers like an unknown code (404)."""
        code = body["code"].upper()
        item = db.session.execute(db.select(Item).where(Item.code == code)).scalar_one_or_none()
        if item is None or not verify_link_token(code, body["k"]):
            raise not_found("item", code)
        notifications.stop_for_citizen(item)
        db.session.commit()
        return {"stopped": True}
