"""The protocol without dead ends: no mutation can stall a phone, bad envelopes are 4xx, a phone whose
counter went backwards recovers with nothing lost, and every answer carries the protocol header."""

from __future__ import annotations

import copy
import uuid

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, Device, Item, SyncMutation
from tests.kit.images import jpeg_bytes, png_signature
from tests.kit.phone import Phone, sha


@pytest.fixture
def day(app, make):
    """A postman with five return items on today's round, and an item of another postman's."""
    postman = make.user("postman")
    items = [make.item(recipient_name=f"Người nhận {i}") for i in range(5)]
    make.round(postman, items=items)
    other = make.user("postman")
    stranger = make.item()
    make.round(other, items=[stranger])
    phone = Phone(app.test_client(), postman.username).login()
    phone.pull()
    return phone, [i.id for i in items], stranger


def _ledger(app) -> list[tuple[int, str, str | None]]:
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(
                db.select(SyncMutation.device_seq, SyncMutation.outcome, SyncMutation.reason).order_by(
                    SyncMutation.device_seq
                )
            )
        ]


def _signed(phone, kinds=("signature",)) -> list[dict]:
    refs = []
    for n, kind in enumerate(kinds):
        content = png_signature(n + 7)
        phone.files[sha(content)] = content
        refs.append({"sha256": sha(content), "kind": kind})
    return refs


# Each maker turns a freshly captured, valid `fail` mutation (items[0]) into a bad one of its kind.
def _set(key, value):
    def change(m, ctx):
        m[key] = value

    return change


def _drop(key):
    def change(m, ctx):
        del m[key]

    return change


def _reuse_id(m, ctx):
    m["id"] = ctx["first_id"]


def _deliver_without_relation(m, ctx):
    m.update(type="deliver", data={"receiver_name": "Lê Văn Tám"}, attachments=_signed(ctx["phone"]))


def _deliver_unsigned(m, ctx):
    m.update(
        type="deliver", data={"receiver_name": "Lê Văn Tám", "receiver_relation": "self"}, attachments=[]
    )


def _stranger(m, ctx):
    m["item_id"] = ctx["stranger"].id


def _collect_on_a_return_item(m, ctx):
    m.update(
        type="collect",
        data={"checklist": [], "seal_number": "NP-001"},
        attachments=_signed(ctx["phone"], ("signature", "postman_signature")),
    )


def _as_a_handover_of(m, ctx, item_ids):
    """The mutation made a handover of these items to the agency's officer."""
    m.pop("item_id")
    m.update(
        type="handover",
        data={
            "direction": "post_to_agency",
            "agency_id": ctx["agency_id"],
            "officer_name": "Phạm Thị Mai",
            "lines": [{"item_id": item_id} for item_id in item_ids],
        },
    )


def _handover_listing_an_item_twice(m, ctx):
    item = ctx["items"][1]
    _as_a_handover_of(m, ctx, [item, item])


def _handover_of_an_item_still_on_the_round(m, ctx):
    _as_a_handover_of(m, ctx, [ctx["items"][1]])


BAD_MUTATIONS = {
    "id too short": (_set("id", "abc"), {"invalid-mutation"}),
    "id not a string": (_set("id", 12345678), {"invalid-mutation"}),
    "id with spaces": (_set("id", "not an id at all"), {"invalid-mutation"}),
    "no id": (_drop("id"), {"invalid-mutation"}),
    "id of an earlier mutation": (_reuse_id, {"id-reused"}),
    "unknown type": (_set("type", "teleport"), {"invalid-mutation"}),
    "no type": (_drop("type"), {"invalid-mutation"}),
    "no device time": (_drop("at"), {"invalid-mutation"}),
    "device time without offset": (_set("at", "2026-11-26T09:00:00"), {"invalid-mutation"}),
    "unknown field": (_set("colour", "red"), {"invalid-mutation"}),
    "data not an object": (_set("data", ["not_home"]), {"invalid-mutation"}),
    "attachments not a list": (_set("attachments", {"sha256": "a"}), {"invalid-mutation"}),
    "invalid data": (_set("data", {"reason_code": "abducted by aliens"}), {"invalid-mutation"}),
    "deliver without receiver_relation": (_deliver_without_relation, {"invalid-mutation"}),
    "no item_id": (_drop("item_id"), {"invalid-mutation"}),
    "item_id not a number": (_set("item_id", "311"), {"invalid-mutation"}),
    "item_id beyond 32 bits": (_set("item_id", 2**40), {"invalid-mutation"}),
    "unsupported mutation version": (_set("v", 99), {"unsupported-mutation-version"}),
    "proof without its signature": (_deliver_unsigned, {"missing-attachment"}),
    "unknown item": (_set("item_id", 2**31 - 1), {"not-your-item"}),  # the same answer as a foreign item
    "another postman's item": (_stranger, {"not-your-item"}),
    "collect on a return item": (_collect_on_a_return_item, {"wrong-direction"}),
    "handover listing an item twice": (_handover_listing_an_item_twice, {"duplicate-line"}),
    "handover of an item still on the round": (
        _handover_of_an_item_still_on_the_round,
        {"handover-not-possible", "not-your-item"},
    ),
}


