"""What the supervisors' dashboard shows: the day's rounds, the map, and the exceptions to handle.

Reads only; a constant number of queries per call (GROUP BY in SQL), whatever the number
of items. The only per-row Python work is the geodesic distance of each proof of the day
(geopy), which SQL cannot do portably.

What the server can honestly say about work captured on a phone but not yet synced: it
cannot see a phone's outbox. It knows, per device, when it last synced and the last
mutation number it took; per round, which stops have no result on the server yet, and
which proofs arrived without all their photos. The dashboard labels those as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from geopy.distance import geodesic
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError

from backend.audit import audit
from backend.auth.scope import offices_query, scoped
from backend.domain.rules import DomainError
from backend.domain.status import DUE_BINDS, FINAL, Status
from backend.domain.workdays import next_invitation_from, overdue_on_or_before, working_days_left
from backend.extensions import db
from backend.models import DeliveryAttempt, Device, ExceptionAck, Item, PostOffice, Round, SyncMutation, User
from backend.models.base import now_utc
from backend.services import behind
from backend.services.rounds import office_position, progress_of
from backend.timeutil import day_bounds, local_today
from sync.changes import current_seq

# Item statuses counted in each progress bucket of a round.
BUCKETS = {
    "returned": (Status.DELIVERED,),
    "collected": (Status.COLLECTED, Status.HANDED_TO_AGENCY),
    "failed": (Status.FAILED_ATTEMPT, Status.RETURN_TO_AGENCY, Status.RETURNED_TO_AGENCY),
    "pending": (Status.ASSIGNED,),
}
EXCEPTION_KINDS = (
    "flagged_proof",
    "location_mismatch",
    "unsynced_device",
    "attempt_limit",
    "failed_attempt",
    "overdue",
    "citizen_answer",
)
# Kinds a supervisor may acknowledge ("checked", "noted"). A flagged proof is accepted or rejected
# instead, and an item at its attempt limit leaves the list when it is handed back to the agency.
ACKNOWLEDGEABLE = ("location_mismatch", "unsynced_device", "failed_attempt", "overdue", "citizen_answer")
# The citizen's answer from the tracking page (backend/services/citizen.py) -> what the supervisor does.
_ANSWER_ACTIONS = {"another_day": "reassign", "stand_in": "tell_postman", "pickup": "hold_for_pickup"}
_ORDER = {kind: n for n, kind in enumerate(EXCEPTION_KINDS)}
LIST_LIMIT = 500  # per kind: a dashboard list, not an export


def distance_m(proof_lat, proof_lon, item_lat, item_lon) -> int | None:
    """Whole metres between a proof's position and the item's address (None if either is unknown)."""
    if None in (proof_lat, proof_lon, item_lat, item_lon):
        return None
    return round(geodesic((proof_lat, proof_lon), (item_lat, item_lon)).meters)


def is_mismatch(metres: int | None) -> bool:
    return metres is not None and metres > current_app.config["LOCATION_MISMATCH_METRES"]


# Today at a glance --------------------------------------------------------------------------------


def _round_ids(day: date, user: User, office_id: int | None = None) -> Select:
    """The day's rounds of the offices the user sees (and of the one office a picker names)."""
    query = scoped(select(Round.id).where(Round.round_date == day), Round.office_id, user)
    return query if office_id is None else query.where(Round.office_id == office_id)


def _rounds_of(day: date, user: User, office_id: int | None = None) -> list[Round]:
    return list(
        db.session.execute(
            db.select(Round).where(Round.id.in_(_round_ids(day, user, office_id))).order_by(Round.id)
        )
        .unique()
        .scalars()
    )


def _proof_summary(round_ids: list[int]) -> dict[int, tuple[int, int, datetime | None, datetime | None]]:
    """Per round: proofs still uploading files, unresolved flagged proofs, the latest and the first
    proof's time."""
    unresolved_flag = DeliveryAttempt.flagged.is_(True) & DeliveryAttempt.review.is_(None)
    rows = db.session.execute(
        select(
            DeliveryAttempt.round_id,
            func.sum(case((DeliveryAttempt.complete.is_(False), 1), else_=0)),
            func.sum(case((unresolved_flag, 1), else_=0)),
            func.max(DeliveryAttempt.server_time),
            func.min(DeliveryAttempt.server_time),
        )
        .where(DeliveryAttempt.round_id.in_(round_ids))
        .group_by(DeliveryAttempt.round_id)
    )
    return {
        round_id: (int(incomplete or 0), int(flagged or 0), last, first)
        for round_id, incomplete, flagged, last, first in rows
    }


