"""The one state machine for an item's status.

Every status change anywhere (API, sync, CLI) goes through `next_status`, so the
rules live in this table and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum

from backend.domain.rules import DomainError
from backend.domain.workdays import REQUIRED_INVITATIONS


class Direction(StrEnum):
    COLLECT = "collect"  # citizen -> agency: pick a dossier up at home
    RETURN = "return"  # agency -> citizen: deliver the result


class Status(StrEnum):
    REGISTERED = "registered"  # return: result still at the agency; collect: pickup requested
    AT_POST_OFFICE = "at_post_office"  # return: the agency handed the result to the post office
    ASSIGNED = "assigned"  # on a postman's round
    FAILED_ATTEMPT = "failed_attempt"  # last attempt failed; waiting for the next one
    DELIVERED = "delivered"  # return: the citizen has the result
    COLLECTED = "collected"  # collect: the postman has the dossier
    HANDED_TO_AGENCY = "handed_to_agency"  # collect: the agency has the dossier
    RETURN_TO_AGENCY = "return_to_agency"  # attempt limit reached: must go back with a record
    RETURNED_TO_AGENCY = "returned_to_agency"  # ... and it has
    CANCELLED = "cancelled"


class Event(StrEnum):
    RECEIVE_FROM_AGENCY = "receive_from_agency"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    DELIVER = "deliver"
    COLLECT = "collect"
    FAIL = "fail"
    GIVE_UP = "give_up"
    HAND_TO_AGENCY = "hand_to_agency"
    RETURN_TO_AGENCY = "return_to_agency"
    CANCEL = "cancel"
    # A supervisor accepts a proof that was flagged (the item had been reassigned, cancelled or
    # sent back while the phone was offline): the item becomes delivered / collected.
    ACCEPT_PROOF = "accept_proof"


class FailureReason(StrEnum):
    """Why an attempt failed (the `reason_code` of a failed attempt, chosen by the postman)."""

    NOT_HOME = "not_home"
    REFUSED = "refused"
    WRONG_ADDRESS = "wrong_address"
    MOVED = "moved"
    NO_VALID_ID = "no_valid_id"
    NO_AUTHORISATION = "no_authorisation"
    CANNOT_PAY = "cannot_pay"
    UNSAFE_ACCESS = "unsafe_access"
    OTHER = "other"  # the note must say what


class Outcome(StrEnum):
    """What one attempt at the door came to (a proof's `outcome`)."""

    DELIVERED = "delivered"
    COLLECTED = "collected"
    FAILED = "failed"


FINAL = frozenset({Status.DELIVERED, Status.HANDED_TO_AGENCY, Status.RETURNED_TO_AGENCY, Status.CANCELLED})
# Where a due date still binds (due, overdue: backend/domain/workdays.py): not final and not already
# going back after the attempts. A collected dossier is still owed to its agency.
DUE_BINDS = frozenset(s for s in Status if s not in FINAL and s != Status.RETURN_TO_AGENCY)

S = Status
_RETURN: dict[Event, tuple[frozenset[Status], Status]] = {
    Event.RECEIVE_FROM_AGENCY: (frozenset({S.REGISTERED}), S.AT_POST_OFFICE),
    Event.ASSIGN: (frozenset({S.AT_POST_OFFICE, S.FAILED_ATTEMPT, S.ASSIGNED}), S.ASSIGNED),
    Event.UNASSIGN: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.AT_POST_OFFICE),
    # A failed item stays on the postman's work: it can be delivered or failed again.
    Event.DELIVER: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.DELIVERED),
    Event.FAIL: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.FAILED_ATTEMPT),
    Event.GIVE_UP: (frozenset({S.FAILED_ATTEMPT, S.AT_POST_OFFICE}), S.RETURN_TO_AGENCY),
    Event.RETURN_TO_AGENCY: (frozenset({S.RETURN_TO_AGENCY}), S.RETURNED_TO_AGENCY),
    Event.CANCEL: (frozenset({S.REGISTERED, S.AT_POST_OFFICE, S.ASSIGNED, S.FAILED_ATTEMPT}), S.CANCELLED),
    Event.ACCEPT_PROOF: (
        frozenset({S.AT_POST_OFFICE, S.ASSIGNED, S.FAILED_ATTEMPT, S.RETURN_TO_AGENCY, S.CANCELLED}),
        S.DELIVERED,
    ),
}
_COLLECT: dict[Event, tuple[frozenset[Status], Status]] = {
    Event.ASSIGN: (frozenset({S.REGISTERED, S.FAILED_ATTEMPT, S.ASSIGNED}), S.ASSIGNED),
    Event.UNASSIGN: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.REGISTERED),
    Event.COLLECT: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.COLLECTED),
    Event.FAIL: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.FAILED_ATTEMPT),
    Event.GIVE_UP: (frozenset({S.FAILED_ATTEMPT, S.REGISTERED}), S.RETURN_TO_AGENCY),
    Event.HAND_TO_AGENCY: (frozenset({S.COLLECTED}), S.HANDED_TO_AGENCY),
    Event.RETURN_TO_AGENCY: (frozenset({S.RETURN_TO_AGENCY}), S.RETURNED_TO_AGENCY),
    Event.CANCEL: (frozenset({S.REGISTERED, S.ASSIGNED, S.FAILED_ATTEMPT}), S.CANCELLED),
    Event.ACCEPT_PROOF: (
        frozenset({S.REGISTERED, S.ASSIGNED, S.FAILED_ATTEMPT, S.RETURN_TO_AGENCY, S.CANCELLED}),
        S.COLLECTED,
    ),
}
TRANSITIONS = {Direction.RETURN: _RETURN, Direction.COLLECT: _COLLECT}


