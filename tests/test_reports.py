"""Reports: per day and month, by agency, procedure and postman; the figures are the database's."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry, HandoverLine, Item
from backend.services.item_events import apply_event
from backend.services.reports import MEASURES
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def activity(client, app, make, auth, supervisor, today):
    """A day's work on two rounds: deliveries on time and late, failures, a collection, a flagged
    proof, fees, and a handover passing a government fee on to the agency."""
    agency_a, agency_b = make.agency(name="Xã Châu Thành"), make.agency(name="Xã Bình An")
    p1, p2 = make.procedure(name="Cấp giấy khai sinh"), make.procedure(name="Cấp phiếu lý lịch tư pháp")
    lan, minh = make.user("postman", full_name="Trần Thị Lan"), make.user("postman", full_name="Võ Văn Minh")
    a1 = make.item(agency_id=agency_a.id, procedure_id=p1.id, due_date=today + timedelta(days=1))
    a2 = make.item(agency_id=agency_a.id, procedure_id=p1.id, due_date=today - timedelta(days=1))
    a3 = make.item(agency_id=agency_a.id, procedure_id=p2.id)
    c1 = make.item(agency_id=agency_a.id, procedure_id=p2.id, direction="collect", status="registered")
    b1 = make.item(agency_id=agency_b.id, procedure_id=p1.id, due_date=None)
    b2 = make.item(agency_id=agency_b.id, procedure_id=p2.id)
    b3 = make.item(agency_id=agency_b.id, procedure_id=p1.id)
    make.round(lan, items=[a1, a2, a3, c1])
    make.round(minh, items=[b1, b2, b3])

    phone = Phone(client, lan.username).login()
    phone.pull()
    phone.deliver(a1.id, seed=1, government_fee_collected=5_000)
    phone.deliver(a2.id, seed=2)
    phone.fail(a3.id, reason="not_home")
    phone.collect(c1.id, seed=7, seal_number="NP-1", fee_collected=26_000, government_fee_collected=8_000)
    phone.sync()
    other = Phone(client, minh.username).login()
    other.pull()
    other.deliver(b1.id, seed=3)
    other.fail(b2.id, reason="refused")
    other.deliver(b3.id, seed=4)
    with (
        app.app_context()
    ):  # cancelled before the proof arrives: the proof is flagged, the item stays cancelled
        apply_event(db.session.get(Item, b3.id), "cancel")
        db.session.commit()
    other.sync()
    handover = client.post(
        "/api/handovers",
        headers=auth(supervisor),
        json={
            "direction": "post_to_agency",
            "agency_id": agency_a.id,
            "officer_name": "Phạm Thị Hồng Nhung",
            "postman_id": lan.id,
            "lines": [{"item_id": c1.id, "originals": 1, "fee_passed_on": 8_000}],
        },
    )
    assert handover.status_code == 201, handover.get_json()
    return {"agencies": (agency_a, agency_b), "procedures": (p1, p2), "postmen": (lan, minh)}


def month_range(day: date) -> dict:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


def expected_from_database(app, key_of) -> dict:
    """The report's figures recomputed row by row with the ORM: an independent check of the SQL."""
    figures: dict = {}

    def row(key):
        return figures.setdefault(key, Counter())

    with app.app_context():
        for proof, item in db.session.execute(db.select(DeliveryAttempt, Item).join(Item)).all():
            if proof.flagged:
                continue
            target = row(key_of(item, proof.postman_id))
            target[
                {"delivered": "returned", "collected": "collected", "failed": "failed"}[proof.outcome]
            ] += 1
            if proof.outcome == "delivered" and item.due_date:
                target["delivered_with_due"] += 1
                local_day = proof.server_time.astimezone(VIETNAM).date()
                target["delivered_on_time"] += local_day <= item.due_date
        for fee, item in db.session.execute(db.select(FeeEntry, Item).join(Item)).all():
            target = row(key_of(item, fee.postman_id))
            target["service_fees_collected"] += fee.service_fee
            target["government_fees_collected"] += fee.government_fee
            target["service_fees_by_transfer"] += fee.service_fee * (fee.service_fee_payment == "transfer")
            target["government_fees_by_transfer"] += fee.government_fee * (
                fee.government_fee_payment == "transfer"
            )
        for line in db.session.execute(db.select(HandoverLine)).scalars():
            row(key_of(line.item, line.handover.postman_id))["fees_handed_over"] += line.fee_passed_on
    return figures