def today(
    day: date,
    user: User,
    office_id: int | None = None,
    open_exceptions: list[dict] | None = None,
    now: datetime | None = None,
) -> dict:
    """Every round of `day` (of the user's offices) with its postman, progress buckets and phones,
    most at risk first, each with the reasons and an ETA per remaining stop (services/behind.py)."""
    rounds = _rounds_of(day, user, office_id)
    ids = [r.id for r in rounds]
    progress = progress_of(ids)
    proofs = _proof_summary(ids)
    devices = _devices_of({r.postman_id for r in rounds}, day)
    views = []
    for rnd in rounds:
        counts = {
            bucket: sum(progress[rnd.id].get(s.value, 0) for s in statuses)
            for bucket, statuses in BUCKETS.items()
        }
        incomplete, flagged, last_proof, _ = proofs.get(rnd.id, (0, 0, None, None))
        views.append(
            {
                "id": rnd.id,
                "office_id": rnd.office_id,
                "round_date": rnd.round_date,
                "status": rnd.status,
                "note": rnd.note,
                "postman": rnd.postman,
                "stop_count": sum(progress[rnd.id].values()),
                "progress": dict(sorted(progress[rnd.id].items())),
                "counts": counts,
                "incomplete_proofs": incomplete,
                "flagged_proofs": flagged,
                "last_proof_at": last_proof,
                "total_distance_m": rnd.total_distance_m,
                "devices": devices.get(rnd.postman_id, []),
            }
        )
    behind.assess(
        views,
        {r.id: r for r in rounds},
        {rid: summary[3] for rid, summary in proofs.items()},
        open_exceptions or [],
        # To the minute: the ETAs and the silence move once a minute, so a poll within it can get 304.
        (now or now_utc()).replace(second=0, microsecond=0),
    )
    totals = {bucket: sum(v["counts"][bucket] for v in views) for bucket in BUCKETS}
    totals["stops"] = sum(v["stop_count"] for v in views)
    return {"date": day, "sync_seq": current_seq(db.session()), "rounds": views, "totals": totals}


def _devices_of(postman_ids: set[int], day: date) -> dict[int, list[dict]]:
    if not postman_ids:
        return {}
    rows = (
        db.session.execute(
            db.select(Device)
            .where(Device.user_id.in_(postman_ids), Device.revoked_at.is_(None))
            .order_by(Device.last_sync_at.desc().nulls_last())
        )
        .scalars()
        .all()
    )
    start, end = day_bounds(day)
    mutations: dict[str, dict[str, int]] = {}
    for device_id, outcome, count in db.session.execute(
        select(SyncMutation.device_id, SyncMutation.outcome, func.count())
        .where(
            SyncMutation.device_id.in_([d.id for d in rows]),
            SyncMutation.received_at >= start,
            SyncMutation.received_at < end,
        )
        .group_by(SyncMutation.device_id, SyncMutation.outcome)
    ):
        mutations.setdefault(device_id, {})[outcome] = count
    stale_after = timedelta(minutes=current_app.config["UNSYNCED_DEVICE_MINUTES"])
    now = now_utc()
    by_postman: dict[int, list[dict]] = {}
    for device in rows:
        by_postman.setdefault(device.user_id, []).append(
            {
                "id": device.id,
                "label": device.label,
                "last_sync_at": device.last_sync_at,
                "last_seq": device.last_seq,
                "app_version": device.app_version,
                "applied_today": mutations.get(device.id, {}).get("applied", 0),
                "rejected_today": mutations.get(device.id, {}).get("rejected", 0),
                "stale": device.last_sync_at is None or now - device.last_sync_at > stale_after,
            }
        )
    return by_postman


# The map ------------------------------------------------------------------------------------------


