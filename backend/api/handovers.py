"""Handover records (biên bản bàn giao) between an agency and the post office: list, record, print.

A postman's phone records handovers with the sync `handover` mutation; supervisors record them
here. Both move the items with the same table (sync.effects.HANDOVER_EVENTS) through the one
state machine (apply_event). One addition on this side: results the post office already
booked as received (an import records `receive_from_agency`) may be listed on an
agency-to-post record without moving again, so the paper the agency signs can be printed
for them; each item goes on at most one such record.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response
from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backend.api.common import Blueprint, get_or_404, paginate
from backend.api.openapi import problems
from backend.audit import audit, audit_read, query_detail
from backend.auth.guard import STAFF, auth_required, current_user
from backend.domain.rules import DomainError
from backend.domain.status import Direction, Event, Status, allowed
from backend.extensions import db
from backend.models import Agency, DeliveryAttempt, FeeEntry, Handover, HandoverLine, Item, User
from backend.schemas.handovers import (
    CandidateQuerySchema,
    CandidateSchema,
    HandoverCreateSchema,
    HandoverQuerySchema,
    HandoverSchema,
)
from backend.services import handover_pdf
from backend.services.item_events import apply_event
from backend.timeutil import day_start
from sync.effects import HANDOVER_EVENTS

blp = Blueprint(
    "handovers",
    __name__,
    url_prefix="/api/handovers",
    description="Handover records between agencies and the post office, with a printable PDF",
)

# Results the post office holds already (booked as received) that may still lack a signed record.
ALREADY_RECEIVED = frozenset({Status.AT_POST_OFFICE, Status.ASSIGNED, Status.FAILED_ATTEMPT})


def _event_for(direction: str, item: Item) -> Event | None:
    """The status change a handover in `direction` makes to `item` (None: none is allowed)."""
    return next(
        (
            e
            for e in HANDOVER_EVENTS.get((direction, item.direction), ())
            if allowed(item.direction, item.status, e)
        ),
        None,
    )


def _documented(item_ids) -> set[int]:
    """Items already on an agency-to-post record."""
    return set(
        db.session.execute(
            select(HandoverLine.item_id)
            .join(Handover, HandoverLine.handover_id == Handover.id)
            .where(Handover.direction == "agency_to_post", HandoverLine.item_id.in_(item_ids))
        ).scalars()
    )


def _documents_receipt(direction: str, item: Item, documented: set[int]) -> bool:
    return (
        direction == "agency_to_post"
        and item.direction == Direction.RETURN
        and item.status in ALREADY_RECEIVED
        and item.id not in documented
    )


def _load_visible(handover_id: int) -> Handover:
    """Agency officers get the same 403 for another agency's record and for one that does not exist."""
    user = current_user()
    handover = db.session.get(Handover, handover_id)
    if user.role == "agency" and (handover is None or handover.agency_id != user.agency_id):
        raise DomainError(
            "not-your-agency",
            f"Handover record {handover_id} is not one of your agency's. / "
            f"Biên bản {handover_id} không thuộc cơ quan của bạn.",
            status=403,
        )
    if handover is None:
        raise DomainError("not-found", f"No handover record with id {handover_id}.", status=404)
    return handover


def _check_postman(postman_id: int | None) -> None:
    if postman_id is None:
        return
    postman = db.session.get(User, postman_id)
    if postman is None or postman.role != "postman":
        raise DomainError(
            "not-a-postman",
            "postman_id must name a postman.",
            status=422,
            errors={"postman_id": ["Not a postman."]},
        )