def test_the_months_report_by_agency_matches_the_database(client, app, auth, supervisor, activity, today):
    agency_a, agency_b = activity["agencies"]

    response = client.get(
        "/api/reports",
        headers=auth(supervisor),
        query_string={**month_range(today), "period": "month", "group_by": "agency"},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["empty"] is False and body["reasons"] == ["not_home", "refused"]
    rows = {r["key"]: r for r in body["rows"]}
    assert {r["period"] for r in body["rows"]} == {today.strftime("%Y-%m")}
    assert (rows[agency_a.id]["label"], rows[agency_b.id]["label"]) == ("Xã Châu Thành", "Xã Bình An")
    a, b = rows[agency_a.id], rows[agency_b.id]
    assert (a["returned"], a["collected"], a["failed"], a["failed_by_reason"]) == (2, 1, 1, {"not_home": 1})
    assert (b["returned"], b["collected"], b["failed"], b["failed_by_reason"]) == (1, 0, 1, {"refused": 1})
    assert (a["delivered_with_due"], a["delivered_on_time"], a["on_time_share"]) == (2, 1, 0.5)
    assert (a["government_fees_collected"], a["fees_handed_over"], a["fees_not_handed_over"]) == (
        13_000,
        8_000,
        5_000,
    )
    assert b["service_fees_collected"] == 52_000  # the flagged proof's cash was still collected
    expected = expected_from_database(app, lambda item, postman_id: item.agency_id)
    for key, figures in expected.items():
        assert {m: rows[key][m] for m in MEASURES} == {m: figures[m] for m in MEASURES}
    assert body["totals"]["returned"] == 3 and body["totals"]["label"] == "Tổng cộng / Total"


def test_fees_paid_by_vietqr_transfer_are_kept_apart_from_the_cash_the_postman_holds(
    client, app, make, auth, supervisor, today
):
    """A day of one postman: a return paid in cash, one whose service fee was paid by VietQR, one paid
    wholly by transfer, and a separate fee mutation from an older phone that says nothing (cash)."""
    agency = make.agency(name="Xã Châu Thành")
    procedure = make.procedure(name="Cấp giấy khai sinh")
    lan = make.user("postman", full_name="Trần Thị Lan")
    cash, half, transfer, later = (
        make.item(agency_id=agency.id, procedure_id=procedure.id) for _ in range(4)
    )
    make.round(lan, items=[cash, half, transfer, later])
    phone = Phone(client, lan.username).login()
    phone.pull()
    phone.deliver(cash.id, seed=1, government_fee_collected=5_000)
    phone.deliver(half.id, seed=2, government_fee_collected=5_000, service_fee_payment="transfer")
    phone.deliver(
        transfer.id,
        seed=3,
        government_fee_collected=5_000,
        service_fee_payment="transfer",
        government_fee_payment="transfer",
        receipt_number=None,
    )
    phone.capture("fee", later.id, {"service_fee": 10_000, "receipt_number": "BL-9"})
    phone.sync()

    response = client.get(
        "/api/reports",
        headers=auth(supervisor),
        query_string={**month_range(today), "period": "day", "group_by": "postman"},
    )

    assert response.status_code == 200
    (row,) = response.get_json()["rows"]
    assert (row["service_fees_collected"], row["service_fees_by_transfer"]) == (88_000, 52_000)
    assert (row["government_fees_collected"], row["government_fees_by_transfer"]) == (15_000, 5_000)
    assert (row["fees_collected"], row["fees_by_transfer"], row["fees_in_cash"]) == (103_000, 57_000, 46_000)
    assert (
        row["fees_not_handed_over"] == 10_000
    )  # the government fee paid by transfer is the agency's already
    with app.app_context():
        methods = db.session.execute(
            db.select(FeeEntry.service_fee_payment, FeeEntry.government_fee_payment).order_by(FeeEntry.id)
        ).all()
    assert [tuple(m) for m in methods] == [
        ("cash", "cash"),
        ("transfer", "cash"),
        ("transfer", "transfer"),
        ("cash", "cash"),
    ]
    bad = phone.capture("fee", later.id, {"service_fee": 1_000, "service_fee_payment": "cheque"})
    phone.push()
    assert phone.outcomes[bad["id"]]["outcome"] == "rejected", phone.outcomes[bad["id"]]


@pytest.mark.parametrize("group_by", ["procedure", "postman"])
def test_a_daily_report_by_procedure_or_postman_matches_the_database(
    client, app, auth, supervisor, activity, today, group_by
):
    response = client.get(
        "/api/reports",
        headers=auth(supervisor),
        query_string={
            "date_from": today.isoformat(),
            "date_to": today.isoformat(),
            "period": "day",
            "group_by": group_by,
        },
    )

    assert response.status_code == 200
    rows = {r["key"]: r for r in response.get_json()["rows"]}
    assert {r["period"] for r in rows.values()} == {today.isoformat()}
    key_of = (
        (lambda item, postman_id: item.procedure_id)
        if group_by == "procedure"
        else (lambda item, postman_id: postman_id)
    )
    expected = expected_from_database(app, key_of)
    assert set(rows) == set(expected)
    for key, figures in expected.items():
        assert {m: rows[key][m] for m in MEASURES} == {m: figures[m] for m in MEASURES}
    if group_by == "postman":
        lan, minh = activity["postmen"]
        assert (rows[lan.id]["label"], rows[minh.id]["label"]) == ("Trần Thị Lan", "Võ Văn Minh")
        assert rows[lan.id]["fees_handed_over"] == 8_000


def test_a_proof_received_just_after_local_midnight_counts_on_the_next_local_day(
    client, app, make, auth, supervisor
):
    postman = make.user("postman")
    late, early = make.item(due_date=date(2026, 3, 31)), make.item(due_date=date(2026, 3, 31))
    with app.app_context():
        for item, at in (
            (early, datetime(2026, 3, 31, 16, 59, tzinfo=UTC)),  # 23:59 in Vietnam
            (late, datetime(2026, 3, 31, 17, 0, tzinfo=UTC)),
        ):  # 00:00 on 1 April
            db.session.add(
                DeliveryAttempt(item_id=item.id, postman_id=postman.id, outcome="delivered", server_time=at)
            )
        db.session.commit()
    headers = auth(supervisor)

    by_day = client.get(
        "/api/reports",
        headers=headers,
        query_string={
            "date_from": "2026-03-30",
            "date_to": "2026-04-02",
            "period": "day",
            "group_by": "postman",
        },
    ).get_json()
    by_month = client.get(
        "/api/reports",
        headers=headers,
        query_string={
            "date_from": "2026-03-01",
            "date_to": "2026-04-30",
            "period": "month",
            "group_by": "postman",
        },
    ).get_json()

    assert [(r["period"], r["returned"], r["delivered_on_time"]) for r in by_day["rows"]] == [
        ("2026-03-31", 1, 1),
        ("2026-04-01", 1, 0),
    ]
    assert [(r["period"], r["returned"]) for r in by_month["rows"]] == [("2026-03", 1), ("2026-04", 1)]
    assert by_month["totals"]["on_time_share"] == 0.5


def test_the_csv_export_opens_in_excel_and_carries_the_same_figures(
    client, auth, supervisor, activity, today
):
    query = {**month_range(today), "period": "month", "group_by": "agency", "format": "csv"}
    headers = auth(supervisor)

    response = client.get("/api/reports/export", headers=headers, query_string=query)
    report = client.get("/api/reports", headers=headers, query_string={**query, "format": None}).get_json()

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:6] == [
        "Kỳ / Period",
        "Cơ quan / Agency",
        "Mã / Id",
        "Đã trả kết quả / Returned",
        "Đã thu gom / Collected",
        "Phát không thành công / Failed attempts",
    ]
    assert "KTC: Vắng nhà / Failed: not_home" in table[0]
    assert [line[1] for line in table[1:]] == [r["label"] for r in report["rows"]] + ["Tổng cộng / Total"]
    returned = table[0].index("Đã trả kết quả / Returned")
    assert [int(line[returned]) for line in table[1:]] == [r["returned"] for r in report["rows"]] + [3]