def map_of(day: date, user: User, office_id: int | None = None) -> dict:
    """The stops of the day's rounds and the proofs captured for them, with distances to the address."""
    ids = _round_ids(day, user, office_id)
    stops = db.session.execute(
        select(
            Item.id,
            Item.code,
            Item.status,
            Item.direction,
            Item.recipient_name,
            Item.address_line,
            Item.commune,
            Item.lat,
            Item.lon,
            Item.round_id,
            Item.stop_order,
            User.full_name,
        )
        .join(Round, Item.round_id == Round.id)
        .join(User, Round.postman_id == User.id)
        .where(Item.round_id.in_(ids))
        .order_by(Item.round_id, Item.stop_order)
    ).all()
    proofs = db.session.execute(
        select(
            DeliveryAttempt.id,
            DeliveryAttempt.item_id,
            Item.code,
            DeliveryAttempt.outcome,
            DeliveryAttempt.lat,
            DeliveryAttempt.lon,
            DeliveryAttempt.accuracy_m,
            DeliveryAttempt.server_time,
            DeliveryAttempt.flagged,
            Item.lat,
            Item.lon,
        )
        .join(Item, DeliveryAttempt.item_id == Item.id)
        .where(DeliveryAttempt.round_id.in_(ids))
        .order_by(DeliveryAttempt.id)
    ).all()
    offices = list(db.session.execute(offices_query(user).where(PostOffice.kind == "commune")).scalars())
    if office_id is not None:
        offices = [o for o in offices if o.id == office_id]
    office = dict(zip(("lat", "lon"), office_position(offices[0].id if offices else None), strict=True))
    proof_views = []
    for pid, item_id, code, outcome, lat, lon, accuracy, server_time, flagged, item_lat, item_lon in proofs:
        metres = distance_m(lat, lon, item_lat, item_lon)
        proof_views.append(
            {
                "id": pid,
                "item_id": item_id,
                "item_code": code,
                "outcome": outcome,
                "lat": lat,
                "lon": lon,
                "accuracy_m": accuracy,
                "server_time": server_time,
                "flagged": flagged,
                "distance_m": metres,
                "mismatch": is_mismatch(metres),
            }
        )
    keys = (
        "id",
        "code",
        "status",
        "direction",
        "recipient_name",
        "address_line",
        "commune",
        "lat",
        "lon",
        "round_id",
        "stop_order",
        "postman",
    )
    return {
        "date": day,
        "post_office": office,
        "offices": [
            {"id": o.id, "code": o.code, "name": o.name, "lat": o.lat, "lon": o.lon} for o in offices
        ],
        "mismatch_metres": current_app.config["LOCATION_MISMATCH_METRES"],
        "stops": [dict(zip(keys, row, strict=True)) for row in stops],
        "proofs": proof_views,
    }


# Exceptions ---------------------------------------------------------------------------------------


def _item_ref(item: Item) -> dict:
    return {
        "id": item.id,
        "code": item.code,
        "direction": item.direction,
        "status": item.status,
        "recipient_name": item.recipient_name,
        "commune": item.commune,
        "due_date": item.due_date,
        "attempt_count": item.attempt_count,
        "round_id": item.round_id,
        "agency_id": item.agency_id,
    }


def _exception(
    kind: str,
    action: str,
    *,
    item: Item | None = None,
    proof_id: int | None = None,
    postman: User | None = None,
    device_id: str | None = None,
    at: datetime | None = None,
    subject: str | None = None,
    **facts,
) -> dict:
    return {
        "kind": kind,
        "action": action,
        "item": _item_ref(item) if item else None,
        "proof_id": proof_id,
        "postman": postman,
        "device_id": device_id,
        "at": at,
        "facts": facts,
        "subject": subject if kind in ACKNOWLEDGEABLE else None,
        "acknowledged": None,
    }


def _about_proof(kind: str, action: str, proof: DeliveryAttempt, item: Item, people: dict, **facts) -> dict:
    """An exception about one proof of delivery: its item, postman (from `people`), phone and time."""
    return _exception(
        kind,
        action,
        item=item,
        proof_id=proof.id,
        postman=people.get(proof.postman_id),
        device_id=proof.device_id,
        at=proof.server_time,
        **facts,
    )


