"""Second visits, the regulation's spacing in working days, and flagged proofs accepted or rejected.

Users' stories on SQLite and PostgreSQL (the `app` fixture): a postman fails at 9:00 and comes back
at 15:00; an item failed yesterday is on today's round; the attempt limit and the two invitations two
working days apart across Tết; a supervisor accepts a proof delivered while the item had gone to
another postman (both phones see it), or rejects one with a reason.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.config import ConfigError, load_config
from backend.domain.workdays import add_working_days, holidays_between, is_working_day, working_days_between
from backend.extensions import db
from backend.models import AuditEntry, Item
from tests.factories import proofs_of
from tests.kit.phone import Phone

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PROBLEM = "application/problem+json"


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), VN).isoformat()


def item_row(app, item_id) -> Item:
    with app.app_context():
        item = db.session.get(Item, item_id)
        db.session.expunge(item)
        return item


def visit(phone: Phone, kind: str, item_id: int, when: str, **data) -> dict:
    mutation = phone.fail(item_id, **data) if kind == "fail" else phone.deliver(item_id, **data)
    mutation["at"] = when
    return mutation


# The calendar --------------------------------------------------------------------------------------


def test_working_days_skip_weekends_and_the_whole_of_tet():
    tet_2026 = [date(2026, 2, d) for d in range(16, 21)]  # Mon 16 – Fri 20 February 2026
    assert not any(is_working_day(d) for d in tet_2026)
    assert holidays_between(date(2026, 2, 1), date(2026, 2, 28)) == tet_2026
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)  # Fri before Tết -> Tue after
    assert add_working_days(date(2026, 3, 2), 2) == date(2026, 3, 4)  # an ordinary Monday -> Wednesday
    assert add_working_days(date(2026, 3, 6), 2) == date(2026, 3, 10)  # Friday -> Tuesday
    assert add_working_days(date(2026, 9, 1), 0) == date(2026, 9, 1)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert not is_working_day(date(2026, 9, 2)) and not is_working_day(date(2026, 4, 30))


@pytest.mark.parametrize("value", ["0", "11", "two", "-1"])
def test_the_reattempt_spacing_is_a_strict_setting(tmp_path, value):
    env = {"POSTROUND_ENV": "testing", "REATTEMPT_SPACING_WORKING_DAYS": value}
    with pytest.raises(ConfigError, match="REATTEMPT_SPACING_WORKING_DAYS"):
        load_config(str(tmp_path), env)
    assert load_config(str(tmp_path), {"POSTROUND_ENV": "testing"})["REATTEMPT_SPACING_WORKING_DAYS"] == 2


# Second visits -------------------------------------------------------------------------------------


def test_nobody_home_at_nine_delivered_at_three(client, app, make, today):
    phone, (item,) = Phone.on_a_round(client, make)

    visit(phone, "fail", item.id, at(today, 9))
    phone.sync()
    assert phone.items[item.id]["status"] == "failed_attempt"  # still on the phone, still its work
    assert phone.items[item.id]["attempt_count"] == 1
    visit(phone, "deliver", item.id, at(today, 15))
    phone.sync()

    results = list(phone.outcomes.values())
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    assert "flag" not in results[1]
    assert results[1]["item"] == {
        "id": item.id,
        "status": "delivered",
        "attempt_count": 1,
        "invitation_count": 1,
    }
    assert phone.items[item.id]["status"] == "delivered"
    proofs = proofs_of(app, item.id)
    assert [(p.outcome, p.flagged, p.counts_as_invitation) for p in proofs] == [
        ("failed", False, True),
        ("delivered", False, None),
    ]
    assert item_row(app, item.id).status == "delivered"


def test_a_collection_can_follow_a_failed_pickup(client, app, make, today):
    postman = make.user("postman")
    item = make.item(direction="collect", status="registered")
    make.round(postman, today, items=[item])
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(today, 8, 30))
    phone.capture(
        "collect",
        item.id,
        {
            "checklist": [
                {"name": "Tờ khai đăng ký khai sinh", "form": "original", "present": True},
                {"name": "Giấy chứng sinh", "form": "copy", "present": True},
            ],
            "seal_number": "NP-000777",
            "lat": 10.01,
            "lon": 105.16,
            "accuracy_m": 6,
        },
        {"signature": b"\x89PNG" + b"0" * 10, "postman_signature": b"\x89PNG" + b"1" * 10},
    )
    phone.push()
    assert [r["outcome"] for r in phone.outcomes.values()] == ["applied", "applied"]
    assert item_row(app, item.id).status == "collected"


def test_an_item_failed_yesterday_is_on_todays_round_and_can_be_delivered(
    client, app, make, supervisor, today
):
    postman = make.user("postman")
    item = make.item()
    yesterday_round = make.round(postman, today - timedelta(days=1), items=[item])
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(today - timedelta(days=1), 10))
    phone.sync()

    sup = Phone(client, supervisor.username).login()
    created = client.post(
        "/api/rounds", json={"postman_id": postman.id, "round_date": today.isoformat()}, headers=sup.headers
    )
    assert created.status_code == 201, created.get_json()
    row = item_row(app, item.id)
    assert row.round_id == created.get_json()["id"] != yesterday_round.id  # carried over to the next round
    assert row.status == "assigned" and row.attempt_count == 1

    phone.pull()
    assert phone.items[item.id]["round_id"] == created.get_json()["id"]
    visit(phone, "deliver", item.id, at(today, 9))
    phone.sync()
    assert phone.items[item.id]["status"] == "delivered"
    assert [p.outcome for p in proofs_of(app, item.id)] == ["failed", "delivered"]  # the history is kept


def test_the_pull_says_when_the_next_visit_counts_and_carries_the_calendar(client, app, make, today):
    postman = make.user("postman")
    item = make.item()
    make.round(postman, today, items=[item])
    phone = Phone(client, postman.username).login()
    first = phone.pull()
    assert first["calendar"]["reattempt_spacing_working_days"] == 2
    assert (first["calendar"]["failed_attempt_limit"], first["calendar"]["required_invitations"]) == (3, 2)
    assert first["calendar"]["from"] == (today - timedelta(days=1)).isoformat()
    assert all(is_working_day(date.fromisoformat(d)) is False for d in first["calendar"]["holidays"])
    assert phone.items[item.id]["next_attempt_from"] is None

    visit(phone, "fail", item.id, at(today, 9))
    page = phone.sync()
    assert "calendar" not in page  # only a full download carries it
    assert phone.items[item.id]["last_invitation_on"] == today.isoformat()
    assert phone.items[item.id]["next_attempt_from"] == add_working_days(today, 2).isoformat()


@pytest.fixture
def tet_item(app, make, today):
    """An item on a round before Tết 2026 (the regulation counts in working days)."""
    postman = make.user("postman")
    item = make.item()
    make.round(postman, today, items=[item])
    return postman, item


def test_two_invitations_two_working_days_apart_across_tet_then_back_to_the_agency(
    client, app, make, tet_item
):
    postman, item = tet_item
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(date(2026, 2, 13), 9))  # Friday before Tết: invitation 1
    visit(phone, "fail", item.id, at(date(2026, 2, 13), 16))  # same day again: a visit, not an invitation
    visit(phone, "fail", item.id, at(date(2026, 2, 23), 9))  # Monday after Tết: one working day only
    phone.sync()
    row = item_row(app, item.id)
    # Three failed visits reach the limit (3), but the regulation's second invitation is still owed.
    assert (row.status, row.attempt_count, row.invitation_count) == ("failed_attempt", 3, 1)
    assert [p.counts_as_invitation for p in proofs_of(app, item.id)] == [True, False, False]
    assert phone.items[item.id]["next_attempt_from"] == "2026-02-24"
    office = Phone(client, make.user("supervisor").username).login().headers
    seen = client.get(f"/api/items/{item.id}", headers=office).get_json()
    assert (seen["attempt_count"], seen["invitation_count"], seen["next_attempt_from"]) == (
        3,
        1,
        "2026-02-24",
    )

    visit(phone, "fail", item.id, at(date(2026, 2, 24), 9))  # Tuesday: two working days after the first
    phone.sync()
    row = item_row(app, item.id)
    assert (row.status, row.attempt_count, row.invitation_count) == ("return_to_agency", 4, 2)
    with app.app_context():
        last = (
            db.session.execute(
                db.select(AuditEntry).where(AuditEntry.action == "item.fail").order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert last.detail["invitation"] is True and last.detail["to"] == "return_to_agency"


def test_the_limit_still_decides_once_the_regulation_is_met(client, app, tet_item):
    postman, item = tet_item
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(date(2026, 3, 2), 9))  # Monday
    visit(phone, "fail", item.id, at(date(2026, 3, 4), 9))  # Wednesday: second invitation, 2 of 3 attempts
    phone.sync()
    row = item_row(app, item.id)
    assert (row.status, row.attempt_count, row.invitation_count) == ("failed_attempt", 2, 2)
    visit(phone, "deliver", item.id, at(date(2026, 3, 5), 9))
    phone.sync()
    assert item_row(app, item.id).status == "delivered"


@pytest.mark.parametrize("app_config", [{"REATTEMPT_SPACING_WORKING_DAYS": 1, "FAILED_ATTEMPT_LIMIT": 2}])
def test_the_spacing_and_the_limit_are_settings(client, app, tet_item):
    postman, item = tet_item
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(date(2026, 2, 13), 9))
    visit(phone, "fail", item.id, at(date(2026, 2, 23), 9))  # one working day later: enough now
    phone.sync()
    row = item_row(app, item.id)
    assert (row.status, row.attempt_count, row.invitation_count) == ("return_to_agency", 2, 2)


def test_a_phone_clock_ahead_cannot_date_a_visit_into_the_future(client, app, tet_item, today):
    postman, item = tet_item
    phone = Phone(client, postman.username).login()
    phone.pull()
    visit(phone, "fail", item.id, at(today + timedelta(days=30), 9))
    phone.sync()
    assert item_row(app, item.id).last_invitation_on == today


# Flagged proofs: accept or reject ------------------------------------------------------------------


@pytest.fixture
def reassigned_while_offline(client, app, make, supervisor, today):
    """Phone A delivers offline; meanwhile the supervisor moves the item to postman B's round."""
    a, b = make.user("postman"), make.user("postman")
    item, other = make.item(), make.item()
    round_a = make.round(a, today, items=[item, other])
    phone_a = Phone(client, a.username).login()
    phone_a.pull()
    phone_b_round = make.round(b, today)
    phone_b = Phone(client, b.username).login()
    phone_b.pull()
    sup = Phone(client, supervisor.username).login().headers
    phone_a.deliver(item.id)  # offline
    moved = client.post(f"/api/rounds/{phone_b_round.id}/assign", json={"item_ids": [item.id]}, headers=sup)
    assert moved.status_code == 200, moved.get_json()
    phone_b.pull()
    assert item.id in phone_b.items
    phone_a.sync()
    result = next(iter(phone_a.outcomes.values()))
    assert result["flag"] == "item-reassigned"
    return {
        "item": item,
        "phone_a": phone_a,
        "phone_b": phone_b,
        "sup": sup,
        "round_a": round_a,
        "round_b": phone_b_round,
        "proof_id": result["proof_id"],
    }


