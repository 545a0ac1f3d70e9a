"""Planning rounds: who goes where, in which order. The API calls these; the caller commits.

Every change to a round leaves it consistent: stops numbered 1..n, each located stop
with its leg from the previous one, and the round's total (closed tour, see
backend.domain.route_planner) measured for the order it now has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from backend.audit import audit
from backend.auth.scope import check_visible, sees_office
from backend.domain import route_planner
from backend.domain.round_status import RoundStatus
from backend.domain.rules import DomainError
from backend.domain.status import Event, IllegalTransition, Status
from backend.extensions import db
from backend.models import Item, PostOffice, Round, User
from backend.services.item_events import apply_event
from backend.services.locks import lock_items_and_rounds
from backend.services.round_events import settle_round
from backend.services.round_versions import bump_version, check_version
from backend.timeutil import local_today

CLOSED_TOUR = True  # the day ends at the post office: see backend.domain.route_planner


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Commit the block's changes together; any failure rolls every one of them back."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError(
            "edit-conflict",
            "Someone else changed these items at the same time; reload the round and try again.",
            status=409,
        ) from None
    except Exception:
        db.session.rollback()
        raise


# Reading ------------------------------------------------------------------------------------------


def stops_of(round_id: int) -> list[Item]:
    return list(
        db.session.execute(
            db.select(Item)
            .where(Item.round_id == round_id)
            .order_by(Item.stop_order.is_(None), Item.stop_order, Item.id)
        ).scalars()
    )


def progress_of(round_ids: list[int]) -> dict[int, dict[str, int]]:
    """Stops per status for each round, in one query."""
    progress: dict[int, dict[str, int]] = {rid: {} for rid in round_ids}
    if round_ids:
        rows = db.session.execute(
            db.select(Item.round_id, Item.status, func.count())
            .where(Item.round_id.in_(round_ids))
            .group_by(Item.round_id, Item.status)
        )
        for round_id, status, count in rows:
            progress[round_id][status] = count
    return progress


def summary(rnd: Round, progress: dict[str, int]) -> dict:
    """A round as RoundSchema shows it."""
    return {
        "id": rnd.id,
        "postman_id": rnd.postman_id,
        "postman": rnd.postman,
        "office_id": rnd.office_id,
        "round_date": rnd.round_date,
        "status": rnd.status,
        "note": rnd.note,
        "version": rnd.version,
        "total_distance_m": rnd.total_distance_m,
        "stop_count": sum(progress.values()),
        "progress": dict(sorted(progress.items())),
        "created_at": rnd.created_at,
        "updated_at": rnd.updated_at,
    }


def detail(rnd: Round) -> dict:
    """A round with its ordered stops, as RoundDetailSchema shows it."""
    stops = stops_of(rnd.id)
    view = summary(rnd, Counter(stop.status for stop in stops))
    legs = sum(stop.leg_distance_m or 0 for stop in stops)
    view["return_distance_m"] = None if rnd.total_distance_m is None else rnd.total_distance_m - legs
    view["stops"] = stops
    return view


def check_may_read(rnd: Round | None, user: User, round_id: int | None = None) -> Round:
    """Postmen get the same 403 for another postman's round and for one that does not exist."""
    if user.role == "postman" and (rnd is None or rnd.postman_id != user.id):
        raise DomainError(
            "forbidden",
            "Postmen see only their own rounds. / Bưu tá chỉ xem được chuyến của mình.",
            status=403,
        )
    if user.role in ("admin", "supervisor"):
        check_visible(user, rnd.office_id if rnd else None, "round", round_id)
    if rnd is None:
        raise DomainError("not-found", f"No round with id {round_id}.", status=404)
    return rnd


# Planning -----------------------------------------------------------------------------------------


def create_round(
    postman_id: int,
    round_date: date,
    note: str | None = None,
    created_by_id: int | None = None,
    office_id: int | None = None,
) -> Round:
    """A new, empty round of `office_id`; 422 unless the user is an active postman of that office,
    409 if they have one that day. A postman of another office is "no such user" (they may be
    invisible to the caller)."""
    postman = db.session.get(User, postman_id)
    reason = (
        "No such user."
        if postman is None or (office_id is not None and office_id not in {o.id for o in postman.offices})
        else f"{postman.full_name} is not a postman."
        if postman.role != "postman"
        else f"{postman.full_name}'s account is disabled."
        if not postman.active
        else None
    )
    if reason:
        raise DomainError("not-an-active-postman", reason, status=422, errors={"postman_id": [reason]})
    assert postman is not None  # a missing user has a reason above
    existing = db.session.execute(
        db.select(Round.id).where(Round.postman_id == postman_id, Round.round_date == round_date)
    ).scalar()
    if existing is not None:
        raise DomainError(
            "round-exists",
            f"{postman.full_name} already has a round on {round_date} (round {existing}).",
            status=409,
            params={"postman": postman.full_name, "date": round_date.isoformat()},
        )
    rnd = Round(
        postman_id=postman_id,
        round_date=round_date,
        note=note,
        created_by_id=created_by_id,
        office_id=office_id,
    )
    db.session.add(rnd)
    try:
        db.session.flush()  # the id, for the audit entry
    except IntegrityError:  # another supervisor was quicker
        db.session.rollback()
        raise DomainError(
            "round-exists",
            f"{postman.full_name} already has a round on {round_date}.",
            status=409,
            params={"postman": postman.full_name, "date": round_date.isoformat()},
        ) from None
    audit("round.created", "round", rnd.id, {"postman_id": postman_id, "round_date": round_date.isoformat()})
    carry_over_failed(rnd)
    return rnd


