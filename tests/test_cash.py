"""Cash per postman: what each collected at the doors (cash and VietQR transfer), handed to the post
office at the end of the day, and still holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest

from backend.extensions import db
from backend.models import AuditEntry, CashHandover
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"
SERVICE_FEE = 26_000


def cash_of(client, headers, postman, day) -> dict:
    response = client.get("/api/dashboard/today", headers=headers, query_string={"date": day.isoformat()})
    assert response.status_code == 200, response.get_json()
    return next(row for row in response.get_json()["cash"] if row["postman"]["id"] == postman.id)


@pytest.fixture
def day_of_three(client, make):
    """A postman on today's round delivers three results: two paid in cash, one by VietQR transfer."""
    postman = make.user("postman", full_name="Lê Văn Tư")
    items = [make.item(service_fee=SERVICE_FEE) for _ in range(3)]
    make.round(postman, items=items)
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(items[0].id, seed=1)
    phone.deliver(items[1].id, seed=2)
    phone.deliver(items[2].id, seed=3, service_fee_payment="transfer", receipt_number=None)
    return postman, phone


def test_the_postman_hands_the_days_cash_over_from_the_phone_and_the_supervisor_sees_it_settled(
    client, app, auth, supervisor, day_of_three, today
):
    postman, phone = day_of_three
    handover = phone.hand_over_cash(today, service_fee_cash=2 * SERVICE_FEE, note="Nộp quầy")
    phone.sync()  # offline until now: the proofs and the handover leave in one push, in order

    result = phone.outcomes[handover["id"]]
    assert result["outcome"] == "applied" and result["status"] == "declared" and "flag" not in result
    figures = cash_of(client, auth(supervisor), postman, today)
    assert figures["cash_collected"] == 52_000 and figures["service_fee_cash"] == 52_000
    assert figures["transfer_collected"] == 26_000  # went to the post's account: never outstanding
    assert figures["handed_over"] == 52_000 and figures["outstanding"] == 0
    assert figures["awaiting_receipt"] == 52_000
    [record] = figures["handovers"]
    assert (record["status"], record["source"], record["received_by"]) == ("declared", "phone", None)

    received = client.post(
        f"/api/cash-handovers/{record['id']}/receive", headers=auth(supervisor), json={"note": "Đủ tiền"}
    )

    assert received.status_code == 200, received.get_json()
    body = received.get_json()
    assert body["status"] == "received" and body["received_by"]["id"] == supervisor.id
    assert body["received_at"] and body["note"] == "Nộp quầy — Đủ tiền"
    assert cash_of(client, auth(supervisor), postman, today)["awaiting_receipt"] == 0
    again = client.post(f"/api/cash-handovers/{record['id']}/receive", headers=auth(supervisor), json={})
    assert again.status_code == 409 and again.content_type == PROBLEM
    assert again.get_json()["type"].endswith("/cash-already-received")
    assert "đã được nhận" in again.get_json()["detail"]
    with app.app_context():
        actions = [a for (a,) in db.session.execute(db.select(AuditEntry.action))]
        assert actions.count("cash.handed_over") == 1 and actions.count("cash.received") == 1


def test_a_cash_handover_sent_twice_is_recorded_once(client, app, day_of_three, today):
    postman, phone = day_of_three
    handover = phone.hand_over_cash(today, service_fee_cash=SERVICE_FEE)
    phone.push(lose_response=True)  # the answer was lost on the way back: the phone sends it again
    phone.outbox = [handover]
    phone.push()

    assert phone.outcomes[handover["id"]]["outcome"] == "duplicate"
    with app.app_context():
        rows = db.session.execute(db.select(CashHandover)).scalars().all()
        assert [(r.postman_id, r.service_fee_cash, r.client_mutation_id) for r in rows] == [
            (postman.id, SERVICE_FEE, handover["id"])
        ]


def test_a_phone_that_hands_over_more_than_it_collected_is_kept_and_flagged(
    client, auth, supervisor, day_of_three, today
):
    postman, phone = day_of_three
    handover = phone.hand_over_cash(today, service_fee_cash=3 * SERVICE_FEE)  # counted the transfer too
    phone.sync()

    result = phone.outcomes[handover["id"]]
    assert result["outcome"] == "applied" and result["flag"] == "cash-more-than-held"
    figures = cash_of(client, auth(supervisor), postman, today)
    assert figures["handed_over"] == 78_000 and figures["outstanding"] == -26_000
    assert figures["handovers"][0]["flag_reason"] == "more-than-held"


def test_a_cash_handover_without_an_amount_is_rejected(client, day_of_three, today):
    _, phone = day_of_three
    handover = phone.hand_over_cash(today, service_fee_cash=0)
    phone.sync()

    result = phone.outcomes[handover["id"]]
    assert result["outcome"] == "rejected" and result["reason"] == "invalid-mutation"
    assert "service_fee_cash" in str(result["errors"])


