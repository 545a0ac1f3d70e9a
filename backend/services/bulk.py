"""One action on many items at once, from the planning page's selection: assign them to a round,
reschedule them (a new due date) or cancel them (with a reason).

A selection is the listed ids, or every item the caller sees that matches the backlog's filter,
found when the request is served (more than MAX_BULK_ITEMS is refused, never cut). All or nothing:
every item is checked first (its office, its procedure, the one state machine), and if any is
refused the answer names each refused item with its reason and nothing changes. The items are
locked in the one lock order (backend.services.locks), rounds first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func

from backend.audit import audit
from backend.domain.rules import DomainError
from backend.domain.status import FINAL, Event, Status, allowed
from backend.domain.vocabulary import label
from backend.extensions import db
from backend.models import Item, Round, User
from backend.services import rounds
from backend.services.item_events import apply_event
from backend.services.items import filter_items, visible_items
from backend.services.locks import lock_items_and_rounds
from backend.services.round_versions import bump_rounds, bump_version

# action -> (Vietnamese, English) verb for "cannot be …"
VERBS = {
    "assign": ("gán vào chuyến", "assigned"),
    "reschedule": ("đổi hạn", "rescheduled"),
    "cancel": ("huỷ", "cancelled"),
}


def _n(number: int) -> str:
    """A whole number in Vietnamese form (1.000)."""
    return f"{number:,}".replace(",", ".")


def selected_ids(body: dict, user: User) -> list[int]:
    """The selection's item ids: the listed ones, or all matching the filter (in the backlog's order)."""
    if "item_ids" in body:
        return list(body["item_ids"])
    query = filter_items(visible_items(user), body["filter"])
    limit = current_app.config["MAX_BULK_ITEMS"]
    ids = list(db.session.execute(query.with_only_columns(Item.id).limit(limit + 1)).scalars())
    if len(ids) > limit:
        matching = db.select(func.count()).select_from(query.order_by(None).subquery())
        total = int(db.session.execute(matching).scalar() or 0)
        raise DomainError(
            "too-many-items",
            f"{_n(total)} bưu gửi khớp bộ lọc; mỗi lần tối đa {_n(limit)}: hãy thu hẹp bộ lọc. / "
            f"{total:,} items match; at most {limit:,} at once: narrow the filter.",
            status=422,
            extra={"matching": total, "limit": limit},
        )
    if not ids:
        raise DomainError(
            "nothing-selected",
            "Không có bưu gửi nào khớp bộ lọc. / No item matches the filter.",
            status=422,
        )
    return ids


def run(body: dict, user: User) -> dict:
    """Apply `body["action"]` to the selection, all or nothing; what was done."""
    ids = selected_ids(body, user)
    action = body["action"]
    if action == "assign":
        rnd = rounds.change_round(
            body["round_id"],
            user,
            "assign",
            lambda rnd: _assign(rnd, ids, user),
            item_ids=ids,
            count=len(ids),
        )
        return {
            "action": action,
            "count": len(ids),
            "item_ids": ids,
            "round_id": rnd.id,
            "round_version": rnd.version,
        }
    with rounds.all_or_nothing():
        lock_items_and_rounds(db.session, ids)
        items = rounds.items_in_request(ids, user)
        if action == "reschedule":
            _refuse_any(action, items, lambda item: _status_problem(item) if item.status in FINAL else None)
            for item in items:
                item.due_date = body["due_date"]
                audit("item.updated", "item", item.code, {"fields": ["due_date"], "bulk": True})
            bump_rounds([item.round_id for item in items], "reschedule")
        else:
            _refuse_any(
                action,
                items,
                lambda item: (
                    None if allowed(item.direction, item.status, Event.CANCEL) else _status_problem(item)
                ),
            )
            left = Counter(item.round_id for item in items if item.round_id is not None)
            for item in items:
                apply_event(item, Event.CANCEL, {"reason": body["reason"], "bulk": True})
            for round_id, count in sorted(left.items()):
                rnd = db.session.get_one(Round, round_id)
                rounds.remeasure(rnd)
                bump_version(rnd, "cancel", count)
    return {"action": action, "count": len(ids), "item_ids": ids}


def _assign(rnd: Round, ids: list[int], user: User) -> None:
    items = rounds.items_in_request(ids, user)

    def problem(item: Item) -> str | None:
        if item.office_id != rnd.office_id:
            return "thuộc bưu cục khác với bưu cục của chuyến. / it belongs to another post office than the round's."
        if not item.procedure.allowed_by_post:
            return (
                f"thủ tục '{item.procedure.name}' cần người dân có mặt, không phát qua bưu chính. / "
                f"the procedure '{item.procedure.name}' needs the person present and cannot go by post."
            )
        if item.round_id == rnd.id and item.status == Status.ASSIGNED:
            return None
        return None if allowed(item.direction, item.status, Event.ASSIGN) else _status_problem(item)

    _refuse_any("assign", items, problem)
    rounds.assign_items(rnd, ids, user)


def _status_problem(item: Item) -> str:
    return (
        f"đang ở trạng thái “{label('status', item.status)}”. / it is “{label('status', item.status, 'en')}”."
    )


def _refuse_any(action: str, items: list[Item], problem: Callable[[Item], str | None]) -> None:
    """One problem naming every refused item (id, code, status, reason), or nothing."""
    refused = [
        {"id": item.id, "code": item.code, "status": item.status, "reason": reason}
        for item in items
        if (reason := problem(item)) is not None
    ]
    if not refused:
        return
    vi, en = VERBS[action]
    codes = ", ".join(str(r["code"]) for r in refused[:5]) + ("…" if len(refused) > 5 else "")
    raise DomainError(
        "bulk-refused",
        f"{len(refused)}/{len(items)} bưu gửi không thể {vi} ({codes}); không có gì thay đổi. / "
        f"{len(refused)} of {len(items)} items cannot be {en} ({codes}); nothing was changed.",
        status=409,
        params={"n": len(refused), "total": len(items), "codes": codes},
        errors={"items": {str(r["id"]): [r["reason"]] for r in refused}},
        extra={"refused": refused},
    )