def carry_over_failed(rnd: Round) -> list[int]:
    """A postman's new round (today or later) takes over their items still `failed_attempt` on
    earlier rounds: the second visit stays the same postman's work. Returns the item ids."""
    if rnd.round_date < local_today():
        return []
    ids = list(
        db.session.execute(
            db.select(Item.id)
            .join(Round, Item.round_id == Round.id)
            .where(
                Round.postman_id == rnd.postman_id,
                Round.round_date < rnd.round_date,
                Item.status == Status.FAILED_ATTEMPT.value,
                *(() if rnd.office_id is None else (Item.office_id == rnd.office_id,)),
            )
            .order_by(Round.round_date, Item.stop_order)
        ).scalars()
    )
    if ids:
        assign_items(rnd, ids)
        audit("round.carried_over", "round", rnd.id, {"items": ids})
    return ids


def lock_round(round_id: int, user: User | None = None, item_ids: Iterable[int] = ()) -> Round:
    """The round, locked against concurrent planning until commit; closed rounds are frozen. Another
    office's round is missing to `user`.

    `item_ids`: items about to move here; the rounds they are on are locked with it (rounds in id
    order), then the items (backend.services.locks: the one lock order)."""
    item_ids = list(item_ids)
    _check_bulk_size(item_ids)
    lock_items_and_rounds(db.session, item_ids, rounds=[round_id])
    rnd = db.session.get(Round, round_id)
    if user is not None:
        check_visible(user, rnd.office_id if rnd else None, "round", round_id)
    if rnd is None:
        raise DomainError("not-found", f"No round with id {round_id}.", status=404)
    if rnd.status == RoundStatus.CLOSED:
        raise DomainError(
            "round-closed",
            f"Round {round_id} is closed and can no longer change.",
            status=409,
            params={"round_id": round_id},
        )
    return rnd


def change_round(
    round_id: int,
    user: User,
    what: str,
    change: Callable[[Round], object],
    item_ids: Iterable[int] = (),
    count: int = 0,
) -> Round:
    """Lock the round (and `item_ids`), check the version the caller saw (If-Match), and apply
    `change` to it all or nothing as one more version of its plan (backend.services.round_versions)."""
    with all_or_nothing():
        rnd = lock_round(round_id, user, item_ids)
        check_version(rnd)
        change(rnd)
        bump_version(rnd, what, count)
    return rnd


def _check_bulk_size(item_ids: list[int]) -> None:
    limit = current_app.config["MAX_BULK_ITEMS"]
    if len(item_ids) > limit:
        raise DomainError(
            "too-many-items",
            f"At most {limit} items per request.",
            status=422,
            errors={"item_ids": [f"At most {limit} items."]},
            params={"limit": limit},
        )


def items_in_request(item_ids: list[int], user: User | None = None) -> list[Item]:
    """The items in request order; unknown ids (and, to `user`, another office's) are one 422 naming
    each of them."""
    _check_bulk_size(item_ids)
    found = {
        item.id: item
        for item in db.session.execute(db.select(Item).where(Item.id.in_(item_ids))).unique().scalars()
    }
    if user is not None:
        found = {i: item for i, item in found.items() if sees_office(user, item.office_id)}
    missing = {str(k): [f"No item with id {i}."] for k, i in enumerate(item_ids) if i not in found}
    if missing:
        raise DomainError(
            "unknown-items", "Some items do not exist; see errors.", status=422, errors={"item_ids": missing}
        )
    return [found[i] for i in item_ids]


def _refuse(kind: str, index: int, item: Item, reason: str, status: int = 409) -> DomainError:
    return DomainError(
        kind,
        f"Item {item.code}: {reason} Nothing was changed.",
        status=status,
        errors={"item_ids": {str(index): [reason]}},
        params={"item_code": item.code, "status": item.status},
    )


def _move(item: Item, index: int, event: Event, detail: dict) -> None:
    try:
        apply_event(item, event, detail)
    except IllegalTransition as exc:
        raise _refuse(exc.kind, index, item, exc.detail) from None