def _record(body: dict) -> Handover:
    """Check every line, then write the record and move the items; one refused line refuses all."""
    lines = body.pop("lines")
    ids = [line["item_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise DomainError("duplicate-line", "An item is listed twice in the handover.", status=422)
    get_or_404(Agency, body["agency_id"], "agency")
    _check_postman(body.get("postman_id"))
    items = {
        i.id: i
        for i in db.session.execute(db.select(Item).where(Item.id.in_(ids)).with_for_update(of=Item))
        .unique()
        .scalars()
    }
    documented = _documented(ids)
    problems, moves = {}, []
    for index, line in enumerate(lines):
        item = items.get(line["item_id"])
        if item is None:
            problems[str(index)] = [f"No item with id {line['item_id']}."]
        elif item.agency_id != body["agency_id"]:
            problems[str(index)] = [f"Item {item.code} belongs to another agency."]
        elif (event := _event_for(body["direction"], item)) or _documents_receipt(
            body["direction"], item, documented
        ):
            moves.append((item, event))
        else:
            problems[str(index)] = [
                f"Item {item.code} is '{item.status}' and cannot be handed over this way."
            ]
    if problems:
        raise DomainError(
            "handover-not-possible",
            "Some listed items cannot be handed over; nothing was recorded.",
            status=409,
            errors={"lines": problems},
        )
    handover = Handover(created_by_id=current_user().id, **body)
    db.session.add(handover)
    handover.lines.extend(HandoverLine(**line) for line in lines)
    db.session.flush()
    for item, event in moves:
        if event is not None:
            apply_event(item, event, {"handover_id": handover.id})
    audit(
        "handover.recorded",
        "handover",
        handover.id,
        {"direction": handover.direction, "items": len(lines), "via": "dashboard"},
    )
    return handover


def _candidates(direction: str, agency_id: int | None) -> list[dict]:
    """Items that could go on a record in `direction`, with suggested counts and fees."""
    statuses = (
        {Status.REGISTERED, *ALREADY_RECEIVED}
        if direction == "agency_to_post"
        else {Status.COLLECTED, Status.RETURN_TO_AGENCY}
    )
    query = db.select(Item).where(Item.status.in_([s.value for s in statuses]))
    if direction == "agency_to_post":
        query = query.where(Item.direction == Direction.RETURN.value)
    if agency_id is not None:
        query = query.where(Item.agency_id == agency_id)
    items = db.session.execute(query.order_by(Item.agency_id, Item.id).limit(1000)).unique().scalars().all()
    ids = [i.id for i in items]
    documented = _documented(ids)
    fees = dict(
        db.session.execute(
            select(FeeEntry.item_id, func.sum(FeeEntry.government_fee))
            .where(FeeEntry.item_id.in_(ids))
            .group_by(FeeEntry.item_id)
        ).all()
    )
    ticks = _collected_checklists(ids) if direction == "post_to_agency" else {}
    found = []
    for item in items:
        event = _event_for(direction, item)
        if event is None and not _documents_receipt(direction, item, documented):
            continue
        papers = ticks.get(item.id) or [p for p in item.procedure.checklist or [] if p.get("required", True)]
        found.append(
            {
                "item_id": item.id,
                "code": item.code,
                "dossier_code": item.dossier_code,
                "recipient_name": item.recipient_name,
                "direction": item.direction,
                "status": item.status,
                "procedure": item.procedure.name,
                "agency_id": item.agency_id,
                "event": event.value if event else None,
                "originals": sum(1 for p in papers if p.get("form") == "original"),
                "copies": sum(1 for p in papers if p.get("form") == "copy"),
                "fee_passed_on": int(fees.get(item.id) or 0) if direction == "post_to_agency" else 0,
            }
        )
    return found


def _collected_checklists(ids: list[int]) -> dict[int, list[dict]]:
    """The papers actually present at collection (from the latest collect proof of each item)."""
    latest = (
        select(func.max(DeliveryAttempt.id))
        .where(DeliveryAttempt.item_id.in_(ids), DeliveryAttempt.outcome == "collected")
        .group_by(DeliveryAttempt.item_id)
    )
    rows = db.session.execute(
        select(DeliveryAttempt.item_id, DeliveryAttempt.checklist).where(DeliveryAttempt.id.in_(latest))
    ).all()
    return {item_id: [p for p in checklist or [] if p.get("present")] for item_id, checklist in rows}


@blp.route("")
class Handovers(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.arguments(HandoverQuerySchema, location="query")
    @blp.response(200, HandoverSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, args):
        """List handover records, newest first (agency officers see their agency's)."""
        query = db.select(Handover).options(
            selectinload(Handover.lines).selectinload(HandoverLine.item), selectinload(Handover.agency)
        )
        if current_user().role == "agency":
            args["agency_id"] = current_user().agency_id
        for key in ("agency_id", "direction"):
            if args.get(key) is not None:
                query = query.where(getattr(Handover, key) == args[key])
        if args.get("date_from"):
            query = query.where(Handover.created_at >= day_start(args["date_from"]))
        if args.get("date_to"):
            query = query.where(Handover.created_at < day_start(args["date_to"] + timedelta(days=1)))
        rows, total = paginate(
            query.order_by(Handover.created_at.desc(), Handover.id.desc()), args["page"], args["per_page"]
        )
        people = handover_pdf.people_of(rows)
        audit_read("handovers.listed", "handover", [h.id for h in rows], query_detail(args))
        return [handover_pdf.view(h, people) for h in rows], {"X-Total-Count": str(total)}

    @auth_required(*STAFF)
    @problems(404, 409)
    @blp.arguments(HandoverCreateSchema)
    @blp.response(201, HandoverSchema)
    def post(self, body):
        """Record a handover: every listed item moves (or is documented as received), or nothing is written."""
        handover = _record(body)
        db.session.commit()
        return handover_pdf.view(handover)


@blp.route("/candidates")
class Candidates(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(CandidateQuerySchema, location="query")
    @blp.response(200, CandidateSchema(many=True))
    def get(self, args):
        """Items that may go on a new record in this direction, with suggested originals, copies and fees."""
        return _candidates(args["direction"], args.get("agency_id"))


@blp.route("/<int:handover_id>")
class HandoverById(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, HandoverSchema)
    def get(self, handover_id):
        """One handover record with its lines, totals and verification hash. Audited."""
        handover = _load_visible(handover_id)
        view = handover_pdf.view(handover)
        audit_read("handover.viewed", "handover", [handover.id])
        return view


@blp.route("/<int:handover_id>/pdf")
class HandoverPdf(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    def get(self, handover_id):
        """The printable record (A4 PDF): items, originals, copies, fees, QR code, signature lines. Audited."""
        handover = _load_visible(handover_id)
        data = handover_pdf.render(handover)
        audit("handover.printed", "handover", handover.id)
        db.session.commit()
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = (
            f'inline; filename="bien-ban-{handover_pdf.number(handover)}.pdf"'
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response