def test_a_proof_accepted_after_reassignment_reaches_both_phones(client, app, reassigned_while_offline):
    s = reassigned_while_offline
    response = client.post(
        f"/api/proofs/{s['proof_id']}/accept", json={"note": "Bưu tá A đã phát trước"}, headers=s["sup"]
    )
    assert response.status_code == 200, response.get_json()
    proof = response.get_json()
    assert (
        proof["review"] == "accepted"
        and proof["resolved_at"]
        and proof["review_note"] == "Bưu tá A đã phát trước"
    )

    row = item_row(app, s["item"].id)
    assert (
        row.status == "delivered" and row.round_id == s["round_a"].id
    )  # back on the round that delivered it
    assert row.stop_order is not None  # the round's stops are renumbered and measured again
    s["phone_b"].pull()
    assert s["item"].id not in s["phone_b"].items  # the other phone is told: a removal
    s["phone_a"].pull()
    assert s["phone_a"].items[s["item"].id]["status"] == "delivered"
    queue = client.get(
        "/api/proofs", query_string={"flagged": "true", "unresolved": "true"}, headers=s["sup"]
    )
    assert queue.get_json() == []
    with app.app_context():
        # The rounds it left and joined settle themselves (round.*); reading the queue is audited too.
        actions = [
            e.action
            for e in db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()
            if not e.action.startswith("round.") and not e.action.endswith((".listed", ".viewed"))
        ]
    assert actions[-2:] == ["item.accept_proof", "proof.accepted"]

    again = client.post(f"/api/proofs/{s['proof_id']}/reject", json={"reason": "nhầm"}, headers=s["sup"])
    assert again.status_code == 409 and again.content_type == PROBLEM
    assert again.get_json()["type"].endswith("already-reviewed")


