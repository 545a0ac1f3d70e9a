"""The commit log behind the change feed: every committed change gets a sequence number at COMMIT,
and only a committed one (docs/decisions/0006-commit-log.md). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import CommitLog, Item, Round
from sync.changes import committed_between, current_seq


@pytest.fixture
def items(app, make):
    ids = [make.item().id for _ in range(3)]
    with app.app_context():
        yield ids
        db.session.remove()


def seq_of(item_id: int) -> int | None:
    ticket = db.session.get(Item, item_id).change_ticket
    return db.session.execute(sa.select(CommitLog.seq).where(CommitLog.id == ticket)).scalar_one_or_none()


def changed_after(seq: int) -> set[int]:
    query = sa.select(Item.id).where(committed_between(Item.change_ticket, seq, current_seq(db.session)))
    return set(db.session.execute(query).scalars())


def test_a_transaction_is_numbered_when_it_commits_not_when_it_first_writes(items):
    before = current_seq(db.session)
    db.session.get(Item, items[0]).note = "Gọi trước"
    db.session.flush()
    ticket = db.session.get(Item, items[0]).change_ticket
    row = db.session.get(CommitLog, ticket)
    assert row.seq is None and current_seq(db.session) == before  # written, not yet numbered
    db.session.commit()

    assert seq_of(items[0]) == current_seq(db.session) == before + 1
    assert db.session.get(CommitLog, ticket).committed_at is not None
    assert changed_after(before) == {items[0]}


def test_a_rolled_back_transaction_leaves_no_number_and_no_change_behind(items):
    before = current_seq(db.session)
    db.session.get(Item, items[0]).note = "Bỏ"
    db.session.flush()
    db.session.rollback()
    assert current_seq(db.session) == before
    assert changed_after(0) == set(items)  # as created, nothing more
    assert changed_after(before) == set()


def test_a_savepoint_that_rolls_back_takes_its_ticket_with_it_and_the_transaction_goes_on(items):
    before = current_seq(db.session)
    savepoint = db.session.begin_nested()
    db.session.get(Item, items[0]).note = "Bỏ"
    db.session.flush()  # the ticket's row is written inside the savepoint
    savepoint.rollback()
    db.session.get(Item, items[1]).note = "Giữ"
    db.session.commit()

    assert current_seq(db.session) == before + 1
    assert changed_after(before) == {items[1]}
    assert db.session.get(Item, items[0]).note is None


def test_a_released_savepoint_keeps_its_ticket_for_the_commit(items):
    """The push applies each mutation inside a savepoint and commits after it: the change must
    still be numbered, or the phones would never see it."""
    before = current_seq(db.session)
    with db.session.begin_nested():
        db.session.get(Item, items[0]).note = "Trong savepoint"
    db.session.get(Item, items[1]).note = "Sau savepoint"
    db.session.commit()

    assert changed_after(before) == {items[0], items[1]}
    assert seq_of(items[0]) == seq_of(items[1]) == before + 1


def test_a_session_that_commits_several_times_numbers_each_commit(items):
    before = current_seq(db.session)
    for n, item_id in enumerate(items, start=1):
        db.session.get(Item, item_id).note = f"Lần {n}"
        db.session.commit()
        assert seq_of(item_id) == before + n
    db.session.commit()  # nothing changed: no number taken
    assert current_seq(db.session) == before + len(items)
    assert changed_after(before + 1) == set(items[1:])


def test_a_change_left_for_the_commit_to_flush_is_numbered_too(items, make):
    """No autoflush before COMMIT: the commit's own flush writes the change and its ticket."""
    before = current_seq(db.session)
    with db.session.no_autoflush:
        db.session.get(Item, items[2]).note = "Chỉ lúc commit"
        db.session.commit()
    assert seq_of(items[2]) == before + 1


def test_a_round_and_its_items_changed_together_share_one_number(items, make):
    rnd = db.session.get(Round, make.round(make.user("postman")).id)
    rnd.note = "Đi sớm"
    for order, item_id in enumerate(items[:2], start=1):
        item = db.session.get(Item, item_id)
        item.round_id, item.stop_order = rnd.id, order
    db.session.commit()
    assert db.session.get(CommitLog, rnd.change_ticket).seq == seq_of(items[0]) == seq_of(items[1])
    assert seq_of(items[0]) == current_seq(db.session)
