"""The citizen's side (issue 15, docs/citizen.md): what the tracking page shows, the citizen's answer
(another day, a stand-in, pickup at the post office), a collection booked from home, complaints.

Nothing here needs an account. The caller proves it may see an item with the last four digits of the
recipient's phone or with the token of the link in a message (backend/services/citizen_links.py); a
wrong code and wrong digits get the same answer, and every wrong try counts towards the code's lock.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app

from backend import throttle
from backend.audit import audit
from backend.domain import admin_units, vietqr
from backend.domain.rules import DomainError
from backend.domain.s10 import make_s10
from backend.domain.status import FINAL, Direction, Outcome, Status
from backend.domain.text import nfc
from backend.domain.workdays import add_working_days, is_working_day
from backend.extensions import db
from backend.models import Agency, AuditEntry, Complaint, DeliveryAttempt, Item, PostOffice, Procedure
from backend.models.base import now_utc
from backend.models.offices import office_agencies
from backend.services.citizen_links import verify_link_token
from backend.services.item_events import next_attempt_from
from backend.timeutil import local_today, local_zone
from sync.pull import vietqr_payee

CHOICES = ("another_day", "stand_in", "pickup")
BOOKED = "booked"
# A complaint is settled within 5 working days inside a province, 7 between provinces (Circular 17
# Art. 13, DOMAIN.md "Records"): between provinces when the agency's province is not the address's.
COMPLAINT_WORKING_DAYS = 5
COMPLAINT_WORKING_DAYS_BETWEEN_PROVINCES = 7
WINDOW_HOURS = 2
# The item's story as the citizen reads it: audit actions -> a step word (web words in the page).
_STEPS = {
    "item.created": "created",
    "item.receive_from_agency": "at_post_office",
    "item.assign": "assigned",
    "item.fail": "failed",
    "item.deliver": "delivered",
    "item.collect": "collected",
    "item.accept_proof": "delivered",
    "item.hand_to_agency": "handed_to_agency",
    "item.give_up": "return_to_agency",
    "item.return_to_agency": "returned_to_agency",
    "item.cancel": "cancelled",
    "citizen.answered": "answered",
    "complaint.filed": "complaint",
    "complaint.answered": "complaint_answered",
}


def not_found() -> DomainError:
    return DomainError("not-found", "No item with that code and phone number.", status=404)


def find_tracked(code: str, phone_last4: str | None = None, token: str | None = None) -> Item:
    """The item a citizen asked for, or 404 alike for a wrong code and wrong digits; 429 when locked."""
    code = (code or "").strip().upper()
    wait = throttle.retry_after("TRACKING_WRONG_DIGITS_LIMIT", "track-wrong", code)
    if wait is not None:
        raise throttle.refusal(
            "tracking-locked",
            "Too many wrong phone digits for this code; try again later. "
            "/ Nhập sai số điện thoại quá nhiều lần cho mã này; vui lòng thử lại sau.",
            wait,
        )
    item = db.session.execute(db.select(Item).where(Item.code == code)).scalar_one_or_none()
    if item is not None and token and verify_link_token(code, token):
        return item
    digits = "".join(ch for ch in (item.recipient_phone or "") if ch.isdigit()) if item else ""
    if item is None or not phone_last4 or len(phone_last4) != 4 or not digits.endswith(phone_last4):
        throttle.count_failure("TRACKING_WRONG_DIGITS_LIMIT", "track-wrong", code)
        raise not_found()
    return item


def _window(item: Item) -> dict | None:
    """The day the postman is expected, and a two-hour window from the stop's place on the round."""
    today = local_today()
    if item.status in FINAL:
        return None
    if item.citizen_choice == "pickup":
        return None
    rnd = item.round
    # The citizen's day, until the planner puts the item on a round of that day (then its window).
    moved = item.citizen_choice in ("another_day", BOOKED) and item.citizen_day is not None
    if moved and (rnd is None or rnd.round_date != item.citizen_day):
        return {"day": item.citizen_day, "from": None, "to": None}
    if rnd is None or rnd.round_date < today:
        return None
    start = time.fromisoformat(current_app.config["ROUND_DAY_START"])
    minutes = (max(item.stop_order or 1, 1) - 1) * current_app.config["ROUND_MINUTES_PER_STOP"]
    begin = datetime.combine(rnd.round_date, start) + timedelta(minutes=minutes)
    begin = begin.replace(minute=0 if begin.minute < 30 else 30)  # on the half hour
    end = begin + timedelta(hours=WINDOW_HOURS)
    return {"day": rnd.round_date, "from": begin.strftime("%H:%M"), "to": end.strftime("%H:%M")}