def exceptions(user: User, day: date | None = None, include_acknowledged: bool = False) -> list[dict]:
    """Everything a supervisor should act on (in the offices they see), most urgent kind first, each
    with its action. Acknowledged ones leave the list (or come with who and when, with
    `include_acknowledged`)."""
    day = day or local_today()
    found = (
        _flagged_proofs(user)
        + _location_mismatches(day, user)
        + _unsynced_devices(day, user)
        + _attempt_limit(user)
        + _failed_attempts(user)
        + _overdue(day, user)
        + _citizen_answers(user)
    )
    acks = _acks_of(found)
    for entry in found:
        entry["acknowledged"] = acks.get((entry["kind"], entry["subject"]))
    if not include_acknowledged:
        found = [e for e in found if e["acknowledged"] is None]
    return sorted(found, key=lambda e: _ORDER[e["kind"]])


def _acks_of(found: list[dict]) -> dict[tuple[str, str], dict]:
    subjects = {e["subject"] for e in found if e["subject"]}
    if not subjects:
        return {}
    rows = db.session.execute(select(ExceptionAck).where(ExceptionAck.subject.in_(subjects))).scalars().all()
    people = _postmen(a.acknowledged_by_id for a in rows)
    return {(a.kind, a.subject): _ack_view(a, people.get(a.acknowledged_by_id)) for a in rows}


def _ack_view(ack: ExceptionAck, by: User | None) -> dict:
    return {"by": by, "at": ack.acknowledged_at, "note": ack.note}


def acknowledge(
    kind: str, subject: str, note: str | None, user: User, day: date | None = None
) -> tuple[dict, bool]:
    """Record that a supervisor checked / noted an exception listed now; (the acknowledgement,
    created?). Acknowledging twice (or two supervisors at once) keeps the first."""
    if kind not in ACKNOWLEDGEABLE:
        what = (
            "accept or reject the proof"
            if kind == "flagged_proof"
            else "hand the item back to the agency"
            if kind == "attempt_limit"
            else None
        )
        if what is None:
            raise DomainError(
                "unknown-exception-kind",
                f"No exception kind '{kind}'.",
                status=422,
                errors={"kind": [f"One of: {', '.join(ACKNOWLEDGEABLE)}."]},
            )
        raise DomainError(
            "not-acknowledgeable",
            f"A '{kind}' leaves the list when you {what}; it cannot just be acknowledged.",
            status=409,
        )
    listed = [
        e
        for e in exceptions(user, day, include_acknowledged=True)
        if e["kind"] == kind and e["subject"] == subject
    ]
    if not listed:
        raise DomainError(
            "no-such-exception", f"There is no '{kind}' exception '{subject}' on the list now.", status=404
        )
    if listed[0]["acknowledged"] is not None:
        return listed[0]["acknowledged"], False
    user_id = user.id
    ack = ExceptionAck(kind=kind, subject=subject, note=note, acknowledged_by_id=user_id)
    db.session.add(ack)
    try:
        db.session.flush()
    except IntegrityError:  # another supervisor was quicker: theirs stands
        db.session.rollback()
        existing = db.session.execute(
            select(ExceptionAck).where(ExceptionAck.kind == kind, ExceptionAck.subject == subject)
        ).scalar_one()
        return _ack_view(existing, db.session.get(User, existing.acknowledged_by_id)), False
    audit("exception.acknowledged", "exception", f"{kind}:{subject}"[:64], {"note": note}, actor_id=user_id)
    db.session.commit()
    return _ack_view(ack, db.session.get(User, user_id)), True


def _postmen(ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids))).unique().scalars()}


def _flagged_proofs(user: User) -> list[dict]:
    rows = (
        db.session.execute(
            scoped(select(DeliveryAttempt, Item), Item.office_id, user)
            .join(Item, DeliveryAttempt.item_id == Item.id)
            .where(DeliveryAttempt.flagged.is_(True), DeliveryAttempt.review.is_(None))
            .order_by(DeliveryAttempt.server_time.desc())
            .limit(LIST_LIMIT)
        )
        .unique()
        .all()
    )
    people = _postmen(p.postman_id for p, _ in rows)
    return [
        _about_proof(
            "flagged_proof",
            "review_proof",
            proof,
            item,
            people,
            flag_reason=proof.flag_reason,
            outcome=proof.outcome,
        )
        for proof, item in rows
    ]


