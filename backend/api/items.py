"""Items: one dossier movement each, collect or return."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, request
from flask.views import MethodView

from backend.api.common import PDF_RESPONSE, Blueprint, file_response, paginate, pdf_response
from backend.api.openapi import problems
from backend.audit import audit, audit_read
from backend.auth.guard import STAFF, auth_required, current_user
from backend.domain.rules import DomainError
from backend.domain.status import FINAL
from backend.extensions import db, limiter
from backend.models import Item, ItemRequest
from backend.schemas.agency import ItemEventsSchema
from backend.schemas.common import PrintQuery
from backend.schemas.handovers import (
    ItemRequestCreateSchema,
    ItemRequestQuerySchema,
    ItemRequestResolveSchema,
    ItemRequestSchema,
)
from backend.schemas.items import (
    BulkActionResultSchema,
    BulkActionSchema,
    BulkItemsSchema,
    ItemCreateSchema,
    ItemEventSchema,
    ItemExportQuerySchema,
    ItemQuerySchema,
    ItemSchema,
    ItemSelectionSchema,
    ItemUpdateSchema,
    TrackingQuerySchema,
    TrackingSchema,
)
from backend.schemas.notifications import NotificationLogSchema, OptOutSchema
from backend.schemas.search import TimelineSchema
from backend.services import bulk, handovers, labels, notifications, reports
from backend.services.agency_events import item_history
from backend.services.citizen import find_tracked, tracking_view
from backend.services.item_creation import create_bulk_once, create_once
from backend.services.item_events import apply_event
from backend.services.items import filter_items, load_visible_item, visible_items
from backend.services.locks import lock_items_and_rounds
from backend.services.receipts import note_receipts
from backend.services.round_versions import bump_rounds
from backend.services.rounds import all_or_nothing, items_in_request
from backend.services.timeline import timeline
from sync.changes import current_seq

# An item-page event's change to the round the item was on (backend.services.round_versions).
EVENT_CHANGES = {"cancel": "cancel", "give_up": "give_up"}

blp = Blueprint("items", __name__, url_prefix="/api", description="Items (dossiers and results)")


def _load_visible(item_id: int) -> Item:
    return load_visible_item(current_user(), item_id)


@contextmanager
def _changing(item_id: int) -> Iterator[Item]:
    """The caller's item for a change committed all or nothing: locked, its round first (the change
    makes a new version of the round), and refused (412) when the optional If-Match: <version>, which
    guards against lost updates, names another version than the item's."""
    item = _load_visible(item_id)
    with all_or_nothing():
        lock_items_and_rounds(db.session, [item.id])
        expected = request.headers.get("If-Match")
        if expected is not None and expected.strip('"W/ ') != str(item.version):
            raise DomainError(
                "version-mismatch",
                f"Item {item.code} changed meanwhile (now version {item.version}); reload it.",
                status=412,
            )
        yield item


@blp.route("/items")
class Items(MethodView):
    @auth_required(*STAFF, "postman", "agency")
    @blp.arguments(ItemQuerySchema, location="query")
    @blp.response(200, ItemSchema(many=True))
    def get(self, args):
        """List items with filters and diacritic-insensitive search; total in X-Total-Count."""
        cursor = current_seq(db.session)  # read first: nothing committed later is missed
        query = filter_items(visible_items(current_user()), args)
        rows, total = paginate(query, args["page"], args["per_page"])
        return note_receipts(rows), 200, {"X-Total-Count": str(total), "X-Change-Cursor": str(cursor)}

    @auth_required(*STAFF, "agency")
    @problems(409)
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    def post(self, body):
        """Create one item. With an Idempotency-Key header (an agency's system: or its dossier code), a
        retry answers with the item the first request made (Idempotent-Replayed: true), never a second."""
        item, replayed = create_once(current_user(), body, request.headers.get("Idempotency-Key"))
        note_receipts([item])
        return item, 201, {"Idempotent-Replayed": "true"} if replayed else {}