@pytest.mark.parametrize("kind", BAD_MUTATIONS)
def test_a_malformed_mutation_spends_its_number_and_the_good_ones_behind_it_are_applied(app, day, kind):
    phone, items, stranger = day
    make_bad, reasons = BAD_MUTATIONS[kind]
    first = phone.fail(items[0])
    phone.sync()  # seq 1 is on the server
    with app.app_context():
        agency_id = db.session.get(Item, items[1]).agency_id

    bad = phone.fail(items[0], reason="refused")  # seq 2, made bad below
    make_bad(
        bad,
        {
            "first_id": first["id"],
            "phone": phone,
            "stranger": stranger,
            "items": items,
            "agency_id": agency_id,
        },
    )
    sent_bad = copy.deepcopy(bad)
    phone.deliver(items[1], seed=1)  # seq 3
    phone.fail(items[2])  # seq 4
    body = phone.sync() and phone.outcomes

    by_seq = {r["seq"]: r for r in body.values()}
    assert by_seq[2]["outcome"] == "rejected" and by_seq[2]["reason"] in reasons, by_seq[2]
    assert by_seq[2]["retryable"] is False
    assert isinstance(by_seq[2]["detail"], str) and by_seq[2]["detail"]
    assert by_seq[3]["outcome"] == by_seq[4]["outcome"] == "applied"
    assert phone.outbox == []
    assert [(s, o) for s, o, _ in _ledger(app)] == [
        (1, "applied"),
        (2, "rejected"),
        (3, "applied"),
        (4, "applied"),
    ]
    with app.app_context():
        assert db.session.get(Item, items[1]).status == "delivered"
        assert db.session.get(Item, items[2]).status == "failed_attempt"
        assert db.session.get(Device, phone.device_id).last_seq == 4

    # The phone did not hear the answer and sends the bad one again: the stored outcome, nothing new.
    response = phone.client.post("/api/sync/push", json={"mutations": [sent_bad]}, headers=phone.headers)
    [again] = response.get_json()["results"]
    assert again["outcome"] == "duplicate" and again["original_outcome"] == "rejected"
    assert again["reason"] == by_seq[2]["reason"]
    assert len(_ledger(app)) == 4


@pytest.mark.parametrize("seq", [None, 0, -1, 1.5, "2", True, 2**53 + 1])
def test_a_mutation_without_a_usable_number_is_refused_and_blocks_nothing(app, day, seq):
    phone, items, _ = day
    bad = phone.fail(items[0])
    bad["seq"] = seq
    if seq is None:
        del bad["seq"]
    phone.seq = 0
    good = phone.fail(items[1])
    body = phone.sync() and phone.outcomes
    assert body[bad["id"]]["reason"] == "invalid-envelope" and body[bad["id"]]["retryable"] is False
    assert "seq" in body[bad["id"]]["errors"]
    assert body[good["id"]]["outcome"] == "applied" and body[good["id"]]["seq"] == 1
    assert _ledger(app) == [(1, "applied", None)]


def test_a_batch_naming_one_id_twice_applies_the_first_and_refuses_the_second_as_id_reused(app, day):
    """The batch asks the ledger once for all its ids; a row the batch itself has just written
    counts as taken for the mutations behind it."""
    phone, items, _ = day
    first, second, third = phone.fail(items[0]), phone.fail(items[1]), phone.fail(items[2])
    second["id"] = first["id"]
    response = phone.client.post(
        "/api/sync/push", json={"mutations": [first, second, third]}, headers=phone.headers
    )
    results = response.get_json()["results"]
    assert [(r["seq"], r["outcome"], r.get("reason")) for r in results] == [
        (1, "applied", None),
        (2, "rejected", "id-reused"),
        (3, "applied", None),
    ]
    assert _ledger(app) == [(1, "applied", None), (2, "rejected", "id-reused"), (3, "applied", None)]
    with app.app_context():
        proofs = db.session.execute(db.select(DeliveryAttempt.item_id)).scalars().all()
        assert sorted(proofs) == sorted([items[0], items[2]])


