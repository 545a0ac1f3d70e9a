"""Who may put which item on a handover record (biên bản bàn giao), and what it does to the item.

Plain Python, table-driven like `status.py`: one row per (who records, handover direction, item
direction). The item moves by the first of the row's events the state machine allows from its
status; `documents` are statuses a record may list without moving the item (results the post
office already booked as received, by an import, that still lack a signed paper); `must_carry`:
the recorder must have the item on their round now. `backend.services.handovers` applies the table
for the dashboard (supervisors) and for the phones' `handover` mutation (postmen).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from backend.domain.status import Direction, Event, Status, allowed


class HandoverDirection(StrEnum):
    AGENCY_TO_POST = "agency_to_post"  # the agency hands results (or returned dossiers) to the post
    POST_TO_AGENCY = "post_to_agency"  # the post hands collected dossiers / returned results to the agency


class Recorder(StrEnum):
    STAFF = "staff"  # a supervisor or an administrator, on the dashboard
    POSTMAN = "postman"  # a postman, from the phone (sync `handover` mutation)
    AGENCY = "agency"  # an agency officer, on the agency portal (an electronic record the post countersigns)


class Refusal(StrEnum):
    """Why a line cannot go on the record (the service turns it into words for the recorder)."""

    UNKNOWN = "unknown"  # no such item
    OTHER_AGENCY = "other-agency"  # the item belongs to another agency than the record's
    NOT_CARRIED = "not-carried"  # the recorder must carry the item and does not
    STATUS = "status"  # the item's status does not allow this handover
    DOCUMENTED = "documented"  # already listed on a record of this kind


# Results the post office holds already (booked as received) that may still lack a signed record.
ALREADY_RECEIVED = frozenset({Status.AT_POST_OFFICE, Status.ASSIGNED, Status.FAILED_ATTEMPT})


@dataclass(frozen=True)
class Rule:
    events: tuple[Event, ...]
    documents: frozenset[Status] = frozenset()
    must_carry: bool = False


_TO_POST = HandoverDirection.AGENCY_TO_POST
_TO_AGENCY = HandoverDirection.POST_TO_AGENCY
RULES: dict[tuple[Recorder, HandoverDirection, Direction], Rule] = {
    # Results the agency still holds (`registered`) come to the post office.
    (Recorder.STAFF, _TO_POST, Direction.RETURN): Rule(
        (Event.RECEIVE_FROM_AGENCY,), documents=ALREADY_RECEIVED
    ),
    (Recorder.POSTMAN, _TO_POST, Direction.RETURN): Rule((Event.RECEIVE_FROM_AGENCY,)),
    # The officer lists the results they hand over; they move when the post countersigns.
    (Recorder.AGENCY, _TO_POST, Direction.RETURN): Rule(
        (Event.RECEIVE_FROM_AGENCY,), documents=ALREADY_RECEIVED
    ),
    # Collected dossiers go to the agency; so do items sent back after the attempt limit.
    (Recorder.STAFF, _TO_AGENCY, Direction.COLLECT): Rule((Event.HAND_TO_AGENCY, Event.RETURN_TO_AGENCY)),
    (Recorder.STAFF, _TO_AGENCY, Direction.RETURN): Rule((Event.RETURN_TO_AGENCY,)),
    (Recorder.POSTMAN, _TO_AGENCY, Direction.COLLECT): Rule(
        (Event.HAND_TO_AGENCY, Event.RETURN_TO_AGENCY), must_carry=True
    ),
    (Recorder.POSTMAN, _TO_AGENCY, Direction.RETURN): Rule((Event.RETURN_TO_AGENCY,), must_carry=True),
}


@dataclass(frozen=True)
class Decision:
    """A line's fate: it moves the item by `event`, or lists it without moving (`event` None), or
    is refused for `refusal`."""

    event: Event | None = None
    refusal: Refusal | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def event_for(
    recorder: Recorder | str, direction: HandoverDirection | str, item_direction: str, status: str
) -> Event | None:
    """The status change a handover makes to an item, by the table and the state machine alone."""
    rule = RULES.get((Recorder(recorder), HandoverDirection(direction), Direction(item_direction)))
    return next((e for e in rule.events if allowed(item_direction, status, e)), None) if rule else None


def documents(
    recorder: Recorder | str, direction: HandoverDirection | str, item_direction: str, status: str
) -> bool:
    """Whether the record may list the item without moving it (receipt already booked)."""
    rule = RULES.get((Recorder(recorder), HandoverDirection(direction), Direction(item_direction)))
    return rule is not None and Status(status) in rule.documents


def decide(
    recorder: Recorder | str,
    direction: HandoverDirection | str,
    *,
    exists: bool,
    same_agency: bool = False,
    item_direction: str | None = None,
    status: str | None = None,
    carried: bool = False,
    documented: bool = False,
) -> Decision:
    """What one line of a record does, checked in this order: the item exists, is the record's
    agency's, is carried when the row asks it, then moves or is documented once."""
    if not exists:
        return Decision(refusal=Refusal.UNKNOWN)
    if not same_agency:
        return Decision(refusal=Refusal.OTHER_AGENCY)
    # An item that exists has a direction and a status; the caller passes both with exists=True.
    assert item_direction is not None and status is not None
    rule = RULES.get((Recorder(recorder), HandoverDirection(direction), Direction(item_direction)))
    if rule is not None and rule.must_carry and not carried:
        return Decision(refusal=Refusal.NOT_CARRIED)
    event = event_for(recorder, direction, item_direction, status)
    if event is not None:
        return Decision(event=event)
    if documents(recorder, direction, item_direction, status):
        return Decision(refusal=Refusal.DOCUMENTED) if documented else Decision()
    return Decision(refusal=Refusal.STATUS)


