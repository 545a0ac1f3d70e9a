"""The agency's system (docs/agency-api.md): a change feed that cannot lose an update, and webhooks
signed per the Standard Webhooks specification, with their delivery log and replay."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.schemas.agency import (
    ChangesQuery,
    ChangesSchema,
    DeliveriesQuery,
    FeesQuery,
    FeesSchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliverySchema,
    WebhookSchema,
)
from backend.services import agency_events, agency_fees, webhooks

AGENCY_SYSTEM = ("agency", "admin")

blp = Blueprint(
    "agency", __name__, url_prefix="/api/agency", description="An agency's system: change feed and webhooks"
)


@blp.route("/changes")
class Changes(MethodView):
    @auth_required(*AGENCY_SYSTEM)
    @blp.arguments(ChangesQuery, location="query")
    @blp.response(200, ChangesSchema)
    @problems(410)
    def get(self, query):
        """The agency's events after `cursor`, each once, in commit order (a change still being written
        is not there until it commits, after everything before it). Start with no cursor; send each
        page's next_cursor to get the next; has_more false means poll again later."""
        return agency_events.page(current_user(), query["cursor"], query["limit"], query["agency_id"])


@blp.route("/fees")
class Fees(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.arguments(FeesQuery, location="query")
    @blp.response(200, FeesSchema)
    @problems(422)
    def get(self, query):
        """The portal's fees page: government fees the post collected for the agency, passed on to it on
        signed handover records, and still held, per local day or month with totals. An officer reads
        their own agency's; staff their offices' items (of one agency with agency_id). Over a range that
        holds all of an agency's fees, the totals are the items export's."""
        return agency_fees.fees(
            current_user(), query["date_from"], query["date_to"], query["group"], query["agency_id"]
        )


@blp.route("/webhooks")
class Webhooks(MethodView):
    @auth_required(*AGENCY_SYSTEM)
    @blp.response(200, WebhookSchema(many=True))
    def get(self):
        """The agency's webhook endpoints (never their secrets)."""
        from backend.extensions import db

        return db.session.execute(webhooks.visible_endpoints(current_user())).scalars().all()

    @auth_required(*AGENCY_SYSTEM)
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    def post(self, body):
        """Register an endpoint for some event types; the answer carries its signing secret, once."""
        return webhooks.register(current_user(), body)


@blp.route("/webhooks/<int:endpoint_id>")
class WebhookById(MethodView):
    @auth_required(*AGENCY_SYSTEM)
    @blp.response(200, WebhookSchema)
    def delete(self, endpoint_id):
        """Stop sending to an endpoint (its log stays; deliveries not yet sent are not sent)."""
        return webhooks.disable(current_user(), endpoint_id)


@blp.route("/webhooks/<int:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    @auth_required(*AGENCY_SYSTEM)
    @blp.arguments(DeliveriesQuery, location="query")
    @blp.response(200, WebhookDeliverySchema(many=True))
    def get(self, query, endpoint_id):
        """The endpoint's deliveries, newest first, each with every attempt (status code, duration, error)."""
        return webhooks.deliveries_of(current_user(), endpoint_id, query["limit"])


@blp.route("/webhook-deliveries/<string(length=36):delivery_id>/replay")
class WebhookReplay(MethodView):
    @auth_required(*AGENCY_SYSTEM)
    @problems(409)
    @blp.response(200, WebhookDeliverySchema)
    def post(self, delivery_id):
        """Send a delivery again now (the same webhook-id), with fresh retries."""
        return webhooks.replay(current_user(), delivery_id)