def test_two_proofs_for_one_item_in_one_batch_each_see_the_item_as_the_one_before_left_it(app, day):
    """The batch locks its items once; the second proof reads the item the first one moved."""
    phone, items, _ = day
    phone.fail(items[0])
    phone.deliver(items[0])
    phone.upload_files()
    first, second = phone.push()["results"]
    assert first["outcome"] == second["outcome"] == "applied"
    assert first["item"]["attempt_count"] == 1 and first["item"]["status"] == "failed_attempt"
    assert second["item"]["attempt_count"] == 1 and second["item"]["status"] == "delivered"
    with app.app_context():
        item = db.session.get(Item, items[0])
        assert (item.status, item.attempt_count) == ("delivered", 1)


def test_the_same_id_and_number_with_other_content_is_refused_as_id_reused(app, day):
    phone, items, _ = day
    original = phone.deliver(items[0], receipt_number="BL-0001")
    phone.sync()
    tampered = copy.deepcopy(original) | {"data": original["data"] | {"fee_collected": 0}}
    response = phone.client.post("/api/sync/push", json={"mutations": [tampered]}, headers=phone.headers)
    [result] = response.get_json()["results"]
    assert (
        result["outcome"] == "rejected" and result["reason"] == "id-reused" and result["retryable"] is False
    )
    assert result["errors"] == {"id": ["Already used with other content."]}
    # The exact same mutation is still a duplicate, and nothing was applied twice.
    response = phone.client.post("/api/sync/push", json={"mutations": [original]}, headers=phone.headers)
    assert response.get_json()["results"][0]["outcome"] == "duplicate"
    with app.app_context():
        [proof] = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
        assert proof.fee_collected == 26_000
    assert _ledger(app) == [(1, "applied", None)]


def test_a_phone_restored_from_a_backup_recovers_with_nothing_lost(app, day):
    """Morning: two proofs synced, then the phone is backed up. It works on (three more proofs, one of
    them still unsent) and is restored from the backup at noon: its counter is back at 2. The unsent
    proof is gone with the phone's data, but everything it syncs from now on must arrive."""
    phone, items, _ = day
    phone.fail(items[0])
    phone.deliver(items[1], seed=1)
    phone.sync()
    backup = copy.deepcopy({k: v for k, v in vars(phone).items() if k != "client"})
    phone.deliver(items[2], seed=2)
    phone.fail(items[3])
    phone.sync()
    assert _ledger(app)[-1][0] == 4

    vars(phone).update(copy.deepcopy(backup))  # restored: seq counter at 2
    phone.login()
    afternoon = [
        phone.deliver(items[4], seed=4),
        phone.fail(items[0], reason="refused"),
        phone.capture("fee", items[1], {"service_fee": 5_000, "receipt_number": "BL-0009"}),
    ]
    assert [m["seq"] for m in afternoon] == [3, 4, 5]  # 3 and 4 are spent on the server

    phone.upload_files()
    first = phone.push()
    reasons = {r["id"]: r.get("reason") for r in first["results"]}
    assert reasons[afternoon[0]["id"]] == reasons[afternoon[1]["id"]] == "sequence-reused"
    # 5 is free, but applying it before 3 and 4 would change the phone's order: it waits too.
    assert reasons[afternoon[2]["id"]] == "sequence-reused"
    assert all(r["retryable"] is True and r["expected_seq"] == 5 for r in first["results"])
    assert [m["seq"] for m in phone.outbox] == [5, 6, 7]  # renumbered after device_seq, same order

    second = phone.push()
    assert [r["outcome"] for r in second["results"]] == ["applied"] * 3
    assert phone.outbox == [] and second["device_seq"] == 7
    with app.app_context():
        mutation_ids = set(db.session.execute(db.select(SyncMutation.id)).scalars())
        assert {m["id"] for m in afternoon} <= mutation_ids
        assert db.session.get(Item, items[4]).status == "delivered"
    assert [o for _, o, _ in _ledger(app)] == ["applied"] * 7
    page = phone.pull()
    assert page["device_seq"] == 7


def test_a_restored_phone_that_resends_what_the_server_has_gets_duplicates_not_losses(app, day):
    phone, items, _ = day
    phone.fail(items[0])
    phone.fail(items[1])
    unsent = copy.deepcopy(phone.outbox)
    phone.sync()
    phone.outbox = copy.deepcopy(unsent)  # the backup still had them queued
    later = phone.fail(items[2])  # seq 3: new to the server
    body = phone.push()
    assert [r["outcome"] for r in body["results"]] == ["duplicate", "duplicate", "applied"]
    assert body["results"][2]["id"] == later["id"] and body["device_seq"] == 3