def assign_items(rnd: Round, item_ids: list[int], user: User | None = None) -> None:
    """Put items on the round, after its current stops; an item on another round moves here. Only
    items of the round's office: another office's is refused (422)."""
    items = items_in_request(item_ids, user)
    next_order = 1 + max((s.stop_order or 0 for s in stops_of(rnd.id)), default=0)
    left: Counter[int] = Counter()
    for index, item in enumerate(items):
        if not item.procedure.allowed_by_post:
            raise _refuse(
                "procedure-not-by-post",
                index,
                item,
                f"the procedure '{item.procedure.name}' ({item.procedure.code}) needs the person "
                "present and cannot go by post.",
            )
        if item.office_id != rnd.office_id:
            raise _refuse(
                "item-of-another-office",
                index,
                item,
                "it belongs to another post office than the round's. / "
                "bưu gửi thuộc bưu cục khác với bưu cục của chuyến.",
                status=422,
            )
        if item.round_id == rnd.id and item.status == Status.ASSIGNED:
            continue  # already here: assigning twice changes nothing
        if item.round_id is not None and item.round_id != rnd.id:
            left[item.round_id] += 1
        from_round_id = item.round_id
        # On the round before the event, so the round's status follows its new stop.
        item.round_id, item.stop_order, item.leg_distance_m = rnd.id, next_order, None
        _move(item, index, Event.ASSIGN, {"round_id": rnd.id, "from_round_id": from_round_id})
        next_order += 1
    for round_id in sorted(left):
        other = db.session.get_one(Round, round_id)
        remeasure(other)
        settle_round(round_id)
        bump_version(other, "moved_away", left[round_id], to=rnd.id)
    remeasure(rnd)


def unassign_items(rnd: Round, item_ids: list[int], user: User | None = None) -> None:
    """Take items off the round; they go back to waiting at the post office (or for pickup)."""
    for index, item in enumerate(items_in_request(item_ids, user)):
        if item.round_id != rnd.id:
            raise _refuse("not-on-round", index, item, f"it is not on round {rnd.id}.", status=422)
        _move(item, index, Event.UNASSIGN, {"round_id": rnd.id})
    remeasure(rnd)


def set_order(rnd: Round, item_ids: list[int]) -> None:
    """A manual stop order: exactly the round's items, each once."""
    stops = {item.id: item for item in stops_of(rnd.id)}
    unknown = {str(k): [f"Item {i} is not on this round."] for k, i in enumerate(item_ids) if i not in stops}
    missing = sorted(set(stops) - set(item_ids))
    if unknown or missing:
        errors = dict(unknown)
        if missing:
            errors["missing"] = [f"Item {i} is on this round but not in the order." for i in missing]
        raise DomainError(
            "not-a-permutation",
            "The order must list every item of the round exactly once.",
            status=422,
            errors={"item_ids": errors},
        )
    _apply(
        rnd,
        stops,
        route_planner.measure_route(
            _office(rnd), [(i, _point(stops[i])) for i in item_ids], closed=CLOSED_TOUR
        ),
    )
    audit("round.reordered", "round", rnd.id, {"total_distance_m": rnd.total_distance_m})


def optimise(rnd: Round) -> route_planner.Route[int]:
    """Order the stops for the shortest walk from the post office and back."""
    stops = {item.id: item for item in stops_of(rnd.id)}
    route = route_planner.plan_route(
        _office(rnd), [(i, _point(item)) for i, item in stops.items()], closed=CLOSED_TOUR
    )
    _apply(rnd, stops, route)
    audit(
        "round.optimised", "round", rnd.id, {"total_distance_m": rnd.total_distance_m, "solver": route.solver}
    )
    return route


def remeasure(rnd: Round) -> None:
    """Renumber the stops 1..n in their current order and measure the legs again."""
    stops = {item.id: item for item in stops_of(rnd.id)}
    _apply(
        rnd,
        stops,
        route_planner.measure_route(
            _office(rnd), [(i, _point(item)) for i, item in stops.items()], closed=CLOSED_TOUR
        ),
    )


def office_position(office_id: int | None) -> route_planner.Point:
    """Where a round of the office starts and ends: the office's position; POST_OFFICE_LAT/LON only
    for a round of no office (a deployment before its offices) or an office not yet positioned."""
    office = db.session.get(PostOffice, office_id) if office_id is not None else None
    if office is not None and office.position is not None:
        return office.position
    return current_app.config["POST_OFFICE_LAT"], current_app.config["POST_OFFICE_LON"]


def _office(rnd: Round) -> route_planner.Point:
    return office_position(rnd.office_id)


def _point(item: Item) -> route_planner.Point | None:
    return None if item.lat is None or item.lon is None else (item.lat, item.lon)


def _apply(rnd: Round, stops: dict[int, Item], route: route_planner.Route[int]) -> None:
    for position, (item_id, leg) in enumerate(zip(route.order, route.legs_m, strict=True), start=1):
        stops[item_id].stop_order, stops[item_id].leg_distance_m = position, leg
    located = any(leg is not None for leg in route.legs_m)
    rnd.total_distance_m = route.total_m if located else None
