"""A supervisor works through the exceptions list: checks a location, notes an overdue item, and each
acknowledged exception leaves the list with who and when; the advice fits the case."""

from __future__ import annotations

import threading

import pytest

from backend.domain.workdays import add_working_days, overdue_by
from backend.extensions import db
from backend.models import AuditEntry, ExceptionAck, Item
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"


@pytest.fixture
def desk(client, make):
    """Two supervisors at the post office."""
    first, second = make.user("supervisor"), make.user("supervisor")
    return (
        first,
        Phone(client, first.username).login().headers,
        second,
        Phone(client, second.username).login().headers,
    )


def listed(client, headers, **query):
    response = client.get("/api/dashboard/exceptions", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_checked_location_and_a_noted_overdue_item_leave_the_list(client, app, make, desk, today):
    sup, headers, _, _ = desk
    postman = make.user("postman")
    far = make.item()
    late = make.item(due_date=overdue_by(today, 2))
    make.round(postman, today, items=[far])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(far.id, lat=10.01, lon=105.17)  # about 1.1 km from the address
    phone.sync()
    body = listed(client, headers)
    by_kind = {e["kind"]: e for e in body["exceptions"]}
    assert by_kind["location_mismatch"]["subject"] == f"proof:{by_kind['location_mismatch']['proof_id']}"
    assert by_kind["overdue"]["subject"] == f"item:{late.id}:due:{late.due_date.isoformat()}"

    for kind, note in (
        ("location_mismatch", "Đã gọi khách: nhận tại chợ / met at the market"),
        ("overdue", None),
    ):
        response = client.post(
            "/api/dashboard/exceptions/acknowledge",
            headers=headers,
            json={"kind": kind, "subject": by_kind[kind]["subject"], "note": note},
        )
        assert response.status_code == 201, response.get_json()
        ack = response.get_json()
        assert ack["by"]["id"] == sup.id and ack["at"] and ack["note"] == note

    after = listed(client, headers)
    assert {e["kind"] for e in after["exceptions"]} == set()
    assert after["counts"]["location_mismatch"] == after["counts"]["overdue"] == 0
    everything = listed(client, headers, include_acknowledged="true")
    assert {e["kind"]: e["acknowledged"]["by"]["id"] for e in everything["exceptions"]} == {
        "location_mismatch": sup.id,
        "overdue": sup.id,
    }
    today_view = client.get("/api/dashboard/today", headers=headers).get_json()
    assert today_view["exception_counts"]["overdue"] == 0
    with app.app_context():
        assert (
            db.session.execute(
                db.select(db.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "exception.acknowledged")
            ).scalar_one()
            == 2
        )


def test_an_overdue_item_comes_back_when_its_due_date_moves_on(client, app, make, desk, today):
    _, headers, _, _ = desk
    late = make.item(due_date=overdue_by(today, 2))
    subject = listed(client, headers)["exceptions"][0]["subject"]
    assert (
        client.post(
            "/api/dashboard/exceptions/acknowledge",
            headers=headers,
            json={"kind": "overdue", "subject": subject},
        ).status_code
        == 201
    )
    assert listed(client, headers)["exceptions"] == []
    with app.app_context():
        db.session.get(Item, late.id).due_date = overdue_by(today, 1)  # a new deadline, missed again
        db.session.commit()
    assert [e["kind"] for e in listed(client, headers)["exceptions"]] == ["overdue"]


def test_what_cannot_be_acknowledged_says_what_to_do_instead(client, app, make, desk, today):
    _, headers, _, _ = desk
    make.item(due_date=overdue_by(today, 1))
    for kind, status, slug in (
        ("flagged_proof", 409, "not-acknowledgeable"),
        ("attempt_limit", 409, "not-acknowledgeable"),
        ("weather", 422, "unknown-exception-kind"),
        ("overdue", 404, "no-such-exception"),
    ):
        response = client.post(
            "/api/dashboard/exceptions/acknowledge",
            headers=headers,
            json={"kind": kind, "subject": "item:999999:due:2020-01-01"},
        )
        assert response.status_code == status and response.content_type == PROBLEM, (
            kind,
            response.get_json(),
        )
        assert response.get_json()["type"].endswith(slug)
    assert (
        client.post(
            "/api/dashboard/exceptions/acknowledge", headers=headers, json={"kind": "overdue"}
        ).status_code
        == 422
    )
    postman = make.user("postman")
    assert (
        client.post(
            "/api/dashboard/exceptions/acknowledge",
            headers=Phone(client, postman.username).login().headers,
            json={"kind": "overdue", "subject": "x"},
        ).status_code
        == 403
    )
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ExceptionAck.id))).scalar_one() == 0


def test_two_supervisors_acknowledge_at_once_and_the_first_stands(app, make, today):
    first, second = make.user("supervisor"), make.user("supervisor")
    make.item(due_date=overdue_by(today, 3))
    clients = [app.test_client(), app.test_client()]
    headers = [Phone(c, u.username).login().headers for c, u in zip(clients, (first, second), strict=True)]
    subject = listed(clients[0], headers[0])["exceptions"][0]["subject"]
    answers, barrier = [], threading.Barrier(2)

    def ack(index):
        barrier.wait()
        answers.append(
            clients[index].post(
                "/api/dashboard/exceptions/acknowledge",
                headers=headers[index],
                json={"kind": "overdue", "subject": subject, "note": f"n{index}"},
            )
        )

    threads = [threading.Thread(target=ack, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.get_json()["note"] for a in answers}) == 1  # both are told the same, first, acknowledgement
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ExceptionAck.id))).scalar_one() == 1


def test_the_advice_fits_the_case(client, app, make, desk, today):
    _, headers, _, _ = desk
    postman = make.user("postman")
    dossier = make.item(direction="collect", status="collected", due_date=overdue_by(today, 1))
    at_agency = make.item(status="registered", due_date=overdue_by(today, 1))
    refused, not_home = make.item(), make.item()
    make.round(postman, today, items=[refused, not_home])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.fail(refused.id, reason="refused")
    phone.fail(not_home.id, reason="not_home")
    phone.sync()

    found = {(e["kind"], e["item"]["id"]): e for e in listed(client, headers)["exceptions"]}
    assert (
        found[("overdue", dossier.id)]["action"] == "hand_to_agency"
    )  # a collected dossier goes to the agency
    assert found[("overdue", at_agency.id)]["action"] == "fetch_from_agency"
    assert (
        found[("failed_attempt", refused.id)]["action"] == "return_to_agency"
    )  # a refusal is not rescheduled
    reattempt = found[("failed_attempt", not_home.id)]
    assert reattempt["action"] == "reattempt"
    assert reattempt["facts"]["next_attempt_from"] == add_working_days(today, 2).isoformat()
    assert reattempt["facts"]["invitations"] == 1
