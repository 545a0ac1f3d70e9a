"""The change feed behind the pull cursor.

Every transaction that changes an item, a round or a procedure takes one number from
the sync clock and stamps it on what it changed; an item leaving a postman's round
leaves a ScopeRemoval behind. This runs as a flush hook, so no code path that changes
an item can forget to tell the phones.
"""

from __future__ import annotations

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import History

from backend.models import Item, Procedure, Round, ScopeRemoval, SyncClock

_SEQ_KEY = "postround.sync_seq"
_SEQ_TX = "postround.sync_seq_tx"
TRACKED = (Item, Round, Procedure)


def take_seq(session: Session) -> int:
    """This transaction's sequence number (bumping the clock and locking its row on first use)."""
    seq = session.info.get(_SEQ_KEY)
    if seq is None:
        conn = session.connection()
        seq = conn.execute(
            update(SyncClock).where(SyncClock.id == 1).values(seq=SyncClock.seq + 1).returning(SyncClock.seq)
        ).scalar_one_or_none()
        if seq is None:  # a database created without the migration's seed row
            conn.execute(insert(SyncClock).values(id=1, seq=1))
            seq = 1
        session.info[_SEQ_KEY] = seq
        # If a savepoint rolls back, so does the bump: forget the number when it ends.
        session.info[_SEQ_TX] = session.get_nested_transaction() or session.get_transaction()
    return seq


def current_seq(session: Session) -> int:
    """The last committed sequence: everything numbered up to it is visible."""
    return session.execute(select(SyncClock.seq).where(SyncClock.id == 1)).scalar_one_or_none() or 0


def _postman_of_round(session: Session, round_id: int | None) -> int | None:
    if round_id is None:
        return None
    rnd = session.get(Round, round_id)
    return rnd.postman_id if rnd is not None else None


def _record_scope_change(session: Session, item: Item, seq: int) -> None:
    history: History = inspect(item).attrs.round_id.history
    if not history.deleted:
        return
    old_postman = _postman_of_round(session, history.deleted[0])
    new_postman = _postman_of_round(session, item.round_id)
    if old_postman is not None and old_postman != new_postman:
        reason = "cancelled" if item.status == "cancelled" else "reassigned"
        session.add(ScopeRemoval(seq=seq, postman_id=old_postman, item_id=item.id, reason=reason))


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, flush_context, instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, TRACKED)]
    fresh = {id(obj) for obj in new}  # session.new builds a new set on every call: once, not per object
    changed = new + [obj for obj in session.dirty if isinstance(obj, TRACKED) and session.is_modified(obj)]
    if not changed:
        return
    seq = take_seq(session)
    for obj in changed:
        obj.change_seq = seq
        if isinstance(obj, Item) and id(obj) not in fresh:
            _record_scope_change(session, obj, seq)


@event.listens_for(Session, "after_transaction_end")
def _forget_seq(session: Session, transaction) -> None:
    if transaction.parent is None or transaction is session.info.get(_SEQ_TX):
        session.info.pop(_SEQ_KEY, None)
        session.info.pop(_SEQ_TX, None)
