"""Creating, finding and scoping items."""

from __future__ import annotations

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session, scoped_session

from backend.audit import audit
from backend.auth.scope import office_of_new, scoped, sees_office, unserved, visible
from backend.domain.rules import DomainError
from backend.domain.status import DUE_BINDS, TRANSITIONS, Direction, Event, Status
from backend.domain.text import fold
from backend.domain.workdays import due_on_or_before, overdue_on_or_before
from backend.extensions import db
from backend.models import Agency, CommitLog, Item, Procedure, Round, User
from backend.schemas.offices import requested_office
from backend.services.item_events import apply_event
from backend.timeutil import local_today


def visible_items(user: User) -> Select:
    """The items `user` may see: postmen their rounds', agency officers their agency's, staff their
    offices' (backend.auth.scope)."""
    query = db.select(Item)
    if user.role in ("admin", "supervisor"):
        query = scoped(query, Item.office_id, user)
    elif user.role == "postman":
        query = query.join(Round, Item.round_id == Round.id).where(Round.postman_id == user.id)
    elif user.role == "agency":
        query = query.where(Item.agency_id == user.agency_id)
    return query


def carries(session: Session | scoped_session, user_id: int, item: Item) -> bool:
    """Whether the item is on one of the postman's rounds now."""
    # session.get keeps the round in the identity map for settle_round.
    return item.round_id is not None and session.get_one(Round, item.round_id).postman_id == user_id


def not_your_item(item_id: int) -> DomainError:
    """The one answer to a postman or agency officer for an item they may not see, whether it exists
    or not: it names only the id they sent (docs/security.md, "Who may see what")."""
    return DomainError(
        "not-your-item",
        f"Item {item_id} is not yours to see or change. / Bưu gửi {item_id} "
        f"không thuộc quyền xem hay sửa của bạn.",
        status=403,
    )


def load_visible_item(user: User, item_id: int) -> Item:
    """The item, if `user` may see it. Staff get 404 for an unknown id and for another office's item;
    everyone else gets the same 403 for "does not exist" and "not yours"."""
    item = db.session.get(Item, item_id)
    if user.role in ("admin", "supervisor"):
        return visible(user, item, "item", item_id)
    if item is None:
        raise not_your_item(item_id)
    check_item_access(user, item)
    return item


def check_item_access(user: User, item: Item) -> None:
    if user.role in ("admin", "supervisor") and sees_office(user, item.office_id):
        return
    if user.role == "agency" and item.agency_id == user.agency_id:
        return
    if user.role == "postman" and item.round is not None and item.round.postman_id == user.id:
        return
    raise not_your_item(item.id)


def search_filter(query: Select, text: str) -> Select:
    """Every word must appear in the folded search text (diacritics optional on both sides)."""
    for word in fold(text).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Item.search_text.like(f"%{escaped}%", escape="\\"))
    return query


def plannable():
    """Items waiting to go on a round: the statuses the state machine lets a planner assign from, per
    direction (an item already on a round is not waiting, a result still at the agency not yet)."""
    return or_(
        *(
            and_(
                Item.direction == direction.value,
                Item.status.in_(
                    sorted(s.value for s in TRANSITIONS[direction][Event.ASSIGN][0] if s != Status.ASSIGNED)
                ),
            )
            for direction in Direction
        )
    )