def test_a_supervisor_records_receiving_cash_and_is_refused_more_than_the_postman_holds(
    client, app, auth, supervisor, day_of_three, today
):
    postman, phone = day_of_three
    phone.sync()
    headers = auth(supervisor)

    too_much = client.post(
        "/api/cash-handovers",
        headers=headers,
        json={"postman_id": postman.id, "day": today.isoformat(), "service_fee_cash": 78_000},
    )
    assert too_much.status_code == 422 and too_much.content_type == PROBLEM
    problem = too_much.get_json()
    assert problem["type"].endswith("/cash-more-than-held")
    assert "52.000 ₫" in problem["detail"] and "Bưu tá đang giữ" in problem["detail"]
    assert today.strftime("%d/%m/%Y") in problem["detail"]

    taken = client.post(
        "/api/cash-handovers", headers=headers, json={"postman_id": postman.id, "service_fee_cash": 52_000}
    )
    assert taken.status_code == 201, taken.get_json()
    body = taken.get_json()
    assert (body["status"], body["source"], body["received_by"]["id"]) == (
        "received",
        "dashboard",
        supervisor.id,
    )
    assert body["day"] == today.isoformat() and body["total"] == 52_000
    listed = client.get("/api/cash-handovers", headers=headers, query_string={"postman_id": postman.id})
    assert [r["id"] for r in listed.get_json()] == [body["id"]]
    figures = cash_of(client, headers, postman, today)
    assert (figures["handed_over"], figures["outstanding"], figures["awaiting_receipt"]) == (52_000, 0, 0)
    nothing_left = client.post(
        "/api/cash-handovers", headers=headers, json={"postman_id": postman.id, "service_fee_cash": 1}
    )
    assert nothing_left.status_code == 422


def test_a_supervisor_cannot_record_cash_for_someone_who_is_not_a_postman(client, auth, supervisor, make):
    response = client.post(
        "/api/cash-handovers",
        headers=auth(supervisor),
        json={"postman_id": supervisor.id, "service_fee_cash": 1},
    )
    assert response.status_code == 404 and response.content_type == PROBLEM


def test_a_handover_record_passing_fees_on_must_name_the_postman_they_come_from(
    client, app, auth, supervisor, make, today
):
    agency = make.agency()
    postman = make.user("postman", full_name="Danh Sa Ry")
    dossier = make.item(agency_id=agency.id, direction="collect", status="registered", government_fee=8_000)
    make.round(postman, items=[dossier])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.collect(dossier.id, seal_number="NP-9", fee_collected=26_000, government_fee_collected=8_000)
    phone.sync()
    body = {
        "direction": "post_to_agency",
        "agency_id": agency.id,
        "officer_name": "Phạm Thị Hồng Nhung",
        "lines": [{"item_id": dossier.id, "originals": 1, "fee_passed_on": 8_000}],
    }

    nameless = client.post("/api/handovers", headers=auth(supervisor), json=body)

    assert nameless.status_code == 422 and nameless.content_type == PROBLEM
    problem = nameless.get_json()
    assert problem["type"].endswith("/fees-need-postman") and "postman_id" in problem["errors"]
    assert "hãy chọn bưu tá" in problem["detail"] and "name the postman" in problem["detail"]
    assert cash_of(client, auth(supervisor), postman, today)["outstanding_government"] == 8_000

    named = client.post("/api/handovers", headers=auth(supervisor), json=body | {"postman_id": postman.id})

    assert named.status_code == 201, named.get_json()
    figures = cash_of(client, auth(supervisor), postman, today)
    assert figures["handed_to_agency"] == 8_000 and figures["outstanding_government"] == 0
    assert figures["outstanding"] == 26_000  # the service fee is still in the postman's pocket


def test_per_postman_figures_equal_the_sums_of_what_the_phones_sent(
    client, app, auth, supervisor, make, today
):
    """Three postmen, random fees paid in cash or by transfer, random handovers: the Today view's
    figures equal the sums of the mutations the phones sent, added up here on their own."""
    rng = random.Random(13)
    expected = {}
    for n in range(3):
        postman = make.user("postman", full_name=f"Bưu tá {n}")
        items = [make.item() for _ in range(4)]
        make.round(postman, items=items)
        phone = Phone(client, postman.username).login()
        phone.pull()
        sums = dict.fromkeys(("cash_s", "cash_g", "transfer", "handed"), 0)
        for seed, item in enumerate(items):
            service, government = rng.choice((26_000, 30_000)), rng.choice((0, 5_000, 15_000))
            paid_s, paid_g = rng.choice(("cash", "transfer")), rng.choice(("cash", "transfer"))
            phone.deliver(
                item.id,
                seed=seed,
                fee_collected=service,
                government_fee_collected=government,
                service_fee_payment=paid_s,
                government_fee_payment=paid_g,
            )
            sums["cash_s" if paid_s == "cash" else "transfer"] += service
            sums["cash_g" if paid_g == "cash" else "transfer"] += government
        handed_s, handed_g = rng.randint(0, sums["cash_s"]), sums["cash_g"]
        if handed_s or handed_g:
            phone.hand_over_cash(today, service_fee_cash=handed_s, government_fee_cash=handed_g)
            sums["handed"] = handed_s + handed_g
        phone.sync()
        expected[postman.id] = sums

    rows = client.get("/api/dashboard/today", headers=auth(supervisor)).get_json()["cash"]
    got = {row["postman"]["id"]: row for row in rows if row["postman"]["id"] in expected}
    for pid, sums in expected.items():
        row = got[pid]
        assert row["cash_collected"] == sums["cash_s"] + sums["cash_g"]
        assert row["transfer_collected"] == sums["transfer"]
        assert row["handed_over"] == sums["handed"]
        assert row["outstanding"] == sums["cash_s"] + sums["cash_g"] - sums["handed"]
    with app.app_context():  # and the database's own rows say the same
        for pid, sums in expected.items():
            stored = db.session.execute(
                db.select(CashHandover).where(CashHandover.postman_id == pid)
            ).scalars()
            assert sum(r.total for r in stored) == sums["handed"]
