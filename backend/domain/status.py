"""The one state machine for an item's status.

Every status change anywhere (API, sync, CLI) goes through `next_status`, so the
rules live in this table and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum

from backend.domain.rules import DomainError


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

S = Status
_RETURN: dict[Event, tuple[frozenset[Status], Status]] = {
    Event.RECEIVE_FROM_AGENCY: (frozenset({S.REGISTERED}), S.AT_POST_OFFICE),
    Event.ASSIGN: (frozenset({S.AT_POST_OFFICE, S.FAILED_ATTEMPT, S.ASSIGNED}), S.ASSIGNED),
    Event.UNASSIGN: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.AT_POST_OFFICE),
    Event.DELIVER: (frozenset({S.ASSIGNED}), S.DELIVERED),
    Event.FAIL: (frozenset({S.ASSIGNED}), S.FAILED_ATTEMPT),
    Event.GIVE_UP: (frozenset({S.FAILED_ATTEMPT, S.AT_POST_OFFICE}), S.RETURN_TO_AGENCY),
    Event.RETURN_TO_AGENCY: (frozenset({S.RETURN_TO_AGENCY}), S.RETURNED_TO_AGENCY),
    Event.CANCEL: (frozenset({S.REGISTERED, S.AT_POST_OFFICE, S.ASSIGNED, S.FAILED_ATTEMPT}), S.CANCELLED),
}
_COLLECT: dict[Event, tuple[frozenset[Status], Status]] = {
    Event.ASSIGN: (frozenset({S.REGISTERED, S.FAILED_ATTEMPT, S.ASSIGNED}), S.ASSIGNED),
    Event.UNASSIGN: (frozenset({S.ASSIGNED, S.FAILED_ATTEMPT}), S.REGISTERED),
    Event.COLLECT: (frozenset({S.ASSIGNED}), S.COLLECTED),
    Event.FAIL: (frozenset({S.ASSIGNED}), S.FAILED_ATTEMPT),
    Event.GIVE_UP: (frozenset({S.FAILED_ATTEMPT, S.REGISTERED}), S.RETURN_TO_AGENCY),
    Event.HAND_TO_AGENCY: (frozenset({S.COLLECTED}), S.HANDED_TO_AGENCY),
    Event.RETURN_TO_AGENCY: (frozenset({S.RETURN_TO_AGENCY}), S.RETURNED_TO_AGENCY),
    Event.CANCEL: (frozenset({S.REGISTERED, S.ASSIGNED, S.FAILED_ATTEMPT}), S.CANCELLED),
}
TRANSITIONS = {Direction.RETURN: _RETURN, Direction.COLLECT: _COLLECT}


class IllegalTransition(DomainError):
    def __init__(self, direction: str, current: str, event: str):
        super().__init__(
            "illegal-transition",
            f"A {direction} item in status '{current}' cannot '{event}'.",
            status=409,
        )
        self.current = current
        self.event = event


def allowed(direction: str, current: str, event: str) -> bool:
    rule = TRANSITIONS[Direction(direction)].get(Event(event))
    return rule is not None and Status(current) in rule[0]


def next_status(direction: str, current: str, event: str, *, attempts_after: int = 0,
                attempt_limit: int | None = None) -> Status:
    """The status after `event`, or IllegalTransition.

    A failed attempt that reaches the attempt limit sends the item back to the agency.
    """
    if not allowed(direction, current, event):
        raise IllegalTransition(direction, current, event)
    target = TRANSITIONS[Direction(direction)][Event(event)][1]
    if event == Event.FAIL and attempt_limit is not None and attempts_after >= attempt_limit:
        return Status.RETURN_TO_AGENCY
    return target


def events_from(direction: str, current: str) -> list[str]:
    """Events allowed from a status (for docs and UIs)."""
    return [e.value for e, (sources, _) in TRANSITIONS[Direction(direction)].items() if Status(current) in sources]