BAD_ENVELOPES = {
    "no mutations": ({"protocol": 1}, 422, "mutations"),
    "empty batch": ({"mutations": []}, 422, "mutations"),
    "oversized batch": (
        {"mutations": [{"id": f"m{n:07d}", "seq": n + 1} for n in range(201)]},
        422,
        "mutations",
    ),
    "mutations not a list": ({"mutations": {"id": "abcdefgh", "seq": 1}}, 422, "mutations"),
    "mutations a string": ({"mutations": "abc"}, 422, "mutations"),
    "a mutation not an object": ({"mutations": [{"id": "abcdefgh", "seq": 1}, 7]}, 422, "mutations"),
    "a mutation null": ({"mutations": [None]}, 422, "mutations"),
    "unknown top-level field": ({"mutations": [{"id": "abcdefgh", "seq": 1}], "device": "x"}, 422, "device"),
    "protocol not a number": (
        {"protocol": "one", "mutations": [{"id": "abcdefgh", "seq": 1}]},
        422,
        "protocol",
    ),
    "unsupported protocol": ({"protocol": 2, "mutations": [{"id": "abcdefgh", "seq": 1}]}, 400, "protocol"),
    "app_version too long": (
        {"app_version": "1." * 40, "mutations": [{"id": "abcdefgh", "seq": 1}]},
        422,
        "app_version",
    ),
    "app_version not text": (
        {"app_version": 14, "mutations": [{"id": "abcdefgh", "seq": 1}]},
        422,
        "app_version",
    ),
}


@pytest.mark.parametrize("kind", BAD_ENVELOPES)
def test_a_bad_push_envelope_is_a_4xx_problem_naming_the_field_and_records_nothing(app, day, kind):
    phone, _, _ = day
    body, status, field = BAD_ENVELOPES[kind]
    response = phone.client.post("/api/sync/push", json=body, headers=phone.headers)
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.headers["X-PostRound-Protocol"] == "1"
    assert field in response.get_json()["errors"]
    assert _ledger(app) == []


@pytest.mark.parametrize("value", ["9" * 33, "1.4.0\x07", "1.4.0\u200b" * 6])
def test_a_long_or_unprintable_app_header_is_a_400_naming_it(app, day, value):
    phone, items, _ = day
    phone.fail(items[0])
    for response in (
        phone.client.post(
            "/api/sync/push",
            json={"mutations": phone.outbox},
            headers=phone.headers | {"X-PostRound-App": value},
        ),
        phone.client.get("/api/sync/pull", headers=phone.headers | {"X-PostRound-App": value}),
    ):
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["errors"] == {"X-PostRound-App": ["At most 32 printable characters."]}
    assert _ledger(app) == []
    response = phone.client.post(
        "/api/sync/push",
        json={"mutations": phone.outbox},
        headers=phone.headers | {"X-PostRound-App": "1.4.0"},
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Device, phone.device_id).app_version == "1.4.0"


def _error_answers(app, make, phone):
    """One real request for each way a sync endpoint can fail."""
    client = phone.client
    supervisor = Phone(client, make.user("supervisor").username).login()
    digest = sha(jpeg_bytes(9))

    def two_bytes_of_a_photo(content_range: str):
        return client.put(
            f"/api/sync/attachments/{digest}",
            data=b"xy",
            headers=phone.headers | {"Content-Range": content_range},
        )

    yield "no token", client.get("/api/sync/pull")
    yield "bad token", client.get("/api/sync/pull", headers={"Authorization": "Bearer not.a.token"})
    yield "wrong role", client.post("/api/sync/push", json={"mutations": []}, headers=supervisor.headers)
    yield "no device", client.get("/api/sync/pull", headers=supervisor.headers)
    yield "unknown path", client.get("/api/sync/nothing-here", headers=phone.headers)
    yield "wrong method", client.delete("/api/sync/push", headers=phone.headers)
    yield (
        "bad cursor",
        client.get("/api/sync/pull", query_string={"cursor": "yesterday"}, headers=phone.headers),
    )
    yield (
        "unsupported protocol",
        client.get("/api/sync/pull", headers=phone.headers | {"X-PostRound-Protocol": "7"}),
    )
    yield (
        "malformed JSON",
        client.post("/api/sync/push", data=b"{", content_type="application/json", headers=phone.headers),
    )
    yield (
        "body too large",
        client.post(
            "/api/sync/push",
            data=b"[" + b" " * (3 * 1024 * 1024) + b"]",
            content_type="application/json",
            headers=phone.headers,
        ),
    )
    yield "bad envelope", client.post("/api/sync/push", json={"mutations": []}, headers=phone.headers)
    yield "bad digest", client.put(f"/api/sync/attachments/{'G' * 64}", data=b"x", headers=phone.headers)
    yield "offset mismatch", two_bytes_of_a_photo("bytes 5-6/100")
    yield "bad content range", two_bytes_of_a_photo("lines 1-2")
    yield (
        "not an image",
        client.put(
            f"/api/sync/attachments/{sha(b'hello world')}", data=b"hello world", headers=phone.headers
        ),
    )
    with app.app_context():
        db.session.get(Device, phone.device_id).revoked_at = db.func.now()
        db.session.commit()
    yield "revoked device", client.get("/api/sync/pull", headers=phone.headers)
    yield (
        "database failing",
        _pull_while_a_table_is_missing(app, Phone(client, make.user("postman").username).login()),
    )