@blp.route("/items/export")
class ItemsExport(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.arguments(ItemExportQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=reports.MEDIA_TYPES["xlsx"])
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args):
        """The listed items (the same filters as GET /api/items; at most 10,000) as CSV or XLSX, with
        the government fee due, collected for the agency and passed on to it, and a totals row: the
        agency portal's export. Audited."""
        query = filter_items(visible_items(current_user()), args).limit(reports.ITEM_EXPORT_LIMIT)
        items = db.session.execute(query).unique().scalars().all()
        data = reports.items_file(list(items), args["format"])
        audit_read("items.exported", "item", [item.id for item in items])
        return file_response(data, reports.MEDIA_TYPES[args["format"]], f"buu-gui.{args['format']}")


@blp.route("/items/bulk")
class ItemsBulk(MethodView):
    @auth_required(*STAFF, "agency")
    @problems(409)
    @blp.arguments(BulkItemsSchema)
    @blp.response(201, ItemSchema(many=True))
    def post(self, body):
        """Create many items at once: all of them, or none when any is wrong. With an Idempotency-Key
        header, a retry answers with the items the first request made (Idempotent-Replayed: true)."""
        items, replayed = create_bulk_once(
            current_user(), body, request.headers.get("Idempotency-Key"), current_app.config["MAX_BULK_ITEMS"]
        )
        return (items, 201, {"Idempotent-Replayed": "true"}) if replayed else items


@blp.route("/items/bulk-action")
class ItemsBulkAction(MethodView):
    @auth_required(*STAFF)
    @problems(409, 412)
    @blp.arguments(BulkActionSchema)
    @blp.response(200, BulkActionResultSchema)
    def post(self, body):
        """Assign, reschedule or cancel a selection (the listed items, or all matching a filter):
        all of them, or none with each refused item and its reason (assign: If-Match, the round's version)."""
        return bulk.run(body, current_user())


@blp.route("/items/labels.pdf")
class ItemLabels(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ItemSelectionSchema)
    @blp.arguments(PrintQuery, location="query")
    @blp.response(200, PDF_RESPONSE, content_type="application/pdf")
    def post(self, body, query):
        """Labels for the listed items in that order (or all matching a filter): the S10 code as
        Code 128 and QR. Audited."""
        ids = bulk.selected_ids(body, current_user())
        chosen = items_in_request(ids, current_user())
        data = labels.render(chosen, query["lang"])
        audit_read("items.labels_printed", "item", ids)
        return pdf_response(data, f"nhan-{len(chosen)}-buu-gui.pdf")


@blp.route("/items/<int:item_id>")
class ItemById(MethodView):
    @auth_required(*STAFF, "postman", "agency")
    @blp.response(200, ItemSchema)
    def get(self, item_id):
        """One item."""
        item = _load_visible(item_id)
        note_receipts([item])
        return item, 200, {"ETag": f'"{item.version}"'}

    @auth_required(*STAFF)
    @problems(409, 412)
    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    def patch(self, body, item_id):
        """Correct an item's recipient, address, fees or due date (not its status)."""
        with _changing(item_id) as item:
            if item.status in FINAL:
                raise DomainError(
                    "item-closed",
                    f"Item {item.code} is {item.status}; it can no longer change.",
                    params={"item_code": item.code, "status": item.status},
                )
            for key, value in body.items():
                setattr(item, key, value)
            bump_rounds([item.round_id], "edit")  # a colleague's copy of its round is stale now
            audit("item.updated", "item", item.code, {"fields": sorted(body)})
        return item, 200, {"ETag": f'"{item.version}"'}


@blp.route("/items/<int:item_id>/events")
class ItemEvents(MethodView):
    @auth_required("agency", "admin")
    @blp.response(200, ItemEventsSchema)
    def get(self, item_id):
        """The item's events as the agency's system sees them (the change feed's, oldest first)."""
        return item_history(_load_visible(item_id))

    @auth_required(*STAFF)
    @problems(409, 412)
    @blp.arguments(ItemEventSchema)
    @blp.response(200, ItemSchema)
    def post(self, body, item_id):
        """Apply an office-side event: received from the agency, cancelled, or given up (back to agency)."""
        with _changing(item_id) as item:  # its round is locked too: the event may settle it
            left = item.round_id
            apply_event(item, body["event"], {"reason": body.get("reason")})
            # The round it was on changed (a cancel or a give-up takes it off): another version of it.
            bump_rounds([left], EVENT_CHANGES.get(body["event"], "status"))
        return item


