"""A postman's phone syncs: pull the round, work offline, push proof exactly once."""

from datetime import date

import pytest

from backend.extensions import db
from backend.models import Attachment, DeliveryAttempt, FeeEntry, Item, SyncMutation
from tests.kit.images import jpeg_bytes, noisy_jpeg
from tests.kit.phone import Phone, sha
from tests.stores import both_stores


@pytest.fixture
def round_of_three(make):
    postman = make.user("postman")
    items = [make.item(recipient_name=f"Người nhận {i}") for i in range(3)]
    make.round(postman, items=items)
    return postman, items


@pytest.fixture
def signed_in(client, round_of_three):
    """That postman's phone, signed in, with the round downloaded. -> (phone, items)"""
    postman, items = round_of_three
    phone = Phone(client, postman.username).login()
    phone.pull()
    return phone, items


@both_stores
def test_a_postman_goes_offline_delivers_three_items_and_comes_back_online(client, app, round_of_three):
    postman, items = round_of_three
    phone = Phone(client, postman.username).login()
    first = phone.pull()
    assert first["reset"] is True
    assert sorted(phone.items) == sorted(i.id for i in items)
    assert first["procedures"] and first["procedures"][0]["checklist"]

    for n, item in enumerate(items):  # offline: nothing is sent yet
        phone.deliver(item.id, seed=n)
    phone.sync()

    assert phone.outbox == []
    assert [o["outcome"] for o in phone.outcomes.values()] == ["applied"] * 3
    assert {i["status"] for i in phone.items.values()} == {"delivered"}
    with app.app_context():
        proofs = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
        assert len(proofs) == 3 and all(p.complete for p in proofs)
        assert {p.id_number_masked for p in proofs} == {"*********789"}
        assert db.session.execute(db.select(db.func.count(FeeEntry.id))).scalar_one() == 3
        assert db.session.execute(db.select(db.func.count(Attachment.sha256))).scalar_one() == 6


@both_stores
def test_a_lost_response_is_retried_without_a_second_effect(client, app, signed_in):
    phone, items = signed_in
    phone.deliver(items[0].id)
    phone.upload_files()
    phone.push(lose_response=True)
    body = phone.push()
    assert body["results"][0]["outcome"] == "duplicate"
    assert body["results"][0]["original_outcome"] == "applied"
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 1
        assert db.session.execute(db.select(db.func.count(FeeEntry.id))).scalar_one() == 1


def test_one_bad_mutation_does_not_block_the_rest(client, app, signed_in):
    phone, items = signed_in
    phone.deliver(items[0].id)
    phone.capture("deliver", items[1].id, {"receiver_name": "X"})  # no relation, no signature
    phone.fail(items[2].id)
    body = phone.sync() and list(phone.outcomes.values())
    assert [r["outcome"] for r in body] == ["applied", "rejected", "applied"]
    assert body[1]["reason"] == "invalid-mutation" and "receiver_relation" in body[1]["errors"]["data"]
    assert phone.outbox == []
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(SyncMutation.id))).scalar_one() == 3
        assert db.session.get(Item, items[2].id).status == "failed_attempt"


def test_a_gap_in_the_sequence_is_refused_and_applied_once_the_gap_is_filled(client, signed_in):
    phone, items = signed_in
    first = phone.fail(items[0].id)
    second = phone.fail(items[1].id)
    phone.outbox = [second]
    body = phone.push()
    assert body["results"][0]["reason"] == "sequence-gap" and body["results"][0]["expected_seq"] == 1
    phone.outbox = [second, first]
    body = phone.push()
    assert [r["outcome"] for r in body["results"]] == ["applied", "applied"]
    assert body["device_seq"] == 2


