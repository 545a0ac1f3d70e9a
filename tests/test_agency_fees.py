"""The agency portal's fees page (issue 14, point 1: "fees collected for the agency and passed on"): the
government fees the post collected for an agency, passed on to it on signed handover records, and still
held, per day or month. Its totals are the items export's for the same fees."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from backend.extensions import db
from backend.models import FeeEntry, Handover, HandoverLine


def at(day: int, hour: int = 3) -> datetime:
    """A time on a November 2026 day, in UTC (10:00 in Vietnam at hour 3)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def collect(app, item, postman, amount: int, when: datetime, service_fee: int = 0) -> None:
    with app.app_context():
        db.session.add(
            FeeEntry(
                item_id=item.id,
                postman_id=postman.id,
                government_fee=amount,
                service_fee=service_fee,
                device_time=when,
                server_time=when,
            )
        )
        db.session.commit()


def pass_on(app, agency, item, amount: int, when: datetime, status: str = "signed") -> None:
    with app.app_context():
        record = Handover(
            direction="post_to_agency",
            agency_id=agency.id,
            status=status,
            created_at=when,
            signed_at=when if status == "signed" else None,
        )
        record.lines.append(HandoverLine(item_id=item.id, fee_passed_on=amount))
        db.session.add(record)
        db.session.commit()


@pytest.fixture
def november(app, make, agency):
    """A month of an agency's fees: three collected on two days, two passed on (one record still awaits the
    officer's signature: it passes nothing on), and another agency's fee on the same day."""
    postman = make.user("postman")
    first, second = (make.item(agency_id=agency.id, government_fee=fee) for fee in (50_000, 30_000))
    collect(app, first, postman, 50_000, at(3), service_fee=20_000)
    collect(app, second, postman, 30_000, at(3))
    # 23:30 in Vietnam on 9 November is 16:30 UTC: the 9th's, not the 10th's.
    third = make.item(agency_id=agency.id, government_fee=15_000)
    collect(app, third, postman, 15_000, at(9, 16))
    pass_on(app, agency, first, 50_000, at(5))
    pass_on(app, agency, second, 30_000, at(12), status="awaiting_agency")
    collect(app, make.item(government_fee=99_000), postman, 99_000, at(3))
    return first, second, third


def fees(client, headers, **query):
    return client.get("/api/agency/fees", headers=headers, query_string=query)


def test_an_officer_sees_fees_collected_passed_on_and_held_by_day(client, auth, officer, november):
    response = fees(client, auth(officer), date_from="2026-11-01", date_to="2026-11-30", group="day")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(r["period"], r["collected"], r["passed_on"], r["held"]) for r in body["rows"]] == [
        ("2026-11-03", 80_000, 0, 80_000),
        ("2026-11-05", 0, 50_000, 30_000),
        ("2026-11-09", 15_000, 0, 45_000),
    ]
    assert body["totals"] == {"collected": 95_000, "passed_on": 50_000, "held_before": 0, "held": 45_000}


def test_by_month_and_a_later_range_starts_from_what_the_post_already_held(client, auth, officer, november):
    month = fees(
        client, auth(officer), date_from="2026-11-01", date_to="2026-11-30", group="month"
    ).get_json()
    assert [(r["period"], r["collected"], r["passed_on"], r["held"]) for r in month["rows"]] == [
        ("2026-11", 95_000, 50_000, 45_000)
    ]
    later = fees(client, auth(officer), date_from="2026-11-06", date_to="2026-11-30").get_json()
    assert later["totals"] == {"collected": 15_000, "passed_on": 0, "held_before": 30_000, "held": 45_000}


def test_the_fees_page_agrees_with_the_items_export(client, auth, officer, november):
    page = fees(client, auth(officer), date_from="2026-11-01", date_to="2026-11-30").get_json()["totals"]
    text = client.get("/api/items/export", headers=auth(officer), query_string={"format": "csv"}).get_data(
        as_text=True
    )
    total = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[-1]
    assert total[0] == "Tổng cộng / Total"
    assert (int(total[9]), int(total[10])) == (page["collected"], page["passed_on"])


def test_another_agencys_officer_sees_only_their_own_fees(client, make, auth, agency, november):
    stranger = make.user("agency")
    body = fees(client, auth(stranger), date_from="2026-11-01", date_to="2026-11-30", agency_id=agency.id)
    assert body.status_code == 200
    assert body.get_json()["rows"] == [] and body.get_json()["agency_id"] == stranger.agency_id


def test_a_supervisor_reads_one_agency_or_all_of_their_offices(client, make, auth, agency, november):
    supervisor = make.user("supervisor")
    one = fees(client, auth(supervisor), date_from="2026-11-01", date_to="2026-11-30", agency_id=agency.id)
    assert one.get_json()["totals"]["collected"] == 95_000
    every = fees(client, auth(supervisor), date_from="2026-11-01", date_to="2026-11-30")
    assert every.get_json()["totals"]["collected"] == 95_000 + 99_000


def test_a_range_backwards_or_too_long_is_refused(client, auth, officer):
    backwards = fees(client, auth(officer), date_from="2026-11-30", date_to="2026-11-01")
    assert backwards.status_code == 422 and "date_to" in backwards.get_json()["errors"]
    too_long = fees(client, auth(officer), date_from="2020-01-01", date_to=date(2026, 11, 30).isoformat())
    assert too_long.status_code == 422 and too_long.get_json()["type"].endswith("range-too-long")


def test_a_record_signed_a_week_after_it_was_typed_passes_its_fees_on_the_day_it_was_signed(
    client, app, auth, make, agency, officer
):
    """The officer's fees page and the supervisor's report date a handover by its legal time, the second
    signature, not by when the first side typed it."""
    postman = make.user("postman")
    supervisor = make.user("supervisor")
    item = make.item(agency_id=agency.id, government_fee=40_000)
    collect(app, item, postman, 40_000, at(3))
    with app.app_context():
        record = Handover(
            direction="post_to_agency",
            agency_id=agency.id,
            postman_id=postman.id,
            status="signed",
            created_at=at(5),
            signed_at=at(12),
        )
        record.lines.append(HandoverLine(item_id=item.id, fee_passed_on=40_000))
        db.session.add(record)
        db.session.commit()
    november = {"date_from": "2026-11-01", "date_to": "2026-11-30"}

    page = fees(client, auth(officer), group="day", **november).get_json()
    assert [(r["period"], r["passed_on"]) for r in page["rows"] if r["passed_on"]] == [("2026-11-12", 40_000)]
    report = client.get("/api/reports", headers=auth(supervisor), query_string={**november, "period": "day"})
    assert report.status_code == 200, report.get_json()
    handed = [
        (r["period"], r["fees_handed_over"]) for r in report.get_json()["rows"] if r["fees_handed_over"]
    ]
    assert handed == [("2026-11-12", 40_000)]
