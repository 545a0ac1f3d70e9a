"""Two supervisors plan the same round: a change made on a stale copy is refused, never lost.

Every change to a round's plan carries the version the supervisor saw (If-Match, the round's
ETag); a stale one is 412 `round-changed`, saying what changed meanwhile, who did it and when.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from backend.extensions import db
from backend.models import DeliveryAttempt, Item, Round

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _round(client, headers, postman):
    created = client.post(
        "/api/rounds", headers=headers, json={"postman_id": postman.id, "round_date": TODAY.isoformat()}
    )
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"' and created.get_json()["version"] == 1
    return created.get_json()["id"]


def test_the_second_supervisor_is_told_what_the_first_changed_and_nothing_is_lost(
    client, make, auth, supervisor, postman
):
    an = auth(supervisor)
    binh = auth(make.user("supervisor", full_name="Trần Thị Bình"))
    first, second, third = (make.item() for _ in range(3))
    round_id = _round(client, an, postman)

    # Both open the round at version 1.
    seen_by_binh = client.get(f"/api/rounds/{round_id}", headers=binh).headers["ETag"]
    seen_by_an = client.get(f"/api/rounds/{round_id}", headers=an).headers["ETag"]
    assert seen_by_an == seen_by_binh == '"1"'

    # Bình adds two items first.
    done = client.post(
        f"/api/rounds/{round_id}/assign",
        headers={**binh, "If-Match": seen_by_binh},
        json={"item_ids": [first.id, second.id]},
    )
    assert done.status_code == 200 and done.headers["ETag"] == '"2"' and done.get_json()["version"] == 2

    # An, still looking at version 1, takes the first item off: refused, with what Bình did.
    stale = client.post(
        f"/api/rounds/{round_id}/unassign",
        headers={**an, "If-Match": seen_by_an},
        json={"item_ids": [first.id]},
    )
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    problem = stale.get_json()
    assert problem["type"].endswith("round-changed")
    assert (problem["current_version"], problem["seen_version"]) == (2, 1)
    [change] = problem["changes"]
    assert (change["change"], change["count"], change["by"]) == ("assign", 2, "Trần Thị Bình")
    assert change["summary_vi"] == "thêm 2 bưu gửi" and change["summary_en"] == "added 2 items"
    assert "Trần Thị Bình thêm 2 bưu gửi lúc" in problem["detail"]
    assert "Trần Thị Bình added 2 items at" in problem["detail"]

    # Nothing moved: Bình's two items are still there.
    assert {i.id for i in db.session.get(Round, round_id).items} == {first.id, second.id}

    # An tries again on the version just learnt: it goes through.
    again = client.post(
        f"/api/rounds/{round_id}/unassign", headers={**an, "If-Match": '"2"'}, json={"item_ids": [first.id]}
    )
    assert again.status_code == 200 and again.headers["ETag"] == '"3"'
    db.session.expire_all()
    assert db.session.get(Item, first.id).round_id is None


def test_every_planning_change_is_guarded_and_counts_as_a_version(client, make, auth, supervisor, postman):
    headers = auth(supervisor)
    items = [make.item(lat=10.0 + i / 100, lon=105.1) for i in range(3)]
    round_id = _round(client, headers, postman)
    path = f"/api/rounds/{round_id}"
    steps = [
        ("post", "/assign", {"item_ids": [i.id for i in items]}),
        ("put", "/order", {"item_ids": [i.id for i in reversed(items)]}),
        ("post", "/optimise", None),
        ("post", "/unassign", {"item_ids": [items[0].id]}),
    ]
    for version, (method, tail, body) in enumerate(steps, start=1):
        call = getattr(client, method)
        stale = call(path + tail, headers={**headers, "If-Match": f'"{version - 1}"'}, json=body)
        assert stale.status_code == 412, tail
        fresh = call(path + tail, headers={**headers, "If-Match": f'"{version}"'}, json=body)
        assert fresh.status_code == 200, fresh.get_json()
        assert fresh.headers["ETag"] == f'"{version + 1}"'
    listed = client.get("/api/rounds", headers=headers, query_string={"date": TODAY.isoformat()}).get_json()
    assert listed[0]["version"] == 5


def test_a_client_that_sends_no_version_is_not_checked_as_for_items(client, make, auth, supervisor, postman):
    headers = auth(supervisor)
    round_id = _round(client, headers, postman)
    item = make.item()
    assert (
        client.post(
            f"/api/rounds/{round_id}/assign", headers=headers, json={"item_ids": [item.id]}
        ).status_code
        == 200
    )
    garbled = client.post(f"/api/rounds/{round_id}/optimise", headers={**headers, "If-Match": "yesterday"})
    assert garbled.status_code == 412


def test_taking_an_item_onto_another_round_changes_the_round_it_left(client, make, auth, supervisor):
    headers = auth(supervisor)
    first_postman, second_postman = make.user("postman"), make.user("postman")
    item = make.item()
    a, b = _round(client, headers, first_postman), _round(client, headers, second_postman)
    client.post(f"/api/rounds/{a}/assign", headers=headers, json={"item_ids": [item.id]})
    moved = client.post(f"/api/rounds/{b}/assign", headers=headers, json={"item_ids": [item.id]})
    assert moved.status_code == 200
    stale = client.post(
        f"/api/rounds/{a}/unassign", headers={**headers, "If-Match": '"2"'}, json={"item_ids": [item.id]}
    )
    assert stale.status_code == 412
    assert stale.get_json()["changes"][0]["summary_en"] == f"moved 1 item to round #{b}"


def test_an_item_cancelled_from_its_page_changes_the_round_it_was_on(client, make, auth, supervisor, postman):
    headers = auth(supervisor)
    item = make.item()
    round_id = _round(client, headers, postman)
    client.post(f"/api/rounds/{round_id}/assign", headers=headers, json={"item_ids": [item.id]})
    cancelled = client.post(
        f"/api/items/{item.id}/events",
        headers=headers,
        json={"event": "cancel", "reason": "Cơ quan rút hồ sơ"},
    )
    assert cancelled.status_code == 200
    stale = client.post(f"/api/rounds/{round_id}/optimise", headers={**headers, "If-Match": '"2"'})
    assert stale.status_code == 412
    assert stale.get_json()["changes"][0]["summary_en"] == "cancelled 1 item"


# --- changes made to a round's items from elsewhere: the item page, the bulk bar, a proof's review ---


def _two_supervisors(make, auth):
    return auth(make.user("supervisor", full_name="Lê Văn An")), auth(
        make.user("supervisor", full_name="Trần Thị Bình")
    )


def _stale_reorder(client, headers, rnd_id, seen):
    """An, still holding version `seen` of the round, reorders its stops."""
    ids = [row["id"] for row in client.get(f"/api/rounds/{rnd_id}", headers=headers).get_json()["stops"]]
    return client.put(
        f"/api/rounds/{rnd_id}/order", headers={**headers, "If-Match": seen}, json={"item_ids": ids[::-1]}
    )


def _told(stale, summary_en, summary_vi):
    assert stale.status_code == 412, stale.get_json()
    problem = stale.get_json()
    assert problem["type"].endswith("round-changed")
    assert problem["params"]["version"] == problem["current_version"]  # the words' parameters
    change = problem["changes"][-1]
    assert change["by"] == "Trần Thị Bình"
    assert (change["summary_en"], change["summary_vi"]) == (summary_en, summary_vi)
    return problem


def test_accepting_a_flagged_proof_changes_both_rounds_and_a_colleague_holding_either_is_told(
    client, make, auth
):
    from tests.kit.phone import Phone

    an, binh = _two_supervisors(make, auth)
    lan, minh = make.user("postman", full_name="Trần Thị Lan"), make.user("postman", full_name="Võ Văn Minh")
    item, other, lans_next = make.item(), make.item(), make.item()
    lan_round, minh_round = make.round(lan, items=[item, lans_next]), make.round(minh, items=[other])
    phone = Phone(client, lan.username).login()
    phone.pull()
    phone.deliver(item.id, seed=3)  # offline, while the office gives the item to Minh
    assert (
        client.post(
            f"/api/rounds/{minh_round.id}/assign", headers=binh, json={"item_ids": [item.id]}
        ).status_code
        == 200
    )
    phone.sync()
    assert [o for o in phone.outcomes.values() if o.get("flag")]
    with client.application.app_context():
        [proof_id] = db.session.execute(
            db.select(DeliveryAttempt.id).where(DeliveryAttempt.item_id == item.id, DeliveryAttempt.flagged)
        ).scalars()

    # An opens both rounds; Bình accepts Lan's proof: the item leaves Minh's round for Lan's.
    seen = {
        r.id: client.get(f"/api/rounds/{r.id}", headers=an).headers["ETag"] for r in (lan_round, minh_round)
    }
    accepted = client.post(f"/api/proofs/{proof_id}/accept", headers=binh, json={})
    assert accepted.status_code == 200, accepted.get_json()

    for rnd in (minh_round, lan_round):
        stale = _stale_reorder(client, an, rnd.id, seen[rnd.id])
        problem = _told(stale, "accepted the proof of 1 item", "nhận bằng chứng của 1 bưu gửi")
        assert problem["current_version"] == int(seen[rnd.id].strip('"')) + 1
    db.session.expire_all()
    assert db.session.get(Item, item.id).round_id == lan_round.id
    assert [i.id for i in db.session.get(Round, minh_round.id).items] == [other.id]


def test_correcting_an_item_on_its_page_changes_its_round(client, make, auth, postman):
    an, binh = _two_supervisors(make, auth)
    first, second = make.item(), make.item()
    rnd = make.round(postman, items=[first, second])
    seen = client.get(f"/api/rounds/{rnd.id}", headers=an).headers["ETag"]

    edited = client.patch(f"/api/items/{first.id}", headers=binh, json={"address_line": "Ấp Hòa Long 2"})
    assert edited.status_code == 200, edited.get_json()

    _told(_stale_reorder(client, an, rnd.id, seen), "corrected 1 item", "sửa thông tin 1 bưu gửi")
    db.session.expire_all()
    assert [i.id for i in db.session.get(Round, rnd.id).items] == [
        first.id,
        second.id,
    ]  # An's order not applied
    # An, on the version just learnt, reorders: it goes through and keeps Bình's correction.
    fresh = client.get(f"/api/rounds/{rnd.id}", headers=an).headers["ETag"]
    assert _stale_reorder(client, an, rnd.id, fresh).status_code == 200
    db.session.expire_all()
    assert db.session.get(Item, first.id).address_line == "Ấp Hòa Long 2"


def test_sending_an_item_back_to_its_agency_from_its_page_changes_its_round(client, make, auth, postman):
    an, binh = _two_supervisors(make, auth)
    failed, other = make.item(), make.item()
    rnd = make.round(postman, items=[failed, other])
    with client.application.app_context():
        db.session.get(Item, failed.id).status = "failed_attempt"
        db.session.commit()
    seen = client.get(f"/api/rounds/{rnd.id}", headers=an).headers["ETag"]

    given_up = client.post(
        f"/api/items/{failed.id}/events",
        headers=binh,
        json={"event": "give_up", "reason": "Không liên lạc được"},
    )
    assert given_up.status_code == 200, given_up.get_json()

    _told(
        _stale_reorder(client, an, rnd.id, seen), "sent 1 item back to the agency", "trả 1 bưu gửi về cơ quan"
    )


def test_rescheduling_a_selection_changes_every_round_it_touches_once(client, make, auth, postman):
    an, binh = _two_supervisors(make, auth)
    items = [make.item() for _ in range(3)]
    rnd = make.round(postman, items=items[:2])
    seen = client.get(f"/api/rounds/{rnd.id}", headers=an).headers["ETag"]

    done = client.post(
        "/api/items/bulk-action",
        headers=binh,
        json={"action": "reschedule", "item_ids": [i.id for i in items], "due_date": "2026-12-24"},
    )
    assert done.status_code == 200, done.get_json()

    problem = _told(_stale_reorder(client, an, rnd.id, seen), "rescheduled 2 items", "đổi hạn 2 bưu gửi")
    assert problem["current_version"] == int(seen.strip('"')) + 1


def test_a_handover_of_a_rounds_collected_dossiers_recorded_at_the_desk_changes_the_round(client, make, auth):
    from tests.test_handovers import record

    an, binh = _two_supervisors(make, auth)
    agency = make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành")
    postman = make.user("postman", full_name="Lê Văn Tư")
    dossier, open_stop = (
        make.item(agency_id=agency.id, direction="collect", status="registered") for _ in "ab"
    )
    rnd = make.round(postman, items=[dossier, open_stop])
    with client.application.app_context():
        db.session.get(Item, dossier.id).status = "collected"
        db.session.commit()
    seen = client.get(f"/api/rounds/{rnd.id}", headers=an).headers["ETag"]

    done = record(client, binh, agency, [{"item_id": dossier.id, "originals": 1, "copies": 0}])
    assert done.status_code == 201, done.get_json()

    _told(
        _stale_reorder(client, an, rnd.id, seen),
        "recorded a handover of 1 item",
        "ghi biên bản bàn giao 1 bưu gửi",
    )