@blp.route("/items/<int:item_id>/timeline")
class ItemTimeline(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, TimelineSchema)
    def get(self, item_id):
        """The item's whole story, oldest first, with who and when, and the events allowed now."""
        item = _load_visible(item_id)
        return timeline(item), 200, {"ETag": f'"{item.version}"'}


@blp.route("/items/<int:item_id>/notifications")
class ItemNotifications(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, NotificationLogSchema)
    def get(self, item_id):
        """The messages sent (or waiting) to the item's citizen, each with every attempt (docs/notifications.md)."""
        item = _load_visible(item_id)
        audit_read("notifications.read", "item", [item.code])
        return notifications.log_of(item)


@blp.route("/items/<int:item_id>/notifications/opt-out")
class ItemNotificationsOptOut(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(OptOutSchema)
    @blp.response(200, NotificationLogSchema)
    def post(self, body, item_id):
        """Send nothing more about this item (or, `whole_phone`, to its phone number at all)."""
        item = _load_visible(item_id)
        user = current_user()
        notifications.opt_out(item, source="supervisor", whole_phone=body["whole_phone"], actor_id=user.id)
        audit("notifications.opted_out", "item", item.code, {"whole_phone": body["whole_phone"]})
        db.session.commit()
        return notifications.log_of(item)


@blp.route("/track/<string:code>")
class Track(MethodView):
    # Public: rate-limited per client address and per item code, and a code locks after repeated
    # wrong digits, so the last-4-digits check cannot be brute-forced (docs/security.md).
    decorators = [
        limiter.limit(lambda: current_app.config["TRACKING_RATE_LIMIT"]),
        limiter.limit(
            lambda: current_app.config["TRACKING_CODE_RATE_LIMIT"],
            key_func=lambda: "code:" + str((request.view_args or {}).get("code", "")).upper(),
        ),
    ]

    @blp.doc(security=[])
    @blp.arguments(TrackingQuerySchema, location="query")
    @blp.response(200, TrackingSchema)
    def get(self, args, code):
        """Public tracking for citizens: the code plus the last 4 digits of the recipient's phone."""
        return tracking_view(find_tracked(code, args.get("phone_last4"), args.get("k")))


# Requests from the agency: hold or cancel an item (backend.domain.handover_rules) ------------------


@blp.route("/items/<int:item_id>/requests")
class ItemRequests(MethodView):
    @auth_required("agency")
    @problems(409)
    @blp.arguments(ItemRequestCreateSchema)
    @blp.response(201, ItemRequestSchema)
    def post(self, body, item_id):
        """An agency officer asks the post to hold or cancel one of their agency's items; the
        supervisors see it among the exceptions until one acts on it."""
        item = _load_visible(item_id)
        row = handovers.request_for(item, current_user(), body["kind"], body["reason"])
        db.session.commit()
        return row


@blp.route("/item-requests")
class ItemRequestList(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.arguments(ItemRequestQuerySchema, location="query")
    @blp.response(200, ItemRequestSchema(many=True))
    def get(self, args):
        """Hold and cancel requests, newest first: an officer's agency's, a supervisor's offices' items'."""
        query = db.select(ItemRequest).join(Item, ItemRequest.item_id == Item.id)
        query = query.where(Item.id.in_(visible_items(current_user()).with_only_columns(Item.id)))
        if args.get("status"):
            query = query.where(ItemRequest.status == args["status"])
        rows, total = paginate(query.order_by(ItemRequest.id.desc()), args["page"], args["per_page"])
        return rows, 200, {"X-Total-Count": str(total)}


@blp.route("/item-requests/<int:request_id>/resolve")
class ItemRequestResolve(MethodView):
    @auth_required(*STAFF)
    @problems(404, 409)
    @blp.arguments(ItemRequestResolveSchema)
    @blp.response(200, ItemRequestSchema)
    def post(self, body, request_id):
        """A supervisor acts on an agency's request: done (a cancel cancels the item) or declined."""
        row = db.session.get(ItemRequest, request_id)
        if row is None:
            raise DomainError("not-found", f"No request with id {request_id}.", status=404)
        _load_visible(row.item_id)  # another office's item's request is missing too
        with all_or_nothing():
            handovers.resolve_request(row, current_user(), body["action"], body.get("note"))
        return row