class IllegalTransition(DomainError):
    def __init__(self, direction: str, current: str, event: str):
        super().__init__(
            "illegal-transition",
            f"A {direction} item in status '{current}' cannot '{event}'.",
            status=409,
            params={"direction": direction, "status": current, "event": event},
        )
        self.current = current
        self.event = event


def allowed(direction: str, current: str, event: str) -> bool:
    rule = TRANSITIONS[Direction(direction)].get(Event(event))
    return rule is not None and Status(current) in rule[0]


def next_status(
    direction: str,
    current: str,
    event: str,
    *,
    attempts_after: int = 0,
    attempt_limit: int | None = None,
    invitations_after: int | None = None,
) -> Status:
    """The status after `event`, or IllegalTransition.

    A failed attempt sends the item back to the agency when both hold: it reaches the attempt
    limit (every failed visit counts), and the regulation is met — at least
    REQUIRED_INVITATIONS invitations, spaced by working days (`invitations_after`, None when
    the caller does not track them). Before that, the item stays `failed_attempt` on the
    postman's work for the next visit.
    """
    if not allowed(direction, current, event):
        raise IllegalTransition(direction, current, event)
    target = TRANSITIONS[Direction(direction)][Event(event)][1]
    regulation_met = invitations_after is None or invitations_after >= REQUIRED_INVITATIONS
    if (
        event == Event.FAIL
        and attempt_limit is not None
        and attempts_after >= attempt_limit
        and regulation_met
    ):
        return Status.RETURN_TO_AGENCY
    return target


def events_from(direction: str, current: str) -> list[str]:
    """Events allowed from a status (for docs and UIs)."""
    return [
        e.value for e, (sources, _) in TRANSITIONS[Direction(direction)].items() if Status(current) in sources
    ]


# Proof review: the second entity with a state. A proof is never changed or deleted; a flagged one
# waits for a supervisor, who accepts it (the item moves by ACCEPT_PROOF, or FAIL for a failed
# visit) or rejects it with a reason (the item stays as it is). `resolve` is the old name of
# reject, kept for existing clients.


class Review(StrEnum):
    PENDING = "pending"  # flagged, nobody decided yet (stored as NULL)
    ACCEPTED = "accepted"
    REJECTED = "rejected"


REVIEW_TRANSITIONS = {
    "accept": (Review.PENDING, Review.ACCEPTED),
    "reject": (Review.PENDING, Review.REJECTED),
}


class ReviewNotPossible(DomainError):
    def __init__(self, current: str, action: str):
        super().__init__(
            "already-reviewed" if current != Review.PENDING else "not-flagged",
            f"This proof is '{current}' and cannot be '{action}ed'.",
            status=409,
        )
        self.current = current


def next_review(flagged: bool, current: str | None, action: str) -> Review:
    """The review state after `action` ('accept' / 'reject'), or ReviewNotPossible."""
    if not flagged:
        raise DomainError("not-flagged", "Only flagged proofs are reviewed.", status=409)
    source, target = REVIEW_TRANSITIONS[action]
    state = Review(current or Review.PENDING)
    if state != source:
        raise ReviewNotPossible(state, action)
    return target
