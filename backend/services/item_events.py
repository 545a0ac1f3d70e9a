"""Moving an item through its state machine, with the audit entry that goes with it."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from backend.audit import audit
from backend.domain.status import Event, next_status
from backend.domain.workdays import counts_as_invitation, next_invitation_from
from backend.models import Item
from backend.models.base import now_utc
from backend.services import notifications
from backend.services.round_events import settle_round
from backend.timeutil import local_zone


def visit_day(at: datetime | None) -> date:
    """The local date of a visit: the phone's clock, but never later than the server's (a phone
    whose clock runs ahead cannot date a visit into the future)."""
    now = now_utc()
    when = now if at is None else min(at if at.tzinfo else at.replace(tzinfo=now.tzinfo), now)
    return when.astimezone(local_zone()).date()


def next_attempt_from(item: Item) -> date | None:
    """The earliest day a new failed visit to `item` counts as the regulation's next invitation."""
    return next_invitation_from(item.last_invitation_on, current_app.config["REATTEMPT_SPACING_WORKING_DAYS"])


def apply_event(
    item: Item,
    event: Event | str,
    detail: dict | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> str:
    """Move `item` by `event` (raises IllegalTransition) and audit it; the caller commits.

    A failed visit (`at`: when it happened) always counts towards the attempt limit; it counts
    as one of the regulation's invitations only when it is the first or comes at least
    REATTEMPT_SPACING_WORKING_DAYS working days after the last one that did. The item goes back
    to the agency once the limit is reached and the regulation is met.
    """
    event = Event(event)
    attempts_after = item.attempt_count + (1 if event == Event.FAIL else 0)
    invitations_after, invitation = item.invitation_count, None
    if event == Event.FAIL:
        day = visit_day(at)
        invitation = counts_as_invitation(
            item.last_invitation_on, day, current_app.config["REATTEMPT_SPACING_WORKING_DAYS"]
        )
        invitations_after += invitation
    new_status = next_status(
        item.direction,
        item.status,
        event,
        attempts_after=attempts_after,
        attempt_limit=current_app.config["FAILED_ATTEMPT_LIMIT"],
        invitations_after=invitations_after,
    )
    previous = item.status
    previous_round_id = item.round_id
    item.status = new_status.value
    item.attempt_count = attempts_after
    if invitation:
        item.invitation_count = invitations_after
        item.last_invitation_on = day
    if event in (Event.UNASSIGN, Event.CANCEL):
        item.round_id = None
        item.stop_order = None
        item.leg_distance_m = None
        settle_round(previous_round_id, actor_id)
    settle_round(item.round_id, actor_id)
    extra = {} if invitation is None else {"invitation": invitation, "invitations": invitations_after}
    notifications.on_item_event(item, event, detail)
    audit(
        f"item.{event.value}",
        "item",
        item.code,
        {"from": previous, "to": new_status.value, **extra, **(detail or {})},
        actor_id=actor_id,
    )
    return new_status.value
