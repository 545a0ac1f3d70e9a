"""The dashboard's one search box: items, rounds and postmen of the caller's offices, found with
or without diacritics ("nguyen van" finds "Nguyễn Văn"), each group with its own total."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Select, func, literal_column

from backend.auth.scope import scoped, users_query
from backend.domain.text import fold, phone_digits
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


# The most a group counts exactly; past it the group says "more than 1,000" (`more`), so a word
# nearly every item holds costs a page, not a count of the whole table.
COUNT_LIMIT = 1_000
_S10 = re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$")
_PHONE = re.compile(r"^\+?[\d .\-()]{9,20}$")


def direct_items(user: User, text: str) -> Select | None:
    """An S10 code, a dossier code or a phone number typed whole: the items holding it, by an index
    (items.code, items.dossier_code, items.phone_digits), newest change first. None when the text is
    none of these."""
    typed = text.strip()
    exact = typed.upper()
    if _S10.match(exact):
        where = Item.code == exact
    elif _PHONE.match(typed) and len(digits := phone_digits(typed) or "") >= 9:
        where = Item.phone_digits == digits
    elif " " not in typed and any(ch.isdigit() for ch in typed) and len(typed) >= 6:
        where = Item.dossier_code.in_(sorted({typed, exact}))
    else:
        return None
    return visible_items(user).where(where).order_by(Item.updated_at.desc(), Item.id.desc())


def items_query(user: User, text: str) -> Select:
    """Items of the caller's offices holding every word, the most recently changed first (read in the
    order of ix_items_updated, so the database stops at the page instead of sorting every match)."""
    return search_filter(visible_items(user), text).order_by(Item.updated_at.desc(), Item.id.desc())


def find_items(user: User, text: str, page: int, per_page: int) -> tuple[list, int, bool]:
    """The search box's items: those an exact S10 code, dossier code or phone number names, looked up
    directly; when it names none (or is none), the word search. A page, its capped total and `more`."""
    direct = direct_items(user, text)
    if direct is not None:
        found = capped_page(direct, page, per_page)
        if found[1]:
            return found
    return capped_page(items_query(user, text), page, per_page)


def capped_page(query: Select, page: int, per_page: int) -> tuple[list, int, bool]:
    """One page of rows, the total counted up to COUNT_LIMIT, and whether more than that match."""
    counted: int = db.session.execute(
        db.select(func.count()).select_from(
            query.order_by(None).with_only_columns(literal_column("1")).limit(COUNT_LIMIT + 1).subquery()
        )
    ).scalar_one()
    rows = list(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).unique().scalars())
    return rows, min(counted, COUNT_LIMIT), counted > COUNT_LIMIT


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
