"""A supervisor decides on a flagged proof: accept it (the item moves as if the proof had arrived
in time) or reject it with a reason (the item stays as it is). The proof itself is never changed
or deleted: it is legal evidence either way.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CursorResult, update

from backend.audit import audit
from backend.domain.rules import DomainError
from backend.domain.status import Event, IllegalTransition, Review, next_review
from backend.extensions import db
from backend.models import DeliveryAttempt, Round
from backend.models.base import now_utc
from backend.services.item_events import apply_event, visit_day
from backend.services.locks import lock_items_and_rounds
from backend.services.round_events import settle_round
from backend.services.round_versions import bump_rounds
from backend.services.rounds import remeasure

ACCEPT_EVENT = {"delivered": Event.ACCEPT_PROOF, "collected": Event.ACCEPT_PROOF, "failed": Event.FAIL}


def _claim(proof: DeliveryAttempt, review: Review, note: str | None, user_id: int) -> None:
    """Write the decision only if nobody decided first (two supervisors at once: one wins, the
    other gets 409 already-reviewed)."""
    result = db.session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id == proof.id, DeliveryAttempt.review.is_(None))
        .values(review=review.value, review_note=note, reviewed_by_id=user_id, resolved_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(proof)
        raise DomainError(
            "already-reviewed", f"Another supervisor has already {proof.review} this proof.", status=409
        )
    db.session.refresh(proof)


def _round_of(postman_id: int, day: date) -> Round | None:
    return db.session.execute(
        db.select(Round).where(Round.postman_id == postman_id, Round.round_date == day)
    ).scalar_one_or_none()


def accept(proof: DeliveryAttempt, user_id: int, note: str | None = None) -> DeliveryAttempt:
    """The item moves by the proof (delivered / collected; a failed visit counts as one). A delivery
    or collection takes the item off another postman's round (their phone gets a removal) and puts
    it on the round of the postman who made it, that day, if they have one."""
    next_review(proof.flagged, proof.review, "accept")
    _claim(proof, Review.ACCEPTED, note, user_id)  # first: the row lock serialises two supervisors
    own = _round_of(proof.postman_id, visit_day(proof.device_time))
    # The item, its round and the round it may move to, rounds first (backend.services.locks).
    item = lock_items_and_rounds(db.session, [proof.item_id], rounds=[own.id] if own else [])[proof.item_id]
    event = ACCEPT_EVENT[proof.outcome]
    invitations_before = item.invitation_count
    try:
        apply_event(
            item,
            event,
            {"attempt_id": proof.id, "accepted_by": user_id},
            actor_id=user_id,
            at=proof.device_time,
        )
    except IllegalTransition as error:
        db.session.rollback()
        raise DomainError(
            "cannot-accept",
            f"Item {item.code} is '{item.status}' now; this proof cannot be "
            "accepted (reject it with a reason instead).",
            status=409,
            params={"item_code": item.code, "status": item.status},
        ) from error
    left = item.round_id
    if event == Event.FAIL:
        proof.counts_as_invitation = item.invitation_count > invitations_before
    else:
        if item.round_id is None or db.session.get_one(Round, item.round_id).postman_id != proof.postman_id:
            item.round_id = own.id if own else None
            item.stop_order, item.leg_distance_m = None, None
        if left != item.round_id:
            db.session.flush()
            for round_id in {left, item.round_id} - {None}:
                remeasure(db.session.get_one(Round, round_id))
                settle_round(round_id, user_id)
    # The round it was on and the one it went to changed: a colleague's plan of either is stale.
    bump_rounds({left, item.round_id}, "accept_proof")
    audit(
        "proof.accepted",
        "proof",
        proof.id,
        {"item": item.code, "status": item.status, "note": note},
        actor_id=user_id,
    )
    return proof


def reject(
    proof: DeliveryAttempt, user_id: int, reason: str, action: str = "proof.rejected"
) -> DeliveryAttempt:
    """The proof stays as evidence; the item does not move. (`action`: the audit name; the old
    resolve endpoint keeps its own.)"""
    next_review(proof.flagged, proof.review, "reject")
    _claim(proof, Review.REJECTED, reason, user_id)
    audit(
        action,
        "proof",
        proof.id,
        {"item": proof.item.code, "review": "rejected", "reason": reason},
        actor_id=user_id,
    )
    return proof
