"""Handover records (biên bản bàn giao) between an agency and the post office: list, record, print.

A postman's phone records handovers with the sync `handover` mutation; supervisors record them
here. Both go through the one service (backend.services.handovers) and the one rule table
(backend.domain.handover_rules). One addition for supervisors: results the post office already
booked as received (an import records `receive_from_agency`) may be listed on an
agency-to-post record without moving again, so the paper the agency signs can be printed
for them; each item goes on at most one such record.
"""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backend.api.common import PDF_RESPONSE, Blueprint, get_or_404, paginate, pdf_response
from backend.api.openapi import problems
from backend.audit import audit, audit_read, query_detail
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import check_visible, office_of_new, scoped
from backend.domain.handover_rules import ALREADY_RECEIVED, Recorder
from backend.domain.rules import DomainError
from backend.domain.status import Direction, Status
from backend.extensions import db
from backend.models import Agency, DeliveryAttempt, Handover, HandoverLine, Item, User
from backend.schemas.handovers import (
    CandidateQuerySchema,
    CandidateSchema,
    HandoverCreateSchema,
    HandoverQuerySchema,
    HandoverSchema,
    HandoverSignSchema,
    HandoverWithdrawSchema,
)
from backend.schemas.offices import requested_office
from backend.services import handover_pdf, handovers
from backend.services.items import not_your_item
from backend.services.rounds import all_or_nothing
from backend.timeutil import day_start

blp = Blueprint(
    "handovers",
    __name__,
    url_prefix="/api/handovers",
    description="Handover records between agencies and the post office, with a printable PDF",
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
    if user.role != "agency":
        check_visible(user, handover.office_id if handover else None, "handover record", handover_id)
    if handover is None:
        raise DomainError("not-found", f"No handover record with id {handover_id}.", status=404)
    return handover


def _check_references(body: dict) -> None:
    """A supervisor names the agency and optionally the postman: both must exist."""
    get_or_404(Agency, body["agency_id"], "agency")
    postman_id = body.get("postman_id")
    if postman_id is not None:
        postman = db.session.get(User, postman_id)
        if postman is None or postman.role != "postman":
            raise DomainError(
                "not-a-postman",
                "postman_id must name a postman.",
                status=422,
                errors={"postman_id": ["Not a postman."]},
            )


def _agency_hands_results() -> DomainError:
    """An officer draws up only electronic records of results handed to the post."""
    return DomainError(
        "agency-hands-results",
        "An agency officer records results handed to the post, signed on screen. / "
        "Cán bộ cơ quan lập biên bản giao kết quả cho bưu điện, ký trên màn hình.",
        status=403,
    )


def _recorder() -> Recorder:
    return Recorder.AGENCY if current_user().role == "agency" else Recorder.STAFF


def _candidates(direction: str, agency_id: int | None) -> list[dict]:
    """Items that could go on a record in `direction`, with suggested counts and fees."""
    statuses = (
        {Status.REGISTERED, *ALREADY_RECEIVED}
        if direction == "agency_to_post"
        else {Status.COLLECTED, Status.RETURN_TO_AGENCY}
    )
    query = scoped(db.select(Item), Item.office_id, current_user()).where(
        Item.status.in_([s.value for s in statuses])
    )
    if direction == "agency_to_post":
        query = query.where(Item.direction == Direction.RETURN.value)
    if agency_id is not None:
        query = query.where(Item.agency_id == agency_id)
    items = db.session.execute(query.order_by(Item.agency_id, Item.id).limit(1000)).unique().scalars().all()
    ids = [i.id for i in items]
    already = handovers.documented(ids)
    fees = handovers.government_fees_collected(ids)
    ticks = _collected_checklists(ids) if direction == "post_to_agency" else {}
    received = _results_received(ids)
    found = []
    for item in items:
        decision = handovers.decide_line(
            _recorder(), current_user().id, direction, item.agency_id, item, already
        )
        if not decision.accepted:
            continue
        event = decision.event
        if item.direction == Direction.RETURN:
            originals, copies = received.get(item.id, RESULT_PAPERS)
        else:
            papers = ticks.get(item.id) or [
                p for p in item.procedure.checklist or [] if p.get("required", True)
            ]
            originals = sum(1 for p in papers if p.get("form") == "original")
            copies = sum(1 for p in papers if p.get("form") == "copy")
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
                "originals": originals,
                "copies": copies,
                "fee_passed_on": int(fees.get(item.id) or 0) if direction == "post_to_agency" else 0,
            }
        )
    return found


# A result (licence, certificate…) is one original paper unless its agency-to-post record says otherwise.
RESULT_PAPERS = (1, 0)


