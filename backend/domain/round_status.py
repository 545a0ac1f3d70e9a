"""The one state machine for a round's status, beside the item's (`backend.domain.status`).

A round is planned, starts with its first stop's outcome, is completed when every stop has an
outcome, and is closed by a supervisor at the end of the day. Only a closed round is frozen:
adding a stop to a completed round (an urgent item at 14:00) opens it again.
"""

from __future__ import annotations

from enum import StrEnum

from backend.domain.rules import DomainError
from backend.domain.status import Status


class RoundStatus(StrEnum):
    PLANNED = "planned"  # no stop has an outcome yet
    IN_PROGRESS = "in_progress"  # some stops have an outcome
    COMPLETED = "completed"  # every stop has an outcome
    CLOSED = "closed"  # a supervisor closed the day: no more planning


class RoundEvent(StrEnum):
    START = "start"  # the first stop got an outcome
    COMPLETE = "complete"  # the last stop without an outcome got one
    REOPEN = "reopen"  # a stop without an outcome was added to a completed round
    CLOSE = "close"  # a supervisor closed it


R = RoundStatus
TRANSITIONS: dict[RoundEvent, tuple[frozenset[RoundStatus], RoundStatus]] = {
    RoundEvent.START: (frozenset({R.PLANNED}), R.IN_PROGRESS),
    RoundEvent.COMPLETE: (frozenset({R.PLANNED, R.IN_PROGRESS}), R.COMPLETED),
    RoundEvent.REOPEN: (frozenset({R.COMPLETED}), R.IN_PROGRESS),
    RoundEvent.CLOSE: (frozenset({R.COMPLETED}), R.CLOSED),
}

# A stop has an outcome once its item has left `assigned`: delivered, collected, failed (the visit
# happened), sent back, or cancelled meanwhile.
WITHOUT_OUTCOME = frozenset({Status.ASSIGNED})


class IllegalRoundTransition(DomainError):
    def __init__(self, current: str, event: str):
        super().__init__(
            "illegal-round-transition", f"A round in status '{current}' cannot '{event}'.", status=409
        )
        self.current = current
        self.event = event


def round_allowed(current: str, event: str) -> bool:
    sources, _ = TRANSITIONS[RoundEvent(event)]
    return RoundStatus(current) in sources


def next_round_status(current: str, event: str) -> RoundStatus:
    """The status after `event`, or IllegalRoundTransition."""
    if not round_allowed(current, event):
        raise IllegalRoundTransition(current, event)
    return TRANSITIONS[RoundEvent(event)][1]


def settling_event(current: str, stops: int, open_stops: int) -> RoundEvent | None:
    """The event a round's stops call for now (None: its status already fits them).

    `stops` counts the items on the round, `open_stops` those without an outcome. A round with no
    stops stays as it is (planned, or completed once its last stop was taken off).
    """
    status = RoundStatus(current)
    if status == R.CLOSED or stops == 0:
        return None
    if open_stops == 0:
        return RoundEvent.COMPLETE if status in (R.PLANNED, R.IN_PROGRESS) else None
    if status == R.COMPLETED:
        return RoundEvent.REOPEN
    if status == R.PLANNED and open_stops < stops:
        return RoundEvent.START
    return None


def round_events_from(current: str) -> list[str]:
    """Events allowed from a status (for docs and UIs)."""
    return [e.value for e, (sources, _) in TRANSITIONS.items() if RoundStatus(current) in sources]