def test_a_proof_for_a_cancelled_item_can_be_accepted(client, app, make, supervisor, today):
    phone, (item,) = Phone.on_a_round(client, make)
    sup = Phone(client, supervisor.username).login().headers
    phone.deliver(item.id)
    cancelled = client.post(f"/api/items/{item.id}/events", json={"event": "cancel"}, headers=sup)
    assert cancelled.status_code == 200, cancelled.get_json()
    phone.sync()
    result = next(iter(phone.outcomes.values()))
    assert result["flag"] == "item-cancelled"
    accepted = client.post(f"/api/proofs/{result['proof_id']}/accept", json={}, headers=sup)
    assert accepted.status_code == 200, accepted.get_json()
    assert item_row(app, item.id).status == "delivered"


def test_a_rejected_proof_stays_as_evidence_and_the_item_does_not_move(client, app, reassigned_while_offline):
    s = reassigned_while_offline
    missing = client.post(f"/api/proofs/{s['proof_id']}/reject", json={}, headers=s["sup"])
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    response = client.post(
        f"/api/proofs/{s['proof_id']}/reject",
        json={"reason": "Chữ ký không khớp / signature does not match"},
        headers=s["sup"],
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["review"] == "rejected"
    row = item_row(app, s["item"].id)
    assert row.status == "assigned" and row.round_id == s["round_b"].id
    assert len(proofs_of(app, s["item"].id)) == 1  # never dropped
    s["phone_b"].pull()
    assert s["item"].id in s["phone_b"].items
    accept = client.post(f"/api/proofs/{s['proof_id']}/accept", json={}, headers=s["sup"])
    assert accept.status_code == 409 and accept.get_json()["type"].endswith("already-reviewed")


def test_a_proof_for_an_item_someone_else_delivered_cannot_be_accepted(client, app, reassigned_while_offline):
    s = reassigned_while_offline
    s["phone_b"].deliver(s["item"].id, seed=9)
    s["phone_b"].sync()
    assert item_row(app, s["item"].id).status == "delivered"
    response = client.post(f"/api/proofs/{s['proof_id']}/accept", json={}, headers=s["sup"])
    assert response.status_code == 409 and response.get_json()["type"].endswith("cannot-accept")
    proof = client.get(f"/api/proofs/{s['proof_id']}", headers=s["sup"]).get_json()
    assert proof["review"] is None  # nothing half-written: it can still be rejected
    rejected = client.post(
        f"/api/proofs/{s['proof_id']}/reject", json={"reason": "Đã phát bởi bưu tá B"}, headers=s["sup"]
    )
    assert rejected.status_code == 200


def test_the_old_resolve_endpoint_still_works_and_means_reject(client, app, reassigned_while_offline):
    s = reassigned_while_offline
    response = client.post(
        f"/api/proofs/{s['proof_id']}/resolve", json={"note": "Đã báo UBND xã"}, headers=s["sup"]
    )
    assert response.status_code == 200
    assert (
        response.get_json()["review"] == "rejected" and response.get_json()["review_note"] == "Đã báo UBND xã"
    )
    twice = client.post(f"/api/proofs/{s['proof_id']}/resolve", json={"note": "lần hai"}, headers=s["sup"])
    assert twice.status_code == 200 and twice.get_json()["review_note"] == "Đã báo UBND xã"
    assert item_row(app, s["item"].id).status == "assigned"


def test_a_proof_that_was_not_flagged_is_not_reviewed_and_postmen_cannot_review(client, app, make, today):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.deliver(item.id)
    phone.sync()
    proof_id = next(iter(phone.outcomes.values()))["proof_id"]
    sup = Phone(client, make.user("supervisor").username).login().headers
    for action, body in (("accept", {}), ("reject", {"reason": "x"})):
        response = client.post(f"/api/proofs/{proof_id}/{action}", json=body, headers=sup)
        assert response.status_code == 409 and response.get_json()["type"].endswith("not-flagged")
        assert (
            client.post(f"/api/proofs/{proof_id}/{action}", json=body, headers=phone.headers).status_code
            == 403
        )
    assert client.post("/api/proofs/999999/accept", json={}, headers=sup).status_code == 404


def test_accepting_a_flagged_failed_visit_counts_it(client, app, reassigned_while_offline):
    """Phone A, still offline, also records a failed visit on the reassigned item: accepting it
    counts the visit; the item stays on B's round."""
    s = reassigned_while_offline
    other_phone = s["phone_a"]
    mutation = other_phone.fail(s["item"].id)
    other_phone.sync()
    result = other_phone.outcomes[mutation["id"]]
    assert result["flag"] == "item-reassigned"
    response = client.post(f"/api/proofs/{result['proof_id']}/accept", json={}, headers=s["sup"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["counts_as_invitation"] is True
    row = item_row(app, s["item"].id)
    assert (row.status, row.attempt_count, row.round_id) == ("failed_attempt", 1, s["round_b"].id)


def test_an_accepted_flagged_proof_counts_in_the_report_a_pending_one_does_not(
    client, app, reassigned_while_offline, today
):
    s = reassigned_while_offline
    query = {
        "date_from": today.isoformat(),
        "date_to": today.isoformat(),
        "period": "day",
        "group_by": "postman",
    }

    def returned():
        body = client.get("/api/reports", headers=s["sup"], query_string=query).get_json()
        return body["totals"]["returned"]

    assert returned() == 0  # flagged, not decided: it did not move the item
    assert client.post(f"/api/proofs/{s['proof_id']}/accept", json={}, headers=s["sup"]).status_code == 200
    assert returned() == 1


def test_two_supervisors_decide_the_same_proof_at_once_and_one_decision_stands(
    app, make, reassigned_while_offline
):
    s = reassigned_while_offline
    people = [make.user("supervisor"), make.user("supervisor")]
    clients = [app.test_client(), app.test_client()]
    headers = [Phone(c, u.username).login().headers for c, u in zip(clients, people, strict=True)]
    calls = [("accept", {}), ("reject", {"reason": "Không đúng người nhận"})]
    answers: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def decide(index):
        action, body = calls[index]
        barrier.wait()
        answers[action] = clients[index].post(
            f"/api/proofs/{s['proof_id']}/{action}", json=body, headers=headers[index]
        )

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409], {k: (a.status_code, a.get_json()) for k, a in answers.items()}
    winner = next(k for k, a in answers.items() if a.status_code == 200)
    loser = answers["reject" if winner == "accept" else "accept"]
    assert loser.content_type == PROBLEM and loser.get_json()["type"].endswith("already-reviewed")
    [proof] = proofs_of(app, s["item"].id)
    assert proof.review == {"accept": "accepted", "reject": "rejected"}[winner]
    assert item_row(app, s["item"].id).status == ("delivered" if winner == "accept" else "assigned")