def _location_mismatches(day: date, user: User) -> list[dict]:
    start, end = day_bounds(day)
    rows = (
        db.session.execute(
            scoped(select(DeliveryAttempt, Item), Item.office_id, user)
            .join(Item, DeliveryAttempt.item_id == Item.id)
            .where(
                DeliveryAttempt.server_time >= start,
                DeliveryAttempt.server_time < end,
                DeliveryAttempt.lat.is_not(None),
                DeliveryAttempt.lon.is_not(None),
                Item.lat.is_not(None),
                Item.lon.is_not(None),
            )
            .order_by(DeliveryAttempt.server_time.desc())
        )
        .unique()
        .all()
    )
    far = [(proof, item, distance_m(proof.lat, proof.lon, item.lat, item.lon)) for proof, item in rows]
    far = [row for row in far if is_mismatch(row[2])][:LIST_LIMIT]
    people = _postmen(p.postman_id for p, _, _ in far)
    return [
        _about_proof(
            "location_mismatch",
            "check_location",
            proof,
            item,
            people,
            subject=f"proof:{proof.id}",
            distance_m=metres,
            limit_m=current_app.config["LOCATION_MISMATCH_METRES"],
            outcome=proof.outcome,
            accuracy_m=proof.accuracy_m,
        )
        for proof, item, metres in far
    ]


def _last_failures(statuses: tuple[Status, ...], user: User) -> list[tuple[Item, DeliveryAttempt | None]]:
    """Items in these statuses with their latest failed attempt, if any (one query). The latest
    failures are looked for among those items' attempts only, never the whole history's."""
    values = [s.value for s in statuses]
    latest = (
        select(DeliveryAttempt.item_id, func.max(DeliveryAttempt.id).label("attempt_id"))
        .where(
            DeliveryAttempt.outcome == "failed",
            DeliveryAttempt.counted(),
            DeliveryAttempt.item_id.in_(select(Item.id).where(Item.status.in_(values))),
        )
        .group_by(DeliveryAttempt.item_id)
        .subquery()
    )
    rows = db.session.execute(
        scoped(select(Item, DeliveryAttempt), Item.office_id, user)
        .outerjoin(latest, latest.c.item_id == Item.id)
        .outerjoin(DeliveryAttempt, DeliveryAttempt.id == latest.c.attempt_id)
        .where(Item.status.in_(values))
        .order_by(Item.due_date.is_(None), Item.due_date, Item.id)
        .limit(LIST_LIMIT)
    ).unique()
    return [(item, attempt) for item, attempt in rows]  # the attempt is None without a failure (outer join)


def _failure_exceptions(kind: str, statuses: tuple[Status, ...], user: User, **facts) -> list[dict]:
    rows = _last_failures(statuses, user)
    people = _postmen(a.postman_id for _, a in rows if a)
    spacing = current_app.config["REATTEMPT_SPACING_WORKING_DAYS"]
    found = []
    for item, attempt in rows:
        about: dict[str, Any] = (
            {}
            if attempt is None
            else {
                "proof_id": attempt.id,
                "postman": people.get(attempt.postman_id),
                "at": attempt.server_time,
            }
        )
        reason = attempt.reason_code if attempt else None
        extra: dict[str, Any]
        if kind == "attempt_limit":
            action, extra = "return_to_agency", {}
        else:
            # A refusal is not rescheduled: the citizen said no; the item goes back to the agency.
            action = "return_to_agency" if reason == "refused" else "reattempt"
            nxt = next_invitation_from(item.last_invitation_on, spacing)
            extra = {"invitations": item.invitation_count, "next_attempt_from": _iso(nxt)}
        subject = f"proof:{attempt.id}" if attempt else f"item:{item.id}:attempts:{item.attempt_count}"
        found.append(
            _exception(
                kind,
                action,
                item=item,
                **about,
                subject=subject,
                attempts=item.attempt_count,
                reason_code=reason,
                next_attempt_date=_iso(attempt.next_attempt_date if attempt else None),
                **extra,
                **facts,
            )
        )
    return found


def _failed_attempts(user: User) -> list[dict]:
    return _failure_exceptions(
        "failed_attempt", (Status.FAILED_ATTEMPT,), user, limit=current_app.config["FAILED_ATTEMPT_LIMIT"]
    )


def _attempt_limit(user: User) -> list[dict]:
    return _failure_exceptions("attempt_limit", (Status.RETURN_TO_AGENCY,), user)


