"""The dashboard's one search box: items, rounds and postmen of the caller's offices, found with
or without diacritics ("nguyen van" finds "Nguyễn Văn"), each group with its own total."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Select, case, func

from backend.auth.scope import scoped, users_query
from backend.domain.text import fold
from backend.extensions import db
from backend.models import Item, Round, User
from backend.services.items import search_filter, visible_items

# A date as a supervisor types it: 01/12/2026, 1/12 (this year), 2026-12-01.
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def split_query(text: str, today: date) -> tuple[list[str], date | None]:
    """The folded words of a query and the date in it, if one of its words is a date."""
    words, when = [], None
    for word in fold(text).split():
        found = _ISO.match(word)
        parts = (found.group(1), found.group(2), found.group(3)) if found else None
        if parts is None and (found := _DMY.match(word)):
            parts = (found.group(3) or str(today.year), found.group(2), found.group(1))
        if parts is not None and when is None:
            try:
                when = date(int(parts[0]), int(parts[1]), int(parts[2]))
                continue
            except ValueError:
                pass  # 31/02: not a date, an ordinary word
        words.append(word)
    return words, when


def _has_words(text: str, words: list[str]) -> bool:
    return all(word in text for word in words)


def matching_postmen(user: User, words: list[str]) -> list[User]:
    """The postmen the caller sees whose name, username or phone holds every word (folded), by name.
    Few enough per province to fold in Python, on SQLite and PostgreSQL alike."""
    query = users_query(user).where(User.role == "postman").order_by(User.full_name, User.id)
    return [
        postman
        for postman in db.session.execute(query).scalars()
        if _has_words(
            fold(" ".join(filter(None, (postman.full_name, postman.username, postman.phone)))), words
        )
    ]


def items_query(user: User, text: str) -> Select:
    """Items of the caller's offices holding every word; an exact S10 or dossier code first, then the
    most recently changed."""
    exact = text.strip().upper()
    first = case((func.upper(Item.code) == exact, 0), (func.upper(Item.dossier_code) == exact, 0), else_=1)
    return search_filter(visible_items(user), text).order_by(first, Item.updated_at.desc(), Item.id.desc())


def rounds_query(user: User, words: list[str], when: date | None, postmen: list[User]) -> Select | None:
    """Rounds of the caller's offices: of a matching postman, on the date typed (either or both);
    newest first. None when the query names neither."""
    query = scoped(db.select(Round), Round.office_id, user)
    if words:
        query = query.where(Round.postman_id.in_([p.id for p in postmen]))
    if when is not None:
        query = query.where(Round.round_date == when)
    if not words and when is None:
        return None
    return query.order_by(Round.round_date.desc(), Round.id.desc())


def stop_counts(round_ids: list[int]) -> dict[int, int]:
    if not round_ids:
        return {}
    rows = db.session.execute(
        db.select(Item.round_id, func.count()).where(Item.round_id.in_(round_ids)).group_by(Item.round_id)
    ).all()
    return {round_id: count for round_id, count in rows}  # noqa: C416 (rows are Row tuples)