# Electronic records ----------------------------------------------------------------------------------
#
# A record may be signed on screen by both sides instead of on paper. The side that draws it up signs
# first; the record then waits for the other side (an agency officer's record for the post office, a
# supervisor's for the agency) and nothing moves. When the second signature lands the lines are
# checked again by the first side's row of RULES, the items move, and the server's time then is the
# record's `signed_at`: its legal time (Decision 45 Art. 7.4). A record typed from paper is `signed`
# at once and moves its items then (no `signed_at`: its time is on the paper). Until the other side
# signs, the side that drew a record up may withdraw it: it is then `withdrawn` for good, moves nothing,
# lists its items for no one (they may go on a new record) and can no longer be signed.


class RecordStatus(StrEnum):
    SIGNED = "signed"
    AWAITING_POST = "awaiting_post"  # the officer signed; a supervisor must countersign
    AWAITING_AGENCY = "awaiting_agency"  # the post office signed; the agency officer must countersign
    WITHDRAWN = "withdrawn"  # the side that drew it up took it back before the other side signed


class RecordEvent(StrEnum):
    COUNTERSIGN = "countersign"
    WITHDRAW = "withdraw"


# Who drew up a record that waits, by what it waits for; and who may countersign it.
AWAITING = {Recorder.AGENCY: RecordStatus.AWAITING_POST, Recorder.STAFF: RecordStatus.AWAITING_AGENCY}
DRAWN_UP_BY = {status: recorder for recorder, status in AWAITING.items()}


