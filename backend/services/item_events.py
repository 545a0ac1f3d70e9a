"""Moving an item through its state machine, with the audit entry that goes with it."""

from __future__ import annotations

from flask import current_app

from backend.audit import audit
from backend.domain.status import Event, next_status
from backend.models import Item
from backend.services.round_events import settle_round


def apply_event(item: Item, event: Event | str, detail: dict | None = None, actor_id: int | None = None) -> str:
    """Move `item` by `event` (raises IllegalTransition) and audit it; the caller commits.

    A failed attempt counts towards the configured limit; reaching it sends the item
    back to the agency.
    """
    event = Event(event)
    attempts_after = item.attempt_count + (1 if event == Event.FAIL else 0)
    new_status = next_status(item.direction, item.status, event, attempts_after=attempts_after,
                             attempt_limit=current_app.config["FAILED_ATTEMPT_LIMIT"])
    previous = item.status
    previous_round_id = item.round_id
    item.status = new_status.value
    item.attempt_count = attempts_after
    if event in (Event.UNASSIGN, Event.CANCEL):
        item.round_id = None
        item.stop_order = None
        item.leg_distance_m = None
        settle_round(previous_round_id, actor_id)
    settle_round(item.round_id, actor_id)
    audit(f"item.{event.value}", "item", item.code,
          {"from": previous, "to": new_status.value, **(detail or {})}, actor_id=actor_id)
    return new_status.value
