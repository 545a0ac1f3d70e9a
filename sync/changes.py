"""The change feed behind the pull cursor (docs/decisions/0006-commit-log.md).

A transaction that changes an item, a round, a procedure, an agency or a post office inserts its own CommitLog row at its
first such flush and stamps what it changed with that row's id, its ticket; an item leaving a
postman's round leaves a ScopeRemoval behind, stamped the same way. Just before COMMIT it takes
the next number from the sync clock and writes it on its CommitLog row as `seq`: the clock's row
is locked only for the commit itself, never for the length of the transaction, so a long import
no longer makes every phone's push wait. These are session hooks, so no code path that changes
an item through the ORM can forget to tell the phones.

Readers select by `seq` (`committed_between`): a reader that reads the clock at N sees every
transaction numbered N or less, because each took the clock's row lock after the one before had
committed. A transaction still running, or rolled back, has no seq and is invisible.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, event, insert, inspect, select, update
from sqlalchemy.orm import QueryableAttribute, Session, scoped_session
from sqlalchemy.orm.attributes import History

from backend.models import Agency, CommitLog, Item, PostOffice, Procedure, Round, ScopeRemoval, SyncClock
from backend.models.base import now_utc

_TICKET_KEY = "postround.change_ticket"
_TICKET_TX = "postround.change_ticket_tx"
_COMMITTING = "postround.committing"
TRACKED = (Item, Round, Procedure, Agency, PostOffice)


def take_ticket(session: Session) -> int:
    """This transaction's ticket (inserting its CommitLog row on first use)."""
    ticket = session.info.get(_TICKET_KEY)
    if ticket is None:
        conn = session.connection()
        key = conn.execute(insert(CommitLog).values(seq=None)).inserted_primary_key
        assert key is not None
        ticket = key[0]
        session.info[_TICKET_KEY] = ticket
        # If a savepoint rolls back, so does the row: forget the ticket when it ends.
        session.info[_TICKET_TX] = session.get_nested_transaction() or session.get_transaction()
        if session.info.get(_COMMITTING):
            _seal(session, ticket)  # a change flushed after the seal: number it now
    return ticket


def _seal(session: Session, ticket: int) -> None:
    """Number the transaction: bump the clock (its row stays locked until COMMIT) and log the seq."""
    conn = session.connection()
    seq = conn.execute(
        update(SyncClock).where(SyncClock.id == 1).values(seq=SyncClock.seq + 1).returning(SyncClock.seq)
    ).scalar_one_or_none()
    if seq is None:  # a database created without the migration's seed row
        conn.execute(insert(SyncClock).values(id=1, seq=1))
        seq = 1
    conn.execute(update(CommitLog).where(CommitLog.id == ticket).values(seq=seq, committed_at=now_utc()))


def current_seq(session: Session | scoped_session) -> int:
    """The last committed sequence: everything numbered up to it is visible."""
    return session.execute(select(SyncClock.seq).where(SyncClock.id == 1)).scalar_one_or_none() or 0


def committed_between(
    ticket: QueryableAttribute[int], after: int, upto: int | None = None
) -> ColumnElement[bool]:
    """Rows whose ticket was committed with a seq in (after, upto]: an index range scan on
    commit_log.seq, then the tickets' index on the changed table."""
    window = select(CommitLog.id).where(CommitLog.seq > after)
    if upto is not None:
        window = window.where(CommitLog.seq <= upto)
    return ticket.in_(window)


def _postman_of_round(session: Session, round_id: int | None) -> int | None:
    if round_id is None:
        return None
    rnd = session.get(Round, round_id)
    return rnd.postman_id if rnd is not None else None


def _record_scope_change(session: Session, item: Item, ticket: int) -> None:
    history: History = inspect(item).attrs.round_id.history
    if not history.deleted:
        return
    old_postman = _postman_of_round(session, history.deleted[0])
    new_postman = _postman_of_round(session, item.round_id)
    if old_postman is not None and old_postman != new_postman:
        reason = "cancelled" if item.status == "cancelled" else "reassigned"
        session.add(ScopeRemoval(ticket=ticket, postman_id=old_postman, item_id=item.id, reason=reason))


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, flush_context, instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, TRACKED)]
    fresh = {id(obj) for obj in new}  # session.new builds a new set on every call: once, not per object
    changed = new + [obj for obj in session.dirty if isinstance(obj, TRACKED) and session.is_modified(obj)]
    if not changed:
        return
    ticket = take_ticket(session)
    for obj in changed:
        obj.change_ticket = ticket
        if isinstance(obj, Item) and id(obj) not in fresh:
            _record_scope_change(session, obj, ticket)


@event.listens_for(Session, "before_commit")
def _number_the_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction goes on
    session.flush()  # whatever is still pending takes its ticket now, before the seal
    ticket = session.info.get(_TICKET_KEY)
    if ticket is not None:
        _seal(session, ticket)
    session.info[_COMMITTING] = True  # from here on, a first change is numbered as it is flushed


@event.listens_for(Session, "after_commit")
def _keep_ticket_of_released_savepoint(session: Session) -> None:
    # A savepoint released (not rolled back) hands its changes, and its ticket, to the one around it.
    savepoint = session.get_nested_transaction()
    around = savepoint.parent if savepoint is not None else None
    if savepoint is not None and session.info.get(_TICKET_TX) is savepoint:
        session.info[_TICKET_TX] = around


@event.listens_for(Session, "after_transaction_end")
def _forget_ticket(session: Session, transaction) -> None:
    if transaction.parent is None or transaction is session.info.get(_TICKET_TX):
        session.info.pop(_TICKET_KEY, None)
        session.info.pop(_TICKET_TX, None)
    if transaction.parent is None:
        session.info.pop(_COMMITTING, None)