def _story(item: Item) -> list[dict]:
    query = (
        db.select(AuditEntry.at, AuditEntry.action, AuditEntry.detail)
        .where(
            AuditEntry.entity_type == "item",
            AuditEntry.entity_id == item.code,
            AuditEntry.action.in_(list(_STEPS)),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    story = []
    for at, action, detail in db.session.execute(query):
        step = {"at": at, "step": _STEPS[action]}
        if action == "item.fail":
            step["reason"] = (detail or {}).get("reason")
        story.append(step)
    return story


def _last_failure(item: Item) -> dict | None:
    if item.status != Status.FAILED_ATTEMPT:
        return None
    proof = db.session.execute(
        db.select(DeliveryAttempt)
        .where(DeliveryAttempt.item_id == item.id, DeliveryAttempt.outcome == Outcome.FAILED.value)
        .order_by(DeliveryAttempt.server_time.desc(), DeliveryAttempt.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    planned = proof.next_attempt_date if proof else None
    earliest = next_attempt_from(item)
    if planned is None or (earliest and planned < earliest):
        planned = earliest
    return {"reason": proof.reason_code if proof else None, "next_attempt": planned}


def _office(item: Item) -> dict | None:
    office = item.office
    if office is None:
        return None
    hours = None
    if office.opens_at and office.closes_at:
        hours = f"{office.opens_at:%H:%M}–{office.closes_at:%H:%M}"
    return {"name": office.name, "phone": office.phone, "address": office.address, "hours": hours}


def _payee(item: Item) -> dict | None:
    """Who a transfer goes to (the office's account takes the service fee; the agency's the fee)."""
    return (item.office and vietqr_payee(item.office)) or vietqr_payee(item.agency)


def _transfers(item: Item, to_pay: int) -> list[dict]:
    """The VietQR transfers that pay what is due, one per fee with a payee (the service fee to the
    office's account, the government fee to the agency's), each with its payload (backend.domain.vietqr)."""
    if not to_pay:
        return []
    transfers = []
    for fee, amount, payee in (
        ("service", item.service_fee, item.office and vietqr_payee(item.office)),
        ("government", item.government_fee, vietqr_payee(item.agency)),
    ):
        if amount > 0 and vietqr.payable(payee):
            transfers.append(
                {
                    "fee": fee,
                    "amount": amount,
                    "payee": payee,
                    "payload": vietqr.payload(payee, amount, item.code),
                }
            )
    return transfers


def tracking_view(item: Item) -> dict:
    """Everything the tracking page shows, and nothing more personal than the stand-in's name the
    citizen typed: no recipient name, phone or address."""
    complaints = db.session.execute(
        db.select(Complaint).where(Complaint.item_id == item.id).order_by(Complaint.filed_at)
    ).scalars()
    to_pay = 0 if item.status in FINAL else item.service_fee + item.government_fee
    return {
        "code": item.code,
        "direction": item.direction,
        "status": item.status,
        "procedure": item.procedure.name,
        "agency": item.agency.name,
        "attempt_count": item.attempt_count,
        "updated_at": item.updated_at,
        "expected": _window(item),
        "failure": _last_failure(item),
        "service_fee": item.service_fee,
        "government_fee": item.government_fee,
        "to_pay": to_pay,
        "payee": _payee(item) if to_pay else None,
        "transfers": _transfers(item, to_pay),
        "checklist": item.procedure.checklist if item.direction == Direction.COLLECT else [],
        "choice": {
            "kind": item.citizen_choice,
            "day": item.citizen_day,
            "stand_in_name": item.stand_in_name,
            "at": item.citizen_choice_at,
        },
        "can_answer": item.direction == Direction.RETURN and item.status not in FINAL,
        "office": _office(item),
        "story": _story(item),
        "complaints": [
            {"filed_at": c.filed_at, "text": c.text, "due_on": c.due_on, "answer": c.answer}
            for c in complaints
        ],
    }


def answer_days(today: date | None = None) -> list[date]:
    """The working days a citizen may choose: from the next working day, within the setting."""
    today = today or local_today()
    last = add_working_days(today, current_app.config["CITIZEN_RESCHEDULE_WORKING_DAYS"])
    day, days = today + timedelta(days=1), []
    while day <= last:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def record_answer(item: Item, kind: str, day: date | None = None, stand_in_name: str | None = None) -> None:
    """Store the citizen's answer (the caller commits): the change feed then carries it to the phone."""
    if item.direction != Direction.RETURN or item.status in FINAL:
        raise DomainError("answer-closed", "This item can no longer be changed.", status=409)
    if kind not in CHOICES:
        raise DomainError("bad-choice", "Choose another day, a stand-in or pickup.", status=422)
    if kind == "another_day" and day not in answer_days():
        raise DomainError(
            "bad-day",
            "Choose a working day within the allowed range.",
            status=422,
            errors={"day": ["Not a working day within the allowed range."]},
        )
    name = " ".join((stand_in_name or "").split())[:200]
    if kind == "stand_in" and not name:
        raise DomainError(
            "stand-in-name-required",
            "Give the stand-in's name.",
            status=422,
            errors={"stand_in_name": ["Missing data for required field."]},
        )
    item.citizen_choice = kind
    item.citizen_day = day if kind == "another_day" else None
    item.stand_in_name = name if kind == "stand_in" else None
    item.citizen_choice_at = now_utc()
    audit("citizen.answered", "item", item.code, {"choice": kind, "day": day and day.isoformat()})


def bookable_procedures() -> list[Procedure]:
    return list(
        db.session.execute(
            db.select(Procedure).where(Procedure.allowed_by_post.is_(True)).order_by(Procedure.name)
        ).scalars()
    )


def bookable_communes() -> list[tuple[Agency, int]]:
    """(the commune's centre, its post office) for each current commune a post office serves."""
    rows = db.session.execute(
        db.select(Agency, office_agencies.c.office_id)
        .join(office_agencies, office_agencies.c.agency_id == Agency.id)
        .join(PostOffice, PostOffice.id == office_agencies.c.office_id)
        .where(Agency.active.is_(True), Agency.commune.is_not(None), PostOffice.active.is_(True))
        .order_by(Agency.commune, Agency.id)
    ).all()
    seen, result = set(), []
    for agency, office_id in rows:
        if agency.commune not in seen:
            seen.add(agency.commune)
            result.append((agency, office_id))
    return result


def bookable_old_communes() -> list[dict]:
    """The pre-2025 communes and wards that became a commune a post office collects in (the booking
    page's list of old names): each {"old": "Xã Mong Thọ, Huyện Châu Thành", "current": [...]}."""
    agencies = [agency for agency, _ in bookable_communes()]
    served, provinces = {a.commune for a in agencies}, {a.province for a in agencies}
    return [
        entry
        for province in sorted(provinces)
        for entry in admin_units.old_units_of(province)
        if served & set(entry["current"])
    ]


def commune_from_old(written: str) -> admin_units.Resolution:
    """The current commune a post office collects in that the old commune `written` became: mapped
    (one), ambiguous (several: `choices`, those collected in only) or unknown."""
    agencies = [agency for agency, _ in bookable_communes()]
    served = {agency.commune for agency in agencies}
    found = [admin_units.resolve(written, p) for p in sorted({agency.province for agency in agencies})]
    names = sorted({name for r in found for name in ([r.name] if r.name else r.choices) if name in served})
    old = "; ".join(r.old for r in found if r.old) or None
    if len(names) == 1:
        return admin_units.Resolution("mapped", written, names[0], old=old)
    if names:
        return admin_units.Resolution("ambiguous", written, old=old, choices=names)
    return admin_units.Resolution("unknown", written, old=old)


def _new_code() -> str:
    while True:
        code = make_s10("CB", secrets.randbelow(100_000_000))
        if db.session.execute(db.select(Item.id).where(Item.code == code)).first() is None:
            return code


def book_collection(body: dict) -> Item:
    """A `collect` item at `registered` (pickup requested) for the planning; the caller commits."""
    procedure = db.session.get(Procedure, body["procedure_id"])
    if procedure is None or not procedure.allowed_by_post:
        raise DomainError(
            "procedure-not-allowed-by-post",
            "This procedure cannot go by post.",
            status=422,
            params={"procedure": procedure.name if procedure else f"#{body['procedure_id']}"},
            errors={"procedure_id": ["This procedure is not allowed by post."]},
        )
    served = {agency.commune: (agency, office_id) for agency, office_id in bookable_communes()}
    if body["commune"] not in served:
        raise DomainError(
            "unknown-commune",
            "No post office collects in that commune.",
            status=422,
            errors={"commune": ["No post office collects in that commune."]},
        )
    if body["day"] not in answer_days():
        raise DomainError(
            "bad-day",
            "Choose a working day within the allowed range.",
            status=422,
            errors={"day": ["Not a working day within the allowed range."]},
        )
    agency, office_id = served[body["commune"]]
    item = Item(
        code=_new_code(),
        direction=Direction.COLLECT.value,
        procedure_id=procedure.id,
        agency_id=agency.id,
        office_id=office_id,
        recipient_name=body["name"],
        recipient_phone=body["phone"],
        address_line=body["address_line"],
        commune=body["commune"],
        province=agency.province,
        old_address=body.get("old_address") or None,
        government_fee=procedure.government_fee,
        status=Status.REGISTERED.value,
        attempt_count=0,
        citizen_choice=BOOKED,
        citizen_day=body["day"],
        citizen_choice_at=now_utc(),
    )
    db.session.add(item)
    audit("item.created", "item", item.code, {"direction": item.direction, "source": "citizen"})
    return item


def _province(name: str | None) -> str:
    words = nfc(name or "").casefold().split()
    for prefix in (["tỉnh"], ["thành", "phố"], ["tp."], ["tp"]):
        if words[: len(prefix)] == prefix:
            words = words[len(prefix) :]
            break
    return " ".join(words)


def between_provinces(item: Item) -> bool:
    """Whether the item travels between two provinces: its agency's and its address's differ."""
    return _province(item.agency.province) != _province(item.province)


def complaint_due(filed: datetime, item: Item) -> date:
    """The one rule for a complaint's deadline: working days after the day it was filed."""
    days = COMPLAINT_WORKING_DAYS_BETWEEN_PROVINCES if between_provinces(item) else COMPLAINT_WORKING_DAYS
    return add_working_days(filed.astimezone(local_zone()).date(), days)


def file_complaint(item: Item, text: str) -> Complaint:
    text = " ".join((text or "").split())[:2000]
    if len(text) < 5:
        raise DomainError(
            "complaint-too-short",
            "Say what went wrong.",
            status=422,
            errors={"text": ["Say what went wrong."]},
        )
    filed = now_utc()
    complaint = Complaint(item_id=item.id, office_id=item.office_id, text=text, filed_at=filed)
    complaint.due_on = complaint_due(filed, item)
    db.session.add(complaint)
    audit("complaint.filed", "item", item.code, {"due_on": complaint.due_on.isoformat()})
    return complaint


def answer_complaint(complaint: Complaint, answer: str, user_id: int) -> None:
    complaint.answer = answer
    complaint.answered_at = now_utc()
    complaint.answered_by_id = user_id
    audit("complaint.answered", "item", complaint.item.code, {"complaint_id": complaint.id})
