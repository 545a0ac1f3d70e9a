"""Pull: a phone downloads its rounds and items, then only what changed since its cursor.

A constant number of SQL statements per pull, whatever the number of items.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.domain.workdays import next_invitation_from, phone_calendar
from backend.models import Agency, Item, PostOffice, Procedure, Round, ScopeRemoval
from sync.changes import committed_between, current_seq
from sync.protocol import PROTOCOL_VERSION, Cursor

SCOPE_PAST_DAYS = 1  # yesterday's round stays on the phone for late work
SCOPE_FUTURE_DAYS = 2  # planned rounds arrive early
DEFAULT_PAGE = 1000
MAX_PAGE = 2000

ITEM_COLUMNS = (
    Item.id,
    Item.code,
    Item.direction,
    Item.status,
    Item.round_id,
    Item.stop_order,
    Item.leg_distance_m,
    Item.dossier_code,
    Item.procedure_id,
    Item.agency_id,
    Item.recipient_name,
    Item.recipient_phone,
    Item.address_line,
    Item.commune,
    Item.province,
    Item.old_address,
    Item.lat,
    Item.lon,
    Item.service_fee,
    Item.government_fee,
    Item.due_date,
    Item.attempt_count,
    Item.invitation_count,
    Item.last_invitation_on,
    Item.note,
    # The citizen's answer from the tracking link (docs/citizen.md): the phone shows it at the stop.
    Item.citizen_choice,
    Item.citizen_day,
    Item.stand_in_name,
    Item.version,
)
ITEM_KEYS = tuple(c.key for c in ITEM_COLUMNS)


def scope_days(today: date) -> tuple[date, date]:
    return today - timedelta(days=SCOPE_PAST_DAYS), today + timedelta(days=SCOPE_FUTURE_DAYS)


def _in_scope_rounds(postman_id: int, today: date):
    first, last = scope_days(today)
    return select(Round.id).where(Round.postman_id == postman_id, Round.round_date.between(first, last))


def item_row(row, spacing: int) -> dict:
    """One item as a pull sends it (dates as ISO text, `next_attempt_from` computed)."""
    item = dict(zip(ITEM_KEYS, row, strict=True))
    for day in ("due_date", "citizen_day"):
        if item[day] is not None:
            item[day] = item[day].isoformat()
    last = item["last_invitation_on"]
    nxt = next_invitation_from(last, spacing)
    item["last_invitation_on"] = last.isoformat() if last else None
    item["next_attempt_from"] = nxt.isoformat() if nxt else None
    return item


def pull(
    session: Session,
    postman_id: int,
    device_seq: int,
    cursor: Cursor,
    today: date,
    limit: int = DEFAULT_PAGE,
    spacing: int = 2,
    attempt_limit: int = 3,
) -> dict:
    """One page of the postman's changes after `cursor`. `spacing`: the working days between
    two invitations (REATTEMPT_SPACING_WORKING_DAYS), for each item's `next_attempt_from` and the
    calendar a full download carries (with `attempt_limit`, FAILED_ATTEMPT_LIMIT)."""
    limit = max(1, min(limit, MAX_PAGE))
    if cursor.scope_day != today:
        cursor = Cursor(scope_day=today)  # a new day, or a first pull: start from scratch
    reset = cursor.from_seq == 0
    snapshot = cursor.snapshot or current_seq(session)
    if not reset and cursor.snapshot == 0 and cursor.from_seq >= snapshot:
        # The phone's steady-state poll: nothing new. Cheapest path.
        return _envelope(Cursor(snapshot, 0, 0, today), False, False, device_seq, [], [], [], [], [])

    scope = _in_scope_rounds(postman_id, today)
    query = select(*ITEM_COLUMNS).where(Item.round_id.in_(scope), Item.id > cursor.after_id)
    if not reset:
        query = query.where(committed_between(Item.change_ticket, cursor.from_seq, snapshot))
    rows = session.execute(query.order_by(Item.id).limit(limit + 1)).all()
    more = len(rows) > limit
    items = [item_row(r, spacing) for r in rows[:limit]]

    first_page = cursor.after_id == 0
    rounds, removed = [], []
    if first_page:
        first, last = scope_days(today)
        round_query = select(
            Round.id, Round.round_date, Round.status, Round.note, Round.total_distance_m, Round.office_id
        ).where(Round.postman_id == postman_id, Round.round_date.between(first, last))
        if not reset:  # a round changed, or its post office did (its bank account, position, hours)
            changed_offices = select(PostOffice.id).where(
                committed_between(PostOffice.change_ticket, cursor.from_seq, snapshot)
            )
            round_query = round_query.where(
                or_(
                    committed_between(Round.change_ticket, cursor.from_seq, snapshot),
                    Round.office_id.in_(changed_offices),
                )
            )
        found = session.execute(round_query).all()
        offices = office_payloads(session, {r.office_id for r in found})
        rounds = [
            {
                "id": r.id,
                "date": r.round_date.isoformat(),
                "status": r.status,
                "note": r.note,
                "total_distance_m": r.total_distance_m,
                "office": offices.get(r.office_id),
            }
            for r in found
        ]
        if not reset:
            removed = list(
                session.execute(
                    select(ScopeRemoval.item_id)
                    .distinct()
                    .where(
                        ScopeRemoval.postman_id == postman_id,
                        committed_between(ScopeRemoval.ticket, cursor.from_seq, snapshot),
                        ScopeRemoval.item_id.not_in(select(Item.id).where(Item.round_id.in_(scope))),
                    )
                ).scalars()
            )

    procedure_ids = {i["procedure_id"] for i in items}
    agency_ids = {i["agency_id"] for i in items}
    if first_page and not reset:
        # A procedure or an agency (its fee, its bank account) changed since the cursor reaches the
        # phone even when none of its items did: those the postman's items in scope name.
        procedure_ids |= _changed_since(
            session, Procedure, Item.procedure_id, scope, cursor.from_seq, snapshot
        )
        agency_ids |= _changed_since(session, Agency, Item.agency_id, scope, cursor.from_seq, snapshot)
    procedures = (
        [
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "allowed_by_post": p.allowed_by_post,
                "government_fee": p.government_fee,
                "checklist": p.checklist,
            }
            for p in session.execute(select(Procedure).where(Procedure.id.in_(procedure_ids))).scalars()
        ]
        if procedure_ids
        else []
    )
    agencies = (
        [
            {"id": a.id, "code": a.code, "name": a.name, "address": a.address, "bank": vietqr_payee(a)}
            for a in session.execute(
                select(
                    Agency.id,
                    Agency.code,
                    Agency.name,
                    Agency.address,
                    Agency.bank_bin,
                    Agency.bank_account,
                    Agency.bank_account_name,
                ).where(Agency.id.in_(agency_ids))
            )
        ]
        if agency_ids
        else []
    )

    next_cursor = (
        Cursor(cursor.from_seq, snapshot, items[-1]["id"], today) if more else Cursor(snapshot, 0, 0, today)
    )
    envelope = _envelope(
        next_cursor, more, reset and first_page, device_seq, rounds, items, procedures, agencies, removed
    )
    if reset and first_page:
        envelope["calendar"] = phone_calendar(today, spacing, attempt_limit)
    return envelope


def _changed_since(session: Session, model, named_by, scope, after: int, upto: int) -> set[int]:
    """The ids of `model` rows committed in (after, upto] that an item of the rounds in `scope` names."""
    named = select(named_by).where(Item.round_id.in_(scope))
    return set(
        session.execute(
            select(model.id).where(model.id.in_(named), committed_between(model.change_ticket, after, upto))
        ).scalars()
    )


def office_payloads(session, office_ids: set) -> dict[int, dict]:
    """Each round's post office as the phone needs it offline: where the round starts and ends, the
    VietQR payee for fees paid at the door, the working hours (local time). One query."""
    ids = [i for i in office_ids if i is not None]
    if not ids:
        return {}
    return {
        o.id: {
            "id": o.id,
            "code": o.code,
            "name": o.name,
            "lat": o.lat,
            "lon": o.lon,
            "phone": o.phone,
            "bank": vietqr_payee(o),
            "opens_at": o.opens_at.strftime("%H:%M") if o.opens_at else None,
            "closes_at": o.closes_at.strftime("%H:%M") if o.closes_at else None,
        }
        for o in session.execute(select(PostOffice).where(PostOffice.id.in_(ids))).scalars()
    }


def vietqr_payee(row) -> dict | None:
    """An office's or an agency's VietQR payee as the phone builds its QR with; None without an account."""
    if not row.bank_account:
        return None
    return {"bin": row.bank_bin, "account": row.bank_account, "name": row.bank_account_name}


def _envelope(
    cursor: Cursor, more: bool, reset: bool, device_seq: int, rounds, items, procedures, agencies, removed
) -> dict:
    return {
        "protocol": PROTOCOL_VERSION,
        "cursor": cursor.encode(),
        "more": more,
        "reset": reset,
        "device_seq": device_seq,
        "rounds": rounds,
        "items": items,
        "procedures": procedures,
        "agencies": agencies,
        "removed": removed,
    }