def _overdue_action(item: Item) -> str:
    """What fits the case of an item past its due date."""
    if item.direction == "collect" and item.status == Status.COLLECTED:
        return "hand_to_agency"  # the dossier is with the post: take it to the agency now
    if item.direction == "return" and item.status == Status.REGISTERED:
        return "fetch_from_agency"  # the result is still at the agency
    if item.status == Status.FAILED_ATTEMPT:
        return "reattempt"
    if item.round_id:
        return "collect_first" if item.direction == "collect" else "deliver_first"
    return "assign_today"


def _listed_items(user: User, where: tuple, order_by: tuple) -> Sequence:
    """The items of the user's offices that meet every condition of `where`, in that order: the first
    LIST_LIMIT of them, as an exception list shows."""
    query = scoped(db.select(Item), Item.office_id, user).where(*where).order_by(*order_by).limit(LIST_LIMIT)
    return db.session.execute(query).unique().scalars().all()


def _overdue(day: date, user: User) -> list[dict]:
    # The one lateness rule (backend/domain/workdays.py): overdue once a working day has gone by.
    items = _listed_items(
        user,
        (Item.due_date <= overdue_on_or_before(day), Item.status.in_(sorted(DUE_BINDS))),
        (Item.due_date, Item.id),
    )
    return [
        _exception(
            "overdue",
            _overdue_action(item),
            item=item,
            subject=f"item:{item.id}:due:{item.due_date}",
            days_late=-working_days_left(item.due_date, day),
        )
        for item in items
    ]


def _citizen_answers(user: User) -> list[dict]:
    """A citizen's answer (another day, a stand-in, pickup at the post office) on an open item, until
    a supervisor marks it seen; a new answer to the same item is a new subject, so it comes back."""
    items = _listed_items(
        user,
        (
            Item.citizen_choice.in_(tuple(_ANSWER_ACTIONS)),
            Item.citizen_choice_at.is_not(None),
            Item.status.not_in([s.value for s in FINAL]),
        ),
        (Item.citizen_choice_at.desc(), Item.id),
    )
    return [
        _exception(
            "citizen_answer",
            _ANSWER_ACTIONS[item.citizen_choice],
            item=item,
            at=item.citizen_choice_at,
            subject=f"item:{item.id}:answer:{_aware(item.citizen_choice_at).isoformat()}",
            choice=item.citizen_choice,
            day=_iso(item.citizen_day),
            stand_in_name=item.stand_in_name,
        )
        for item in items
    ]


def _unsynced_devices(day: date, user: User) -> list[dict]:
    """Postmen with a round today whose phones have all been silent too long (or never synced)."""
    if day != local_today():
        return []  # "not synced for too long" is about now, not a past day
    postman_ids = {r.postman_id for r in _rounds_of(day, user)}
    if not postman_ids:
        return []
    last_sync = dict(
        db.session.execute(
            select(Device.user_id, func.max(Device.last_sync_at))
            .where(Device.user_id.in_(postman_ids), Device.revoked_at.is_(None))
            .group_by(Device.user_id)
        ).all()
    )
    limit = timedelta(minutes=current_app.config["UNSYNCED_DEVICE_MINUTES"])
    now = now_utc()
    silent = [
        pid
        for pid in sorted(postman_ids)
        if (seen := last_sync.get(pid)) is None or now - _aware(seen) > limit
    ]
    latest_device: dict[int, str] = {}
    for user_id, device_id in db.session.execute(
        select(Device.user_id, Device.id)
        .where(Device.user_id.in_(silent), Device.revoked_at.is_(None))
        .order_by(Device.last_sync_at.desc().nulls_last(), Device.registered_at.desc())
    ):
        latest_device.setdefault(user_id, device_id)
    people = _postmen(silent)
    out = []
    for pid in silent:
        synced = _aware(seen) if (seen := last_sync.get(pid)) else None
        out.append(
            _exception(
                "unsynced_device",
                "call_postman",
                postman=people.get(pid),
                device_id=latest_device.get(pid),
                at=synced,
                subject=f"postman:{pid}:{day}:since:{synced.isoformat() if synced else 'never'}",
                minutes=None if synced is None else int((now - synced).total_seconds() // 60),
                limit_minutes=current_app.config["UNSYNCED_DEVICE_MINUTES"],
                has_device=pid in latest_device,
            )
        )
    return out


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def exception_counts(found: list[dict]) -> dict[str, int]:
    counts = dict.fromkeys(EXCEPTION_KINDS, 0)
    for entry in found:
        counts[entry["kind"]] += 1
    return counts
