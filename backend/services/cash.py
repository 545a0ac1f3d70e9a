"""Cash per postman, per day: what each postman collected (cash and transfer), handed over, still holds.

Definitions (docs/dashboard.md, "Cash per postman"), for one local day:

- collected: FeeEntry amounts whose money was taken that day (the phone's time of the proof, the
  server's when the phone sent none), by fee kind and payment method. A transfer (VietQR) went
  straight to the payee's account: it is never cash the postman holds.
- handed over: the postman's cash handovers to the office for that day (`CashHandover.day`, declared
  by the phone or received by a supervisor), and the government fees passed on to an agency on a
  handover record that names the postman, made that day.
- outstanding: per fee kind, the cash collected less what was handed over.

Recording a cash handover (the phone's `cash_handover` mutation and the supervisors' dashboard) and
confirming its receipt also live here; the rules are backend.domain.handover_rules ("Cash handed to
the office").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select, true
from sqlalchemy.sql import ColumnElement

from backend.audit import audit
from backend.auth.scope import in_offices
from backend.domain.handover_rules import (
    CASH_START,
    CashEvent,
    CashRefusal,
    Recorder,
    cash_next,
    cash_refusal,
)
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import CashHandover, FeeEntry, Handover, HandoverLine, Item, Round, User
from backend.models.base import now_utc
from backend.models.proofs import fee_taken_at
from backend.services.printing import vnd
from backend.timeutil import day_bounds


@dataclass
class Figures:
    service_cash: int = 0
    government_cash: int = 0
    service_transfer: int = 0
    government_transfer: int = 0
    to_office_service: int = 0
    to_office_government: int = 0
    to_agency: int = 0
    awaiting_receipt: int = 0  # declared by the phone, not yet confirmed by a supervisor

    @property
    def outstanding(self) -> tuple[int, int]:
        """(service, government) cash the postman still holds."""
        return (
            self.service_cash - self.to_office_service,
            self.government_cash - self.to_office_government - self.to_agency,
        )

    def view(self) -> dict:
        service, government = self.outstanding
        return {
            "cash_collected": self.service_cash + self.government_cash,
            "service_fee_cash": self.service_cash,
            "government_fee_cash": self.government_cash,
            "transfer_collected": self.service_transfer + self.government_transfer,
            "service_fee_transfer": self.service_transfer,
            "government_fee_transfer": self.government_transfer,
            "handed_over": self.to_office_service + self.to_office_government + self.to_agency,
            "handed_to_office_service": self.to_office_service,
            "handed_to_office_government": self.to_office_government,
            "handed_to_agency": self.to_agency,
            "awaiting_receipt": self.awaiting_receipt,
            "outstanding": service + government,
            "outstanding_service": service,
            "outstanding_government": government,
        }


def _sum_if(condition, amount) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def _figures(day: date, office_clause, postman_ids=None) -> dict[int, Figures]:
    """Figures by postman id for `day`, over the rows `office_clause(office column)` allows."""
    start, end = day_bounds(day)
    found: dict[int, Figures] = {}

    def of(postman_id) -> Figures:
        return found.setdefault(postman_id, Figures())

    def only(column):
        return true() if postman_ids is None else column.in_(postman_ids)

    taken = fee_taken_at
    for pid, service_cash, government_cash, service_transfer, government_transfer in db.session.execute(
        select(
            FeeEntry.postman_id,
            _sum_if(FeeEntry.service_fee_payment == "cash", FeeEntry.service_fee),
            _sum_if(FeeEntry.government_fee_payment == "cash", FeeEntry.government_fee),
            _sum_if(FeeEntry.service_fee_payment == "transfer", FeeEntry.service_fee),
            _sum_if(FeeEntry.government_fee_payment == "transfer", FeeEntry.government_fee),
        )
        .join(Item, FeeEntry.item_id == Item.id)
        .where(office_clause(Item.office_id), only(FeeEntry.postman_id), taken >= start, taken < end)
        .group_by(FeeEntry.postman_id)
    ):
        row = of(pid)
        row.service_cash, row.government_cash = int(service_cash), int(government_cash)
        row.service_transfer, row.government_transfer = int(service_transfer), int(government_transfer)
    for pid, status, service, government in db.session.execute(
        select(
            CashHandover.postman_id,
            CashHandover.status,
            func.sum(CashHandover.service_fee_cash),
            func.sum(CashHandover.government_fee_cash),
        )
        .where(office_clause(CashHandover.office_id), only(CashHandover.postman_id), CashHandover.day == day)
        .group_by(CashHandover.postman_id, CashHandover.status)
    ):
        row = of(pid)
        row.to_office_service += int(service or 0)
        row.to_office_government += int(government or 0)
        if status == "declared":
            row.awaiting_receipt += int(service or 0) + int(government or 0)
    made = func.coalesce(Handover.device_time, Handover.created_at)
    for pid, passed_on in db.session.execute(
        select(Handover.postman_id, func.sum(HandoverLine.fee_passed_on))
        .join(Handover, HandoverLine.handover_id == Handover.id)
        .join(Item, HandoverLine.item_id == Item.id)
        .where(office_clause(Item.office_id), Handover.postman_id.is_not(None), only(Handover.postman_id))
        .where(made >= start, made < end)
        .group_by(Handover.postman_id)
    ):
        if passed_on:
            of(pid).to_agency = int(passed_on)
    return found


def per_postman(day: date, user: User, office_id: int | None = None) -> list[dict]:
    """Every postman with a round, a fee or a handover that day in the user's offices (or the one
    office named), with their figures and the day's cash handovers; by name."""

    def clause(column):
        scope = in_offices(column, user)
        return scope if office_id is None else scope & (column == office_id)

    found = _figures(day, clause)
    on_rounds = db.session.execute(
        select(Round.postman_id).where(Round.round_date == day, clause(Round.office_id))
    ).scalars()
    for pid in on_rounds:
        found.setdefault(pid, Figures())
    if not found:
        return []
    people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(found))).scalars()}
    records: dict[int, list[CashHandover]] = {}
    for handover in db.session.execute(
        select(CashHandover)
        .where(CashHandover.day == day, clause(CashHandover.office_id), CashHandover.postman_id.in_(found))
        .order_by(CashHandover.id)
    ).scalars():
        records.setdefault(handover.postman_id, []).append(handover)
    return [
        {
            "postman": people[pid],
            **figures.view(),
            "handovers": records.get(pid, []),
        }
        for pid, figures in sorted(found.items(), key=lambda pair: (people[pair[0]].full_name, pair[0]))
    ]


