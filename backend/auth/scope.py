"""Which post offices a user sees: the one scope rule for every supervisor, agency and phone query.

- An admin who belongs to no office sees every office (and rows that carry none).
- A supervisor or admin sees the offices they belong to; belonging to a province unit (the
  "provincial role") means every office under it too.
- A postman belongs to their offices (their rounds are theirs; see backend.services.items).
- An agency officer's offices are those that serve their agency.

A row of an office the user does not see answers like a missing one (404 in the one problem format)
and never appears in a list or a count: `scoped(query, column)` filters, `check_visible` refuses.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import ColumnElement, Select, false, or_, select, true

from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import (
    DeliveryAttempt,
    Handover,
    HandoverAttachment,
    Item,
    PostOffice,
    ProofAttachment,
    User,
    office_agencies,
    user_offices,
)

ALL = None  # visible_office_ids: every office


def visible_office_ids(user: User) -> frozenset[int] | None:
    """The ids of the offices `user` sees, or None for every one (an admin of no office)."""
    cache = g.setdefault("_visible_offices", {}) if has_request_context() else {}
    if user.id in cache:
        return cache[user.id]
    if user.role == "agency":
        ids = frozenset(
            db.session.execute(
                select(office_agencies.c.office_id).where(office_agencies.c.agency_id == user.agency_id)
            ).scalars()
        )
    else:
        rows = db.session.execute(
            select(PostOffice.id, PostOffice.kind)
            .join(user_offices, user_offices.c.office_id == PostOffice.id)
            .where(user_offices.c.user_id == user.id)
        ).all()
        if not rows and user.role == "admin":
            cache[user.id] = ALL
            return ALL
        ids = frozenset(office_id for office_id, _ in rows)
        provinces = [office_id for office_id, kind in rows if kind == "province"]
        if provinces and user.role in ("admin", "supervisor"):
            below = db.session.execute(select(PostOffice.id).where(PostOffice.parent_id.in_(provinces)))
            ids |= frozenset(below.scalars())
    cache[user.id] = ids
    return ids


def sees_office(user: User, office_id: int | None) -> bool:
    ids = visible_office_ids(user)
    return ids is ALL or (office_id is not None and office_id in ids)


def in_offices(column, user: User) -> ColumnElement[bool]:
    """A WHERE clause: `column` (an office id) is one the user sees."""
    ids = visible_office_ids(user)
    if ids is ALL:
        return true()
    return column.in_(sorted(ids)) if ids else false()


def scoped(query: Select, column, user: User) -> Select:
    """`query` limited to rows whose `column` (an office id) the user sees."""
    return query.where(in_offices(column, user))


def not_found(what: str, key) -> DomainError:
    return DomainError("not-found", f"No {what} with id {key}.", status=404)


def check_visible(user: User, office_id: int | None, what: str, key) -> None:
    """A row of an office the user does not see is missing, as far as they can tell."""
    if not sees_office(user, office_id):
        raise not_found(what, key)


def visible(user: User, row, what: str, key, office_of=lambda row: row.office_id):
    """The row, unless it is missing or of an office the user does not see (both: 404). Its office
    is `office_of(row)`."""
    if row is None:
        raise not_found(what, key)
    check_visible(user, office_of(row), what, key)
    return row


def sees_file(user: User, sha256: str) -> bool:
    """Whether `user` sees a stored file (a signature, a photo): through a proof naming it, of an item
    of their offices (an agency officer: of their agency), or through a handover record of their
    offices (an officer: of their agency) naming it; an admin of no office sees every one. Otherwise
    it is missing to them."""
    officer = user.role == "agency"
    if not officer and visible_office_ids(user) is ALL:
        return True
    items = (
        select(Item.id).where(Item.agency_id == user.agency_id)
        if officer
        else scoped(select(Item.id), Item.office_id, user)
    )
    named = select(ProofAttachment.attempt_id).where(ProofAttachment.sha256 == sha256)
    proofs = select(DeliveryAttempt.id).where(
        DeliveryAttempt.id.in_(named), DeliveryAttempt.item_id.in_(items)
    )
    if db.session.execute(proofs.limit(1)).first() is not None:
        return True
    on_record = select(HandoverAttachment.handover_id).where(HandoverAttachment.sha256 == sha256)
    records = (
        select(Handover.id).where(Handover.agency_id == user.agency_id)
        if officer
        else scoped(select(Handover.id), Handover.office_id, user)
    ).where(Handover.id.in_(on_record))
    return db.session.execute(records.limit(1)).first() is not None


def users_query(user: User) -> Select:
    """The users a staff member sees: everyone for an admin of no office; otherwise the users of
    their offices, and the officers of the agencies those offices serve."""
    query = select(User)
    ids = visible_office_ids(user)
    if ids is ALL:
        return query
    members = select(user_offices.c.user_id).where(user_offices.c.office_id.in_(sorted(ids)))
    return query.where(
        or_(User.id.in_(members), User.agency_id.in_(served_agencies(user)), User.id == user.id)
    )


def served_agencies(user: User) -> Select:
    """The ids of the agencies the offices the user sees serve (every agency for an admin of no office)."""
    ids = visible_office_ids(user)
    query = select(office_agencies.c.agency_id)
    return query if ids is ALL else query.where(office_agencies.c.office_id.in_(sorted(ids)))


def unserved(office_id: int | None, agency_ids: set[int]) -> set[int]:
    """Which of these agencies the office does not serve (none for a row of no office)."""
    if office_id is None or not agency_ids:
        return set()
    served = db.session.execute(
        select(office_agencies.c.agency_id).where(
            office_agencies.c.office_id == office_id, office_agencies.c.agency_id.in_(agency_ids)
        )
    ).scalars()
    return agency_ids - set(served)


def offices_query(user: User) -> Select:
    return scoped(select(PostOffice), PostOffice.id, user).order_by(PostOffice.code)


def office_of_new(user: User | None, requested: str | int | None = None) -> int | None:
    """The office a new item, round, handover or import belongs to: the one the caller names
    (`office` code or `office_id`), else the caller's only commune office. A caller of several
    offices must name one (422 `office-required`). None only in a deployment with no office yet.
    `user` None: the command line, which sees every office."""
    offices = select(PostOffice)
    candidates = list(
        db.session.execute(
            (offices if user is None else scoped(offices, PostOffice.id, user))
            .where(PostOffice.kind == "commune", PostOffice.active.is_(True))
            .order_by(PostOffice.code)
        ).scalars()
    )
    if requested is not None:
        for office in candidates:
            if requested in (office.code, office.id):
                return office.id
        raise DomainError(
            "unknown-office",
            f"No post office {requested} among yours. / Không có bưu cục {requested} trong bưu cục của bạn.",
            status=422,
            errors={"office": [f"Not one of your post offices: {requested}."]},
        )
    if len(candidates) == 1:
        return candidates[0].id
    if not candidates:
        if db.session.execute(select(PostOffice.id).limit(1)).first() is None:
            return None  # no office set up yet (create-office)
        raise DomainError(
            "no-office",
            "You belong to no post office; an admin must add you to one. / "
            "Bạn chưa thuộc bưu cục nào; quản trị viên cần thêm bạn vào một bưu cục.",
            status=422,
        )
    raise DomainError(
        "office-required",
        "You see several post offices: name the one this belongs to (office). / "
        "Bạn phụ trách nhiều bưu cục: hãy chọn bưu cục (office).",
        status=422,
        errors={"office": [f"One of: {', '.join(o.code for o in candidates)}."]},
    )
