"""What an agency's system is told, and when (docs/agency-api.md).

A session hook, like the commit log's (sync.changes), so no code path that moves an item can forget
it: every flush that changes what an agency sees of an item (its status, its count of failed visits)
or records a handover adds an AgencyEvent, stamped with the transaction's commit-log ticket, and one
WebhookDelivery per endpoint of that agency that wants it. They commit with the change or roll back
with it: an event is never lost and never told for a change that did not happen (the outbox).
A change of anything else (an address, a round's stop order, a reassignment that leaves the status
as it was) tells nothing.

The change feed reads the events by the commit log's seq (`page`): a transaction still running has
no seq and is invisible until it commits, after every one numbered before it. Webhooks are sent
after the commit by the task queue (backend.services.webhooks).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, event, insert, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import History

from backend.domain.rules import DomainError
from backend.domain.status import Status
from backend.extensions import db
from backend.models import (
    AgencyEvent,
    CommitLog,
    DeliveryAttempt,
    Handover,
    Item,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from backend.models.base import now_utc
from sync.changes import current_seq, take_ticket

log = logging.getLogger(__name__)

STATUS_CHANGED = "item.status_changed"
ATTEMPT_FAILED = "item.attempt_failed"
DELIVERED = "item.delivered"
RETURNED = "item.returned_to_agency"
HANDOVER_SIGNED = "handover.signed"
CREATED = "item.created"
# What an endpoint may ask for. "item.status_changed" is every change of status (the more precise
# types included); the others are only their own.
EVENT_TYPES = (STATUS_CHANGED, ATTEMPT_FAILED, DELIVERED, RETURNED, HANDOVER_SIGNED)
_NEW_DELIVERIES = "postround.webhook_deliveries"
_PENDING = "postround.agency_events"
FEED_LIMIT = 500


class _Pending(NamedTuple):
    """An event noted before the flush: its item or handover gets its id in the flush."""

    item: Item | None
    handover: Handover | None
    agency_id: int
    office_id: int | None
    type: str
    data: dict


def _item_type(before: str | None, after: str, failed_visit: bool) -> str:
    if failed_visit:
        return ATTEMPT_FAILED
    if after == Status.DELIVERED:
        return DELIVERED
    if after == Status.RETURNED_TO_AGENCY:
        return RETURNED
    return CREATED if before is None else STATUS_CHANGED


def wanted(endpoint_events: list, event_type: str, data: dict) -> bool:
    """Whether an endpoint asking for `endpoint_events` gets this event."""
    if event_type in endpoint_events:
        return True
    changes_status = data.get("from_status") != data.get("to_status")
    return changes_status and event_type.startswith("item.") and STATUS_CHANGED in endpoint_events


def _old(item: Item, name: str):
    history: History = inspect(item).attrs[name].history
    if not history.has_changes():
        return getattr(item, name), False
    return (history.deleted[0] if history.deleted else None), True


def _failure_reasons(session: Session) -> dict[int, str | None]:
    return {
        obj.item_id: obj.reason_code
        for obj in session.new
        if isinstance(obj, DeliveryAttempt) and obj.outcome == "failed" and obj.item_id is not None
    }


def _last_failure_reason(session: Session, item_id: int) -> str | None:
    """The reason of the item's last failed visit already flushed (the proof before the status)."""
    return session.execute(
        select(DeliveryAttempt.reason_code)
        .where(DeliveryAttempt.item_id == item_id, DeliveryAttempt.outcome == "failed")
        .order_by(DeliveryAttempt.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _item_event(session: Session, item: Item, fresh: bool, reasons: dict) -> _Pending | None:
    if fresh:
        before, status_changed, failed_visit = None, True, False
    else:
        before, status_changed = _old(item, "status")
        attempts_before, attempts_changed = _old(item, "attempt_count")
        failed_visit = attempts_changed and (item.attempt_count or 0) > (attempts_before or 0)
        if not status_changed and not failed_visit:
            return None  # nothing the agency sees changed
    data = {
        "code": item.code,
        "dossier_code": item.dossier_code,
        "direction": item.direction,
        "from_status": before,
        "to_status": item.status,
        "attempt_count": item.attempt_count or 0,
    }
    if failed_visit:
        data["reason"] = reasons[item.id] if item.id in reasons else _last_failure_reason(session, item.id)
    kind = _item_type(before, item.status, failed_visit)
    return _Pending(item, None, item.agency_id, item.office_id, kind, data)


def _handover_event(session: Session, handover: Handover) -> _Pending:
    lines = [line.item or session.get(Item, line.item_id) for line in handover.lines]  # new lines: ids only
    data = {
        "direction": handover.direction,
        "items": [item.code for item in lines if item is not None],
        "seal_number": handover.seal_number,
        "officer_name": handover.officer_name,
    }
    return _Pending(None, handover, handover.agency_id, handover.office_id, HANDOVER_SIGNED, data)


@event.listens_for(Session, "before_flush")
def _record_agency_events(session: Session, flush_context, instances) -> None:
    """Note what this flush changes that an agency sees (the rows are written once it has ids)."""
    items = [(obj, True) for obj in session.new if isinstance(obj, Item)]
    items += [(obj, False) for obj in session.dirty if isinstance(obj, Item) and session.is_modified(obj)]
    handovers = [obj for obj in session.new if isinstance(obj, Handover)]
    if not items and not handovers:
        return
    with session.no_autoflush:
        reasons = _failure_reasons(session)
        events = [e for obj, fresh in items if (e := _item_event(session, obj, fresh, reasons)) is not None]
        events += [_handover_event(session, h) for h in handovers]
    if events:
        take_ticket(session)
        session.info.setdefault(_PENDING, []).extend(events)


@event.listens_for(Session, "after_flush")
def _write_agency_events(session: Session, flush_context) -> None:
    """The flush's events, and a delivery for each endpoint that wants one, in one statement each
    (a 10,000-row import writes them as fast as its items), on the flush's connection."""
    events: list[_Pending] = session.info.pop(_PENDING, [])
    if not events:
        return
    ticket, now = take_ticket(session), now_utc()
    conn = session.connection()
    rows = [
        {
            "ticket": ticket,
            "agency_id": e.agency_id,
            "office_id": e.office_id,
            "item_id": e.item.id if e.item is not None else None,
            "handover_id": e.handover.id if e.handover is not None else None,
            "type": e.type,
            "data": e.data,
            "at": now,
        }
        for e in events
    ]
    endpoints = conn.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.agency_id, WebhookEndpoint.events).where(
            WebhookEndpoint.agency_id.in_({e.agency_id for e in events}), WebhookEndpoint.active.is_(True)
        )
    ).all()
    table = AgencyEvent.__table__
    if not endpoints:
        conn.execute(insert(table), rows)
        return
    ids = (
        conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    )
    deliveries = [
        {
            "id": f"msg_{uuid.uuid4().hex}",
            "endpoint_id": endpoint_id,
            "event_id": event_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event_id, e in zip(ids, events, strict=True)
        for endpoint_id, agency_id, wanted_events in endpoints
        if agency_id == e.agency_id and wanted(wanted_events, e.type, e.data)
    ]
    if deliveries:
        conn.execute(insert(WebhookDelivery.__table__), deliveries)
        session.info[_NEW_DELIVERIES] = True


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(_NEW_DELIVERIES, False):
        return
    from backend.services import webhooks
    from backend.tasks import queue

    if queue().huey.immediate:
        return  # an inline queue would send inside this commit's hook: the caller runs deliver_due
    webhooks.nudge()


@event.listens_for(Session, "after_rollback")
def _forget_deliveries(session: Session) -> None:
    session.info.pop(_PENDING, None)  # a flush that failed: its events go with it
    if not session.in_nested_transaction():
        session.info.pop(_NEW_DELIVERIES, None)


# Reading ------------------------------------------------------------------------------------------


def describe(agency_event: AgencyEvent, seq: int | None) -> dict:
    """An event as the feed and a webhook's body carry it (Standard Webhooks' type/timestamp/data)."""
    data = {**agency_event.data}
    if agency_event.item_id is not None:
        data["item_id"] = agency_event.item_id
    if agency_event.handover_id is not None:
        data["handover_id"] = agency_event.handover_id
    return {
        "id": f"evt_{agency_event.id}",
        "type": agency_event.type,
        "timestamp": agency_event.at.isoformat().replace("+00:00", "Z"),
        "cursor": f"{seq}.{agency_event.id}",
        "data": data,
    }


def parse_cursor(cursor: str | None) -> tuple[int, int | None]:
    """ "<seq>" (everything of that commit seen) or "<seq>.<event id>" (up to that event)."""
    if not cursor:
        return 0, None
    try:
        seq, _, after = cursor.partition(".")
        parsed = int(seq), (int(after) if after else None)
    except ValueError:
        parsed = (-1, None)
    if parsed[0] < 0 or (parsed[1] is not None and parsed[1] < 0):
        raise DomainError(
            "bad-cursor",
            "The cursor is not one this server gave. / Con trỏ không phải do máy chủ này trả về.",
            status=422,
            errors={"cursor": ["Use the next_cursor of the previous page, or none to start."]},
        )
    return parsed


def agencies_filter(user: User, agency_id: int | None):
    """Which agencies' events `user` reads: an officer their own; an admin the agencies their offices
    serve (every one for an admin of no office), or the one they name."""
    from backend.auth.scope import served_agencies

    if user.role == "agency":
        return AgencyEvent.agency_id == user.agency_id
    clause = AgencyEvent.agency_id.in_(served_agencies(user))
    return clause if agency_id is None else and_(clause, AgencyEvent.agency_id == agency_id)


def check_not_expired(after_seq: int, now=None) -> None:
    """A cursor behind the feed's retention (AGENCY_EVENT_RETENTION_DAYS) is refused, 410
    `cursor-expired`: events after it may have been pruned, and a page would skip them silently.
    It is behind when the first commit after it is older than the retention period (a cursor on a
    quiet server, with nothing committed since, never expires)."""
    if after_seq <= 0:
        return
    cutoff = (now or now_utc()) - timedelta(days=current_app.config["AGENCY_EVENT_RETENTION_DAYS"])
    first_after = db.session.execute(
        select(CommitLog.committed_at).where(CommitLog.seq > after_seq).order_by(CommitLog.seq).limit(1)
    ).scalar_one_or_none()
    if first_after is not None and first_after < cutoff:
        days = current_app.config["AGENCY_EVENT_RETENTION_DAYS"]
        raise DomainError(
            "cursor-expired",
            f"This cursor is older than the feed keeps events ({days} days): start again with no "
            "cursor and reconcile with GET /api/items. / Con trỏ này cũ hơn thời hạn lưu sự kiện "
            f"({days} ngày): hãy bắt đầu lại không có con trỏ và đối chiếu qua GET /api/items.",
            status=410,
            errors={"cursor": [f"Older than {days} days of events."]},
        )


def page(user: User, cursor: str | None, limit: int, agency_id: int | None = None) -> dict:
    """The events after `cursor`, in commit order, at most `limit`; and the cursor to go on from."""
    after_seq, after_id = parse_cursor(cursor)
    check_not_expired(after_seq)
    upto = current_seq(db.session)  # read first: everything numbered up to it has committed
    later = CommitLog.seq > after_seq
    if after_id is not None:
        later = or_(later, and_(CommitLog.seq == after_seq, AgencyEvent.id > after_id))
    rows = db.session.execute(
        select(AgencyEvent, CommitLog.seq)
        .join(CommitLog, CommitLog.id == AgencyEvent.ticket)
        .where(agencies_filter(user, agency_id), later, CommitLog.seq <= upto)
        .order_by(CommitLog.seq, AgencyEvent.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        last, seq = rows[-1]
        next_cursor = f"{seq}.{last.id}"
    else:  # every event of this agency up to `upto` is on this page or before it
        next_cursor = str(max(upto, after_seq))
    return {"events": [describe(e, seq) for e, seq in rows], "next_cursor": next_cursor, "has_more": more}


def item_history(item: Item) -> dict:
    """The item's events, oldest first (committed ones: the feed's order)."""
    rows = db.session.execute(
        select(AgencyEvent, CommitLog.seq)
        .join(CommitLog, CommitLog.id == AgencyEvent.ticket)
        .where(AgencyEvent.item_id == item.id, CommitLog.seq.is_not(None))
        .order_by(CommitLog.seq, AgencyEvent.id)
    ).all()
    return {"item_id": item.id, "code": item.code, "events": [describe(e, seq) for e, seq in rows]}