def _pull_while_a_table_is_missing(app, phone):
    """The database fails under the request (its change counter is gone), then comes back."""
    with app.app_context():
        db.session.execute(db.text("ALTER TABLE sync_clock RENAME TO sync_clock_away"))
        db.session.commit()
    try:
        return phone.client.get("/api/sync/pull", headers=phone.headers)
    finally:
        with app.app_context():
            db.session.rollback()
            db.session.execute(db.text("ALTER TABLE sync_clock_away RENAME TO sync_clock"))
            db.session.commit()


def test_every_sync_error_carries_the_protocol_header_and_a_documented_problem_type(app, make, day):
    phone, _, _ = day
    doc = _doc()
    seen = {}
    for name, response in _error_answers(app, make, phone):
        assert response.status_code >= 400, (name, response.status_code)
        assert response.headers.get("X-PostRound-Protocol") == "1", name
        assert response.content_type == "application/problem+json", name
        problem = response.get_json()
        slug = problem["type"].rsplit("/", 1)[-1]
        assert f"`{slug}`" in doc, f"{name}: problem type {slug} is not documented in docs/sync-protocol.md"
        for value in (problem.get("errors") or {}).values():
            assert _is_error_shape(value), (name, problem["errors"])
        seen[name] = response.status_code
    assert {401, 403, 404, 405, 400, 409, 413, 422} <= set(seen.values())
    assert seen["database failing"] >= 500
    assert seen["offset mismatch"] == 409


def test_an_offset_mismatch_says_how_much_the_server_has_as_a_number(day):
    phone, _, _ = day
    photo = jpeg_bytes(5, (200, 150))
    url = f"/api/sync/attachments/{sha(photo)}"
    phone.client.put(
        url, data=photo[:100], headers=phone.headers | {"Content-Range": f"bytes 0-99/{len(photo)}"}
    )
    response = phone.client.put(
        url, data=photo[200:300], headers=phone.headers | {"Content-Range": f"bytes 200-299/{len(photo)}"}
    )
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["received"] == 100 and problem["errors"]["received"] == ["100"]


def _is_error_shape(value) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(
        isinstance(k, str) and _is_error_shape(v) for k, v in value.items()
    )


def test_every_rejection_carries_retryable_and_errors_in_the_one_shape(app, day):
    phone, items, stranger = day
    phone.fail(stranger.id)
    nested = phone.capture(
        "collect", items[0], {"checklist": [{"name": "Tờ khai", "form": "photocopy"}], "seal_number": "NP-1"}
    )
    phone.capture("deliver", items[1], {"receiver_name": "X", "receiver_relation": "self"})
    gap = phone.fail(items[2])
    gap["seq"] = 40
    phone.push()
    results = list(phone.outcomes.values())
    assert {r["outcome"] for r in results} == {"rejected"}
    for result in results:
        assert isinstance(result["retryable"], bool), result
        assert _is_error_shape(result.get("errors", {})), result
    assert phone.outcomes[gap["id"]]["expected_seq"] == 4
    assert phone.outcomes[nested["id"]]["errors"]["data"]["checklist"]["0"]["form"]


def _doc() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "docs" / "sync-protocol.md").read_text(encoding="utf-8")


def test_mutation_ids_from_a_uuid_generator_are_accepted(day):
    phone, items, _ = day
    mutation = phone.fail(items[0])
    mutation["id"] = str(uuid.uuid4())  # with dashes: 36 characters of the alphabet
    body = phone.push()
    assert body["results"][0]["outcome"] == "applied"