def postman_office(postman: User, day: date) -> int | None:
    """The office whose cash desk a postman hands the day's cash to: their round's that day, else the
    first of their commune offices (None in a deployment with no office)."""
    on_round = db.session.execute(
        select(Round.office_id).where(Round.postman_id == postman.id, Round.round_date == day).limit(1)
    ).scalar()
    if on_round is not None:
        return on_round
    return next((office.id for office in postman.offices if office.kind == "commune"), None)


def held(postman_id: int, day: date) -> tuple[int, int]:
    """(service, government) cash the postman holds for `day`, over all offices."""
    return _figures(day, lambda column: true(), [postman_id]).get(postman_id, Figures()).outstanding


def record(
    recorder: Recorder,
    actor_id: int,
    postman_id: int,
    office_id: int | None,
    body: dict,
    *,
    client_mutation_id: str | None = None,
    device_time: datetime | None = None,
) -> CashHandover:
    """Record a cash handover to the office; the caller commits. A supervisor's record is refused when
    it carries more than the postman holds; a phone's is kept and flagged (the money has moved)."""
    # One handover at a time per postman: the check of what they hold sees every earlier one.
    db.session.execute(select(User.id).where(User.id == postman_id).with_for_update())
    day = body["day"]
    handed = (body.get("service_fee_cash", 0), body.get("government_fee_cash", 0))
    have = held(postman_id, day)
    refusal = cash_refusal(have, handed)
    if refusal == CashRefusal.NOTHING:
        raise DomainError(
            "cash-nothing",
            "A cash handover must carry an amount. / Bàn giao tiền mặt phải có số tiền.",
            status=422,
            errors={"service_fee_cash": ["Service fee cash or government fee cash above 0."]},
        )
    if refusal is not None and recorder == Recorder.STAFF:
        raise DomainError(
            "cash-more-than-held",
            f"The postman holds {vnd(have[0])} ₫ of service fees and {vnd(have[1])} ₫ of government fees "
            f"in cash for {day.isoformat()}; this is more. / Bưu tá đang giữ {vnd(have[0])} ₫ phí dịch vụ "
            f"và {vnd(have[1])} ₫ lệ phí tiền mặt ngày {day.strftime('%d/%m/%Y')}; số bàn giao lớn hơn.",
            status=422,
            params={"service_fee": have[0], "government_fee": have[1], "date": day.isoformat()},
            errors={
                "service_fee_cash": [f"At most {have[0]}."],
                "government_fee_cash": [f"At most {have[1]}."],
            },
        )
    status = CASH_START[recorder]
    handover = CashHandover(
        client_mutation_id=client_mutation_id,
        office_id=office_id,
        postman_id=postman_id,
        day=day,
        service_fee_cash=handed[0],
        government_fee_cash=handed[1],
        status=status.value,
        flag_reason=refusal.value if refusal else None,
        note=body.get("note"),
        created_by_id=actor_id,
        device_time=device_time,
    )
    if recorder == Recorder.STAFF:
        handover.received_by_id, handover.received_at = actor_id, now_utc()
    db.session.add(handover)
    db.session.flush()
    audit(
        "cash.handed_over",
        "cash_handover",
        handover.id,
        {
            "postman_id": postman_id,
            "day": day.isoformat(),
            "service_fee_cash": handed[0],
            "government_fee_cash": handed[1],
            "via": "phone" if recorder == Recorder.POSTMAN else "dashboard",
            "flag": handover.flag_reason,
        },
        actor_id=actor_id,
    )
    return handover


def receive(handover: CashHandover, actor_id: int, note: str | None = None) -> CashHandover:
    """A supervisor confirms receiving a phone's declared handover; the caller commits."""
    moved = cash_next(handover.status, CashEvent.RECEIVE)
    if moved is None:
        raise DomainError(
            "cash-already-received",
            f"Cash handover {handover.id} was already received. / Khoản bàn giao {handover.id} đã được nhận.",
            status=409,
            params={"handover_id": handover.id},
        )
    handover.status = moved.value
    handover.received_by_id, handover.received_at = actor_id, now_utc()
    if note:
        handover.note = f"{handover.note} — {note}" if handover.note else note
    audit(
        "cash.received", "cash_handover", handover.id, {"postman_id": handover.postman_id}, actor_id=actor_id
    )
    return handover