# The record's rules table: (status, event) -> (who may, the status after). Nothing else moves a record.
RECORD_TRANSITIONS: dict[tuple[RecordStatus, RecordEvent], tuple[Recorder, RecordStatus]] = {
    (RecordStatus.AWAITING_POST, RecordEvent.COUNTERSIGN): (Recorder.STAFF, RecordStatus.SIGNED),
    (RecordStatus.AWAITING_AGENCY, RecordEvent.COUNTERSIGN): (Recorder.AGENCY, RecordStatus.SIGNED),
    (RecordStatus.AWAITING_POST, RecordEvent.WITHDRAW): (Recorder.AGENCY, RecordStatus.WITHDRAWN),
    (RecordStatus.AWAITING_AGENCY, RecordEvent.WITHDRAW): (Recorder.STAFF, RecordStatus.WITHDRAWN),
}
# Records whose lines count: a withdrawn record documents nothing and passes nothing on.
STANDING = frozenset({RecordStatus.SIGNED, RecordStatus.AWAITING_POST, RecordStatus.AWAITING_AGENCY})


def countersigner(status: RecordStatus | str) -> Recorder | None:
    """Who may sign a record second (None: it is signed or withdrawn)."""
    rule = RECORD_TRANSITIONS.get((RecordStatus(status), RecordEvent.COUNTERSIGN))
    return rule[0] if rule else None


def withdrawer(status: RecordStatus | str) -> Recorder | None:
    """Who may withdraw a record (the side that drew it up, while it waits; None: no one)."""
    rule = RECORD_TRANSITIONS.get((RecordStatus(status), RecordEvent.WITHDRAW))
    return rule[0] if rule else None


# Requests from the agency ------------------------------------------------------------------------------
#
# An agency may ask the post to hold an item (keep it at the office, do not deliver yet) or to cancel
# it. The request is open until a supervisor acts: `done` (for a cancel, the item is cancelled through
# the state machine) or `declined` with a note. An item that is delivered, collected or back at the
# agency cannot be held or cancelled any more.


class RequestKind(StrEnum):
    HOLD = "hold"
    CANCEL = "cancel"


class RequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DECLINED = "declined"


# Cash handed to the post office ---------------------------------------------------------------------
#
# At the end of the day a postman hands the cash they collected to the office (a supervisor takes it):
# the service fees and the government fees in cash, separately. Money paid by VietQR transfer went
# straight to the payee's account and is never handed over. A record made on the phone (the sync
# `cash_handover` mutation) is `declared` until a supervisor confirms receiving it; one a supervisor
# records on the dashboard is `received` at once.


class CashStatus(StrEnum):
    DECLARED = "declared"  # the postman's phone says it was handed over; the office has not confirmed
    RECEIVED = "received"  # a supervisor received it


class CashEvent(StrEnum):
    RECEIVE = "receive"  # a supervisor confirms receiving a declared handover


CASH_TRANSITIONS: dict[tuple[CashStatus, CashEvent], CashStatus] = {
    (CashStatus.DECLARED, CashEvent.RECEIVE): CashStatus.RECEIVED,
}
# Where each kind of record starts.
CASH_START = {Recorder.POSTMAN: CashStatus.DECLARED, Recorder.STAFF: CashStatus.RECEIVED}


def cash_next(status: CashStatus | str, event: CashEvent | str) -> CashStatus | None:
    """The status a cash handover moves to, or None when the event does not apply."""
    return CASH_TRANSITIONS.get((CashStatus(status), CashEvent(event)))


class CashRefusal(StrEnum):
    NOTHING = "nothing"  # no amount at all
    MORE_THAN_HELD = "more-than-held"  # more of a fee kind than the postman holds in cash that day


def cash_refusal(held: tuple[int, int], handed: tuple[int, int]) -> CashRefusal | None:
    """Whether a cash handover of (service, government) `handed` fits what the postman holds in cash
    that day (`held`: collected in cash, less what was handed over already). A supervisor at the
    desk is refused; a phone's record (the money has changed hands) is kept and flagged instead."""
    if not any(handed):
        return CashRefusal.NOTHING
    if any(amount > have for amount, have in zip(handed, held, strict=True)):
        return CashRefusal.MORE_THAN_HELD
    return None


def fees_need_postman(postman_id: int | None, fees_passed_on: int) -> bool:
    """A handover record that passes fees on must name the postman the money comes from."""
    return fees_passed_on > 0 and postman_id is None
