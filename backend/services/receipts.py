"""The day the post received each item (J of Circular 17's J+n): a result when the agency handed it
over (`receive_from_agency`), a dossier when the postman collected it (`collect`). Read from the audit
entries the state machine writes (backend/services/item_events.py), as the timeline does: nothing is
stored twice. The one-stop view of an item (backend/schemas/items.py, OneStopSchema) reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func

from backend.domain.status import Direction, Event
from backend.extensions import db
from backend.models import AuditEntry, Item
from backend.timeutil import local_zone

RECEIPT = {
    Direction.RETURN.value: f"item.{Event.RECEIVE_FROM_AGENCY}",
    Direction.COLLECT.value: f"item.{Event.COLLECT}",
}


def note_receipts(items: list[Item]) -> list[Item]:
    """Set `received_on` (a local date, or None) on each item: one query for the lot."""
    codes = [item.code for item in items]
    first: dict[tuple[str, str], datetime] = {}
    if codes:
        rows = db.session.execute(
            db.select(AuditEntry.entity_id, AuditEntry.action, func.min(AuditEntry.at))
            .where(
                AuditEntry.entity_type == "item",
                AuditEntry.entity_id.in_(codes),
                AuditEntry.action.in_(sorted(RECEIPT.values())),
            )
            .group_by(AuditEntry.entity_id, AuditEntry.action)
        ).all()
        first = {(code, action): at for code, action, at in rows}
    for item in items:
        at = first.get((item.code, RECEIPT[item.direction]))
        item.received_on = _local_day(at)  # read by OneStopSchema; not a column
    return items


def _local_day(at: datetime | None) -> date | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(local_zone()).date()