def test_a_delivery_for_an_item_reassigned_meanwhile_is_kept_and_flagged(client, app, make, today, signed_in):
    phone, items = signed_in
    phone.deliver(items[0].id)  # captured offline ...
    other = make.user("postman")
    supervisor = make.user("supervisor")
    headers = Phone(client, supervisor.username).login().headers
    other_round = client.post(
        "/api/rounds", json={"postman_id": other.id, "round_date": today.isoformat()}, headers=headers
    )
    assert other_round.status_code == 201, other_round.get_json()
    response = client.post(
        f"/api/rounds/{other_round.get_json()['id']}/assign",
        json={"item_ids": [items[0].id]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    phone.sync()  # ... and pushed after the reassignment
    result = next(iter(phone.outcomes.values()))
    assert result["outcome"] == "applied" and result["flag"] == "item-reassigned"
    assert items[0].id not in phone.items  # removed from the phone on the pull
    with app.app_context():
        proof = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert proof.flagged and proof.flag_reason == "item-reassigned"
        assert db.session.get(Item, items[0].id).status == "assigned"  # the new postman still has it


def test_a_mutation_for_an_item_never_on_the_round_is_rejected(client, make, round_of_three):
    postman, _ = round_of_three
    stranger = make.item()
    phone = Phone(client, postman.username).login()
    phone.fail(stranger.id)
    body = phone.push()
    assert body["results"][0]["reason"] == "not-your-item"


@both_stores
def test_a_chunked_upload_resumes_and_a_corrupt_one_is_refused(client, app, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    photo = jpeg_bytes(3, (400, 300))
    digest = sha(photo)
    url = f"/api/sync/attachments/{digest}"
    half = len(photo) // 2
    response = client.put(
        url, data=photo[:half], headers=phone.headers | {"Content-Range": f"bytes 0-{half - 1}/{len(photo)}"}
    )
    assert response.get_json() == {"sha256": digest, "received": half, "size": len(photo), "verified": False}
    assert client.get(url, headers=phone.headers).get_json()["received"] == half
    response = client.put(
        url,
        data=photo[half:],
        headers=phone.headers | {"Content-Range": f"bytes {half}-{len(photo) - 1}/{len(photo)}"},
    )
    assert response.get_json()["verified"] is True

    fake = b"GIF89a not really" * 10
    response = client.put(f"/api/sync/attachments/{sha(fake)}", data=fake, headers=phone.headers)
    assert response.status_code == 422 and response.get_json()["type"].endswith("not-an-image")
    wrong = jpeg_bytes(4)
    response = client.put(f"/api/sync/attachments/{'0' * 64}", data=wrong, headers=phone.headers)
    assert response.status_code == 422 and response.get_json()["type"].endswith("hash-mismatch")
    with app.app_context():
        assert db.session.execute(db.select(Attachment.sha256)).scalars().all() == [digest]


def test_an_unsupported_protocol_is_refused_clearly(client, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    response = client.get("/api/sync/pull", headers=phone.headers | {"X-PostRound-Protocol": "9"})
    assert response.status_code == 400
    assert response.get_json()["type"].endswith("unsupported-protocol")


def test_the_steady_state_poll_returns_nothing_new(client, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    phone.pull()
    page = phone.pull()
    assert page["items"] == [] and page["removed"] == [] and page["reset"] is False


def test_every_pull_tells_the_phone_the_post_offices_time_zone(client, app, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    assert phone.pull()["timezone"] == "Asia/Ho_Chi_Minh"
    app.config["TIMEZONE"] = "Asia/Bangkok"  # the server's setting, not a constant in the app
    assert phone.pull()["timezone"] == "Asia/Bangkok"  # the steady-state poll carries it too


def test_every_pull_tells_the_phone_which_tile_server_draws_the_rounds_map(client, app, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    assert phone.pull()["map"] == {"tile_url": "", "attribution": ""}  # none: the stops on a plain map
    app.config["MAP_TILE_URL"] = "https://tiles.example.vn/{z}/{x}/{y}.png"
    app.config["MAP_TILE_ATTRIBUTION"] = "© OpenStreetMap"
    assert phone.pull()["map"] == {
        "tile_url": "https://tiles.example.vn/{z}/{x}/{y}.png",
        "attribution": "© OpenStreetMap",
    }


def test_pulls_are_gzipped_for_phones_that_accept_it(client, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    response = client.get("/api/sync/pull", headers=phone.headers | {"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_a_new_day_starts_from_scratch(client, app, make):
    postman = make.user("postman")
    make.round(postman, date(2020, 1, 1), items=[make.item()])
    phone = Phone(client, postman.username).login()
    assert phone.pull()["items"] == []  # old rounds are out of scope


@both_stores
def test_a_supervisor_sees_flagged_proofs_resolves_them_and_each_view_is_audited(
    client, app, make, round_of_three
):
    from backend.models import AuditEntry
    from backend.services.item_events import apply_event

    postman, items = round_of_three
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(items[0].id)
    with app.app_context():
        apply_event(db.session.get(Item, items[0].id), "cancel")
        db.session.commit()
    phone.sync()
    supervisor = Phone(client, make.user("supervisor").username).login()
    queue = client.get(
        "/api/proofs", query_string={"flagged": "true", "unresolved": "true"}, headers=supervisor.headers
    )
    assert queue.status_code == 200
    [proof] = queue.get_json()
    assert proof["flag_reason"] == "item-cancelled" and proof["item_code"] == items[0].code
    assert {a["kind"] for a in proof["attachments"]} == {"signature", "photo"}

    viewed = client.get(f"/api/proofs/{proof['id']}", headers=supervisor.headers)
    assert viewed.get_json()["id_number_masked"] == "*********789"
    photo = next(a for a in proof["attachments"] if a["kind"] == "photo")
    content = client.get(f"/api/attachments/{photo['sha256']}", headers=supervisor.headers)
    assert content.status_code == 200 and sha(content.data) == photo["sha256"]
    resolved = client.post(
        f"/api/proofs/{proof['id']}/resolve", json={"note": "Đã báo UBND xã"}, headers=supervisor.headers
    )
    assert resolved.get_json()["resolved_at"] is not None
    assert (
        client.get(
            "/api/proofs", query_string={"flagged": "true", "unresolved": "true"}, headers=supervisor.headers
        ).get_json()
        == []
    )
    with app.app_context():
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert {"proof.viewed", "attachment.viewed", "proof.resolved", "proof.flagged"} <= set(actions)


def test_end_of_shift_reconciliation_lists_assigned_items_with_no_proof(client, app, make, round_of_three):
    postman, items = round_of_three
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.fail(items[0].id)
    phone.sync()
    supervisor = Phone(client, make.user("supervisor").username).login()
    response = client.get("/api/sync/reconciliation", headers=supervisor.headers)
    assert response.status_code == 200
    [entry] = response.get_json()["postmen"]
    assert entry["postman_id"] == postman.id
    assert {i["id"] for i in entry["items"]} == {items[1].id, items[2].id}
    assert entry["devices"][0]["id"] == phone.device_id and entry["devices"][0]["last_seq"] == 1


@both_stores
def test_a_whole_photo_larger_than_a_json_body_uploads_in_one_request(client, app, round_of_three):
    postman, _ = round_of_three
    phone = Phone(client, postman.username).login()
    photo = noisy_jpeg(size=(1600, 1200), quality=95)
    assert len(photo) > app.config["MAX_CONTENT_LENGTH"]
    response = client.put(f"/api/sync/attachments/{sha(photo)}", data=photo, headers=phone.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["verified"] is True


def test_staff_learn_of_a_stored_file_only_through_a_proof_of_their_office(client, app, make):
    """GET /api/sync/attachments/{sha}: the postman who sent a photo sees it verified; a supervisor of
    the item's office sees it through the proof naming it; a supervisor of another office, or anyone
    asking after a file no proof of theirs names, gets the answer for a file the server never had."""
    phone, (item,) = Phone.on_a_round(client, make)
    photo, stray = jpeg_bytes(21), jpeg_bytes(22)
    mutation = phone.deliver(item.id, photo=photo)
    phone.sync()
    assert phone.outcomes[mutation["id"]]["outcome"] == "applied"
    assert (
        client.put(f"/api/sync/attachments/{sha(stray)}", data=stray, headers=phone.headers).status_code
        == 200
    )
    own = Phone(client, make.user("supervisor").username).login().headers
    foreign = Phone(client, make.user("supervisor", offices=(make.office().id,)).username).login().headers
    admin = Phone(client, make.user("admin", offices=()).username).login().headers

    def status(digest, headers):
        response = client.get(f"/api/sync/attachments/{digest}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    never_sent = {"sha256": "ab" * 32, "received": 0, "size": None, "verified": False}
    assert status("ab" * 32, own) == never_sent
    seen = {"sha256": sha(photo), "received": len(photo), "size": len(photo), "verified": True}
    assert status(sha(photo), phone.headers) == seen
    assert status(sha(photo), own) == seen
    assert status(sha(photo), admin) == seen  # an administrator of no office sees every office
    assert status(sha(photo), foreign) == never_sent | {"sha256": sha(photo)}
    assert status(sha(stray), phone.headers)["verified"] is True  # the uploader's own file
    assert status(sha(stray), own) == never_sent | {"sha256": sha(stray)}  # no proof names it
