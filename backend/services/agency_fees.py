"""The agency's fees page (docs/dashboard.md, "Agency portal"): the government fees (lệ phí) the post
collected for an agency, passed on to it, and still held, by local day or month.

- collected: FeeEntry.government_fee of the agency's items, by when the money changed hands
  (`fee_taken_at`: the phone's time of the proof, else the server's), as the cash page reads it.
- passed on: HandoverLine.fee_passed_on on *signed* records from the post to the agency (one still
  awaiting a signature, or withdrawn, passes nothing on), by the record's legal time (its signed time,
  else when it was recorded). The items export counts the same two sums per item, so over a range that
  holds all of an agency's fees its totals are this page's totals (tests/test_agency_fees.py).
- held: what was collected and not yet passed on, at the end of each period (from the first fee ever,
  not only the range's).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend.auth.scope import in_offices
from backend.extensions import db
from backend.models import FeeEntry, Handover, HandoverLine, Item, User
from backend.models.handover import handed_over_at
from backend.models.proofs import fee_taken_at
from backend.services.reports import ReportRange, _local_text, check_range


def _scope(query, user: User, agency_id: int | None):
    """An officer reads their own agency's fees whatever they pass; staff their offices' items, of one
    agency when they name it."""
    if user.role == "agency":
        return query.where(Item.agency_id == user.agency_id)
    query = query.where(in_offices(Item.office_id, user))
    return query if agency_id is None else query.where(Item.agency_id == agency_id)


def _collected(user: User, agency_id: int | None):
    query = select(func.coalesce(func.sum(FeeEntry.government_fee), 0)).join(
        Item, FeeEntry.item_id == Item.id
    )
    return _scope(query, user, agency_id), fee_taken_at


def _passed(user: User, agency_id: int | None):
    query = (
        select(func.coalesce(func.sum(HandoverLine.fee_passed_on), 0))
        .join(Handover, HandoverLine.handover_id == Handover.id)
        .join(Item, HandoverLine.item_id == Item.id)
        .where(Handover.direction == "post_to_agency", Handover.status == "signed")
    )
    return _scope(query, user, agency_id), handed_over_at


def fees(user: User, date_from: date, date_to: date, group: str, agency_id: int | None = None) -> dict:
    rng: ReportRange = check_range(group, "agency", date_from, date_to)
    start, end = rng.bounds
    periods: dict[str, dict] = {}
    opening = 0
    for name, (query, when) in (
        ("collected", _collected(user, agency_id)),
        ("passed_on", _passed(user, agency_id)),
    ):
        sign = 1 if name == "collected" else -1
        opening += sign * int(db.session.execute(query.where(when < start)).scalar_one())
        period = _local_text(when, rng, group)
        grouped = query.add_columns(period).where(when >= start, when < end).group_by(period)
        for amount, key in db.session.execute(grouped).all():
            row = periods.setdefault(key, {"period": key, "collected": 0, "passed_on": 0})
            row[name] = int(amount)
    rows = [periods[key] for key in sorted(periods)]
    held = opening
    for row in rows:
        held += row["collected"] - row["passed_on"]
        row["held"] = held
    return {
        "date_from": date_from,
        "date_to": date_to,
        "group": group,
        "agency_id": user.agency_id if user.role == "agency" else agency_id,
        "rows": rows,
        "totals": {
            "collected": sum(row["collected"] for row in rows),
            "passed_on": sum(row["passed_on"] for row in rows),
            "held_before": opening,
            "held": held,
        },
    }