def _results_received(ids: list[int]) -> dict[int, tuple[int, int]]:
    """The originals and copies of each result as the agency handed it to the post office."""
    rows = db.session.execute(
        select(HandoverLine.item_id, HandoverLine.originals, HandoverLine.copies)
        .join(Handover, HandoverLine.handover_id == Handover.id)
        .where(Handover.direction == "agency_to_post", HandoverLine.item_id.in_(ids))
        .where(Handover.status != "withdrawn")
    ).all()
    return {item_id: (originals, copies) for item_id, originals, copies in rows}


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
            selectinload(Handover.lines).selectinload(HandoverLine.item),
            selectinload(Handover.agency),
            selectinload(Handover.attachments),
        )
        if current_user().role == "agency":
            args["agency_id"] = current_user().agency_id
        else:
            query = scoped(query, Handover.office_id, current_user())
        for key in ("agency_id", "direction", "status"):
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

    @auth_required(*STAFF, "agency")
    @problems(404, 409)
    @blp.arguments(HandoverCreateSchema)
    @blp.response(201, HandoverSchema)
    def post(self, body):
        """Record a handover: every listed item moves (or is documented as received), or nothing is
        written. With a `signature` drawn on screen the record is electronic: it waits for the other
        side's signature (POST …/sign) and moves nothing yet. An agency officer's records are always
        electronic, of their own agency, results handed to the post (agency_to_post)."""
        user = current_user()
        signature = body.pop("signature", None)
        if user.role == "agency":
            if body["direction"] != "agency_to_post" or signature is None or body.get("postman_id"):
                raise _agency_hands_results()
            body["agency_id"] = user.agency_id
            body.setdefault("officer_name", user.full_name)
            offices = set()
            for line in body["lines"]:  # another agency's item and a missing one: the same 403
                item = db.session.get(Item, line["item_id"])
                if item is None or item.agency_id != user.agency_id:
                    raise not_your_item(line["item_id"])
                offices.add(item.office_id)
            if body.get("office") is None and body.get("office_id") is None and len(offices) == 1:
                # An agency served by several offices: the record is the office of the results on it.
                body["office_id"] = offices.pop()
        elif "agency_id" not in body or not body.get("officer_name"):
            raise DomainError(  # required of the post's staff only: an officer's record names its own
                "officer-required",
                "Name the agency and its officer. / Hãy chọn cơ quan và ghi tên cán bộ.",
                status=422,
                errors={
                    key: ["Missing data for required field."]
                    for key in ("agency_id", "officer_name")
                    if not body.get(key)
                },
            )
        _check_references(body)
        body["office_id"] = office_of_new(user, requested_office(body))
        drawn = handovers.signature_bytes(signature) if signature is not None else None
        with all_or_nothing():  # an item moved while it was locked: a 409 edit-conflict
            handover = handovers.record(_recorder(), user.id, body, signature=drawn)
        return handover_pdf.view(handover)


@blp.route("/<int:handover_id>/sign")
class HandoverSign(MethodView):
    @auth_required(*STAFF, "agency")
    @problems(404, 409)
    @blp.arguments(HandoverSignSchema)
    @blp.response(200, HandoverSchema)
    def post(self, body, handover_id):
        """The second signature on an electronic record (a supervisor for an officer's record, the
        officer for the post office's): the items move and the server's time is the legal signed time."""
        handover = _load_visible(handover_id)
        drawn = handovers.signature_bytes(body["signature"])
        with all_or_nothing():
            handovers.countersign(handover, current_user(), body["signer_name"], drawn)
        return handover_pdf.view(handover)


@blp.route("/<int:handover_id>/withdraw")
class HandoverWithdraw(MethodView):
    @auth_required(*STAFF, "agency")
    @problems(404, 409)
    @blp.arguments(HandoverWithdrawSchema)
    @blp.response(200, HandoverSchema)
    def post(self, body, handover_id):
        """Withdraw an electronic record that awaits the other side's signature (only the side that drew
        it up): it is withdrawn for good, its items do not move, and it can no longer be signed. Audited."""
        handover = _load_visible(handover_id)
        handovers.withdraw(handover, current_user(), body.get("reason"))
        db.session.commit()
        return handover_pdf.view(handover)


@blp.route("/candidates")
class Candidates(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.arguments(CandidateQuerySchema, location="query")
    @blp.response(200, CandidateSchema(many=True))
    def get(self, args):
        """Items that may go on a new record in this direction, with suggested originals, copies and
        fees (an agency officer: their agency's results to hand to the post)."""
        if current_user().role == "agency":
            if args["direction"] != "agency_to_post":
                raise _agency_hands_results()
            args["agency_id"] = current_user().agency_id
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
    @blp.response(200, PDF_RESPONSE, content_type="application/pdf")
    def get(self, handover_id):
        """The printable record (A4 PDF): items, originals, copies, fees, QR code, signature lines. Audited."""
        handover = _load_visible(handover_id)
        data = handover_pdf.render(handover)
        audit("handover.printed", "handover", handover.id)
        db.session.commit()
        return pdf_response(data, f"bien-ban-{handover_pdf.number(handover)}.pdf")
