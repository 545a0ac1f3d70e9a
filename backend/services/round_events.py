"""Moving a round through its state machine (`backend.domain.round_status`), with its audit entry.

Rounds move by themselves as their stops get outcomes: `settle_round` is called by
`backend.services.item_events.apply_event` for every item status change, so no code path can
forget it. Only closing is a person's decision.
"""

from __future__ import annotations

from sqlalchemy import case, func

from backend.audit import audit
from backend.domain.round_status import WITHOUT_OUTCOME, RoundEvent, next_round_status, settling_event
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Item, Round


def apply_round_event(rnd: Round, event: RoundEvent | str, actor_id: int | None = None) -> str:
    """Move `rnd` by `event` (raises IllegalRoundTransition) and audit it; the caller commits."""
    event = RoundEvent(event)
    previous = rnd.status
    rnd.status = next_round_status(previous, event).value  # through the ORM: the phones' feed sees it
    audit(f"round.{event.value}", "round", rnd.id, {"from": previous, "to": rnd.status}, actor_id=actor_id)
    return rnd.status


def _stop_counts(round_id: int) -> tuple[int, int]:
    stops, open_stops = db.session.execute(
        db.select(
            func.count(), func.coalesce(func.sum(case((Item.status.in_(WITHOUT_OUTCOME), 1), else_=0)), 0)
        ).where(Item.round_id == round_id)
    ).one()
    return int(stops), int(open_stops)


def settle_round(round_id: int | None, actor_id: int | None = None) -> None:
    """Give the round the status its stops call for (started, completed, reopened)."""
    rnd = db.session.get(Round, round_id) if round_id is not None else None
    if rnd is None:
        return
    event = settling_event(rnd.status, *_stop_counts(rnd.id))
    if event is not None:
        apply_round_event(rnd, event, actor_id)


def close_round(rnd: Round, actor_id: int | None) -> None:
    """A supervisor ends the round's day; every stop must have an outcome first."""
    open_codes = (
        db.session.execute(
            db.select(Item.code)
            .where(Item.round_id == rnd.id, Item.status.in_(WITHOUT_OUTCOME))
            .order_by(Item.stop_order)
        )
        .scalars()
        .all()
    )
    if open_codes:
        reason = f"{len(open_codes)} stops have no outcome yet: {', '.join(open_codes[:10])}."
        raise DomainError(
            "round-has-open-stops",
            f"Round {rnd.id} cannot be closed: {reason}",
            status=409,
            params={"round_id": rnd.id, "n": len(open_codes), "codes": ", ".join(open_codes[:10])},
            errors={"item_codes": [reason]},
        )
    apply_round_event(rnd, RoundEvent.CLOSE, actor_id)
