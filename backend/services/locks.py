"""Row locks in the one order every writer takes them: rounds (in id order) before their items
(in id order). Two writers that lock in one order never deadlock (docs/decisions/0006-commit-log.md).

A round is locked FOR NO KEY UPDATE: it keeps others from planning it, yet a proof or an item
referencing it may still be written. An item is locked FOR UPDATE. The sync clock is always last:
it is taken only at COMMIT (sync.changes).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from backend.models import Item, Round

AnySession = Session | scoped_session


def lock_rounds(session: AnySession, round_ids: Iterable[int | None]) -> dict[int, Round]:
    """The rounds, locked until commit (in id order) and read afresh after the lock."""
    ids = sorted({i for i in round_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Round)
        .where(Round.id.in_(ids))
        .order_by(Round.id)
        .with_for_update(of=Round, key_share=True)
        .execution_options(populate_existing=True)
    )
    return {rnd.id: rnd for rnd in rows.unique().scalars()}


def lock_items(session: AnySession, ids: Iterable[int]) -> dict[int, Item]:
    """The listed items, locked until commit (in id order) and read afresh after the lock."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Item)
        .where(Item.id.in_(ids))
        .order_by(Item.id)
        .with_for_update(of=Item)
        .execution_options(populate_existing=True)
    )
    return {item.id: item for item in rows.unique().scalars()}


def lock_items_and_rounds(
    session: AnySession, ids: Iterable[int], rounds: Iterable[int] = ()
) -> dict[int, Item]:
    """The items and the rounds they are on (with `rounds`), all the rounds first.

    The items' rounds are read before the lock; an item moved to another round in between raises
    StaleDataError, which every writer already answers as "changed meanwhile" (a 409, or a retried
    push mutation)."""
    return lock_items_with_rounds(session, ids, rounds)[0]


def lock_items_with_rounds(
    session: AnySession, ids: Iterable[int], rounds: Iterable[int] = ()
) -> tuple[dict[int, Item], dict[int, Round]]:
    """lock_items_and_rounds, also handing back the locked rounds: a caller that keeps both dicts
    keeps the rows in the session's identity map (it holds them only weakly), so reading them again
    in the same transaction costs no statement."""
    ids = sorted(set(ids))
    current: list[int | None] = (
        list(session.execute(select(Item.round_id).where(Item.id.in_(ids))).scalars()) if ids else []
    )
    wanted = {r for r in current if r is not None} | set(rounds)
    locked_rounds = lock_rounds(session, wanted)
    items = lock_items(session, ids)
    moved = {item.round_id for item in items.values() if item.round_id is not None} - wanted
    if moved:
        raise StaleDataError(f"Items moved to rounds {sorted(moved)} while they were locked.")
    return items, locked_rounds