def test_the_xlsx_export_has_a_sheet_with_the_figures_and_one_with_the_range(
    client, auth, supervisor, activity, today
):
    response = client.get(
        "/api/reports/export",
        headers=auth(supervisor),
        query_string={**month_range(today), "period": "month", "group_by": "postman", "format": "xlsx"},
    )

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Báo cáo", "Thông tin"]
    sheet = book["Báo cáo"]
    headers = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Trần Thị Lan"]["Đã trả kết quả / Returned"] == 2
    assert rows["Trần Thị Lan"]["Lệ phí đã bàn giao (VND) / Fees handed over"] == 8_000
    assert rows["Tổng cộng / Total"]["Phát không thành công / Failed attempts"] == 2
    assert book["Thông tin"]["B1"].value == month_range(today)["date_from"]


def test_an_export_of_an_empty_range_is_refused_with_a_clear_message(client, auth, supervisor, activity):
    query = {"date_from": "2020-01-01", "date_to": "2020-01-31", "period": "day"}
    headers = auth(supervisor)

    export = client.get("/api/reports/export", headers=headers, query_string=query)
    report = client.get("/api/reports", headers=headers, query_string=query)

    assert export.status_code == 422 and export.content_type == PROBLEM
    assert export.get_json()["type"].endswith("/empty-report")
    assert "between 2020-01-01 and 2020-01-31" in export.get_json()["detail"]
    assert report.status_code == 200
    assert (report.get_json()["empty"], report.get_json()["rows"]) == (True, [])


def test_a_backwards_or_too_long_range_is_refused(client, auth, supervisor):
    headers = auth(supervisor)

    backwards = client.get(
        "/api/reports", headers=headers, query_string={"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    too_long = client.get(
        "/api/reports", headers=headers, query_string={"date_from": "2020-01-01", "date_to": "2026-01-01"}
    )

    assert backwards.status_code == 422 and backwards.get_json()["errors"] == {
        "date_to": ["Must be on or after date_from."]
    }
    assert too_long.status_code == 422 and too_long.get_json()["type"].endswith("/range-too-long")