def filter_items(query: Select, args: dict) -> Select:
    if args.get("q"):
        query = search_filter(query, args["q"])
    if args.get("status"):
        query = query.where(Item.status.in_(args["status"]))
    if args.get("direction"):
        query = query.where(Item.direction == args["direction"])
    if args.get("agency_id") is not None:
        query = query.where(Item.agency_id == args["agency_id"])
    if args.get("office_id") is not None:
        query = query.where(Item.office_id == args["office_id"])
    if args.get("round_id") is not None:
        query = query.where(Item.round_id == args["round_id"])
    if args.get("commune"):
        folded = fold(args["commune"])
        query = query.where(or_(Item.commune == args["commune"], Item.search_text.like(f"%{folded}%")))
    if args.get("plannable"):
        query = query.where(plannable())
    if args.get("unassigned"):
        query = query.where(Item.round_id.is_(None))
    if args.get("due_before"):
        query = query.where(Item.due_date < args["due_before"])
    if args.get("due_from"):
        query = query.where(Item.due_date >= args["due_from"])
    if args.get("due_to"):
        query = query.where(Item.due_date <= args["due_to"])
    if args.get("overdue") or args.get("due_within") is not None:
        # The one lateness rule (backend/domain/workdays.py) as column comparisons.
        today = local_today()
        query = query.where(Item.status.in_(sorted(DUE_BINDS)))
        if args.get("overdue"):
            query = query.where(Item.due_date <= overdue_on_or_before(today))
        if args.get("due_within") is not None:
            query = query.where(
                Item.due_date > overdue_on_or_before(today),
                Item.due_date <= due_on_or_before(today, args["due_within"]),
            )
    if args.get("procedure_id") is not None:
        query = query.where(Item.procedure_id == args["procedure_id"])
    if args.get("date") is not None or args.get("postman_id") is not None:
        rounds = db.select(Round.id)
        if args.get("date") is not None:
            rounds = rounds.where(Round.round_date == args["date"])
        if args.get("postman_id") is not None:
            rounds = rounds.where(Round.postman_id == args["postman_id"])
        query = query.where(Item.round_id.in_(rounds))
    if args.get("changed_since") is not None:
        # Oldest change first, so a poller can page through and keep the newest cursor.
        # Commit order: a change whose transaction has not committed has no seq yet and waits.
        return (
            query.join(CommitLog, CommitLog.id == Item.change_ticket)
            .where(CommitLog.seq > args["changed_since"])
            .order_by(CommitLog.seq, Item.id)
        )
    if args.get("sort"):
        column = getattr(Item, args["sort"].lstrip("-"))
        key = column.desc() if args["sort"].startswith("-") else column.asc()
        return query.order_by(key.nulls_last(), Item.id)
    return query.order_by(Item.round_id, Item.stop_order, Item.id)


def _reference_checks(user: User, body: dict) -> tuple[Procedure, Agency]:
    if user.role == "agency":
        if body.get("agency_id") not in (None, user.agency_id):
            raise DomainError(
                "not-your-agency", "Agency officers create items for their own agency only.", status=403
            )
        body["agency_id"] = user.agency_id
    if body.get("agency_id") is None:
        raise DomainError(
            "agency-required",
            "agency_id is required.",
            status=422,
            errors={"agency_id": ["Missing data for required field."]},
        )
    procedure = db.session.get(Procedure, body["procedure_id"])
    if procedure is None:
        raise _unknown("procedure", body["procedure_id"])
    if not procedure.allowed_by_post:
        raise DomainError(
            "procedure-not-allowed-by-post",
            f"The procedure '{procedure.name}' needs the person present; it cannot go by post.",
            status=422,
            params={"procedure": procedure.name},
            errors={"procedure_id": ["This procedure is not allowed by post."]},
        )
    agency = db.session.get(Agency, body["agency_id"])
    if agency is None:
        raise _unknown("agency", body["agency_id"])
    return procedure, agency


def _unknown(kind: str, value: object) -> DomainError:
    """422 for a procedure or agency id that names none (the field is `<kind>_id`)."""
    return DomainError(
        f"unknown-{kind}",
        f"Unknown {kind}.",
        status=422,
        errors={f"{kind}_id": [f"No {kind} with id {value}."]},
    )


def build_item(user: User, body: dict) -> Item:
    """A new item from validated fields (not yet committed)."""
    body = dict(body)
    procedure, _ = _reference_checks(user, body)
    body["office_id"] = office_of_new(user, requested_office(body))
    if unserved(body["office_id"], {body["agency_id"]}):  # another office's agency: like a missing one
        raise _unknown("agency", body["agency_id"])
    received = body.pop("received_from_agency", None)
    if received and user.role == "agency":
        # The post holds a result only once a handover record says so (Decision 45 Art. 7.4).
        raise DomainError(
            "handover-required",
            "An agency's item reaches the post office through a handover record, not at creation. "
            "/ Bưu gửi của cơ quan chỉ đến bưu cục qua biên bản bàn giao.",
            status=422,
            errors={"received_from_agency": ["Only the post office records receiving it."]},
        )
    if received is None:
        received = user.role != "agency"
    if received and body["direction"] == Direction.COLLECT:
        received = False  # a dossier to collect is at the citizen's, not the agency's
    body.setdefault("government_fee", procedure.government_fee)
    item = Item(**body, status=Status.REGISTERED.value, attempt_count=0)
    db.session.add(item)
    audit("item.created", "item", item.code, {"direction": item.direction})
    if received:
        apply_event(item, Event.RECEIVE_FROM_AGENCY)
    return item


def existing_codes(codes: list[str]) -> set[str]:
    if not codes:
        return set()
    return set(db.session.execute(db.select(Item.code).where(Item.code.in_(codes))).scalars())
