"""The sync protocol as plain Python, without HTTP: duplicates, order, stale state, conflicts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, Device, Item, ScopeRemoval, SyncMutation, User
from backend.services.item_events import apply_event
from sync.changes import current_seq
from sync.protocol import Cursor
from sync.pull import pull
from sync.push import push

TODAY = date(2026, 11, 26)
SIG = {"sha256": "a" * 64, "kind": "signature"}


def mutation(seq, kind, item_id, **data):
    defaults = {
        "deliver": {"receiver_name": "Võ Thị Lan", "receiver_relation": "self"},
        "fail": {"reason_code": "not_home"},
    }
    return {
        "id": uuid.uuid4().hex,
        "seq": seq,
        "type": kind,
        "item_id": item_id,
        "at": datetime(2026, 11, 26, 9, 30, tzinfo=UTC).isoformat(),
        "data": defaults.get(kind, {}) | data,
        "attachments": [SIG] if kind == "deliver" else [],
    }


@pytest.fixture
def scene(app, make):
    postman = make.user("postman")
    items = [make.item() for _ in range(3)]
    make.round(postman, TODAY, items=items)
    with app.app_context():
        db.session.add(Device(id="dev-1", user_id=postman.id))
        db.session.commit()
    ctx = app.app_context()
    ctx.push()
    yield db.session.get(User, postman.id), [i.id for i in items]
    db.session.remove()
    ctx.pop()


def run(user, *mutations):
    return push(db.session, user, "dev-1", list(mutations), "test")


def test_a_duplicate_returns_the_stored_outcome_and_changes_nothing(scene):
    user, items = scene
    m = mutation(1, "deliver", items[0])
    first = run(user, m)["results"][0]
    again = run(user, m)["results"][0]
    assert first["outcome"] == "applied" and again["outcome"] == "duplicate"
    assert again["proof_id"] == first["proof_id"]
    assert db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 1


def test_a_batch_sent_out_of_order_is_applied_in_device_order(scene):
    user, items = scene
    ms = [mutation(n + 1, "fail", items[n]) for n in range(3)]
    results = run(user, ms[2], ms[0], ms[1])["results"]
    assert [r["seq"] for r in results] == [1, 2, 3]
    assert all(r["outcome"] == "applied" for r in results)


def test_a_gap_is_refused_without_effect_and_the_sequence_reused_is_refused(scene):
    user, items = scene
    gap = run(user, mutation(2, "fail", items[0]))["results"][0]
    assert gap["reason"] == "sequence-gap" and gap["retryable"]
    run(user, mutation(1, "fail", items[0]))
    reused = run(user, mutation(1, "fail", items[1]))["results"][0]  # same seq, another mutation
    assert reused["reason"] == "sequence-reused"
    assert db.session.get(Item, items[1]).status == "assigned"
    assert db.session.execute(db.select(db.func.count(SyncMutation.id))).scalar_one() == 1


def test_a_stale_delivery_of_an_item_already_delivered_is_kept_and_flagged(scene):
    user, items = scene
    run(user, mutation(1, "deliver", items[0]))
    second = run(user, mutation(2, "deliver", items[0]))["results"][0]
    assert second["outcome"] == "applied" and second["flag"] == "status-delivered"
    proofs = db.session.execute(db.select(DeliveryAttempt).order_by(DeliveryAttempt.id)).scalars().all()
    assert [p.flagged for p in proofs] == [False, True]


def test_a_proof_for_a_cancelled_item_is_kept_and_flagged(scene):
    user, items = scene
    apply_event(db.session.get(Item, items[1]), "cancel")
    db.session.commit()
    result = run(user, mutation(1, "deliver", items[1]))["results"][0]
    assert result["outcome"] == "applied" and result["flag"] == "item-cancelled"
    assert db.session.get(Item, items[1]).status == "cancelled"


def test_a_proof_for_a_reassigned_item_is_kept_and_flagged(scene, make):
    user, items = scene
    other = make.user("postman")
    other_round = make.round(other, TODAY)
    item = db.session.get(Item, items[2])
    item.round_id = other_round.id
    apply_event(item, "assign")
    db.session.commit()
    result = run(user, mutation(1, "fail", items[2]))["results"][0]
    assert result["flag"] == "item-reassigned"
    assert db.session.get(Item, items[2]).attempt_count == 0  # the other postman's item is untouched


def test_reaching_the_attempt_limit_sends_the_item_back_to_the_agency(scene, app):
    user, items = scene
    item = db.session.get(Item, items[0])
    item.attempt_count = app.config["FAILED_ATTEMPT_LIMIT"] - 1
    # ... and the regulation's first invitation was made weeks ago, so this one is the second.
    item.invitation_count, item.last_invitation_on = 1, date(2026, 1, 5)
    db.session.commit()
    result = run(user, mutation(1, "fail", items[0]))["results"][0]
    assert result["item"]["status"] == "return_to_agency"


def test_pull_sends_changes_after_the_cursor_and_removals(scene, make):
    user, items = scene
    first = pull(db.session, user.id, 0, Cursor(), TODAY)
    assert first["reset"] and len(first["items"]) == 3
    cursor = Cursor.decode(first["cursor"])
    assert cursor.from_seq == current_seq(db.session)

    unchanged = pull(db.session, user.id, 0, cursor, TODAY)
    assert unchanged["items"] == [] and unchanged["removed"] == []

    apply_event(db.session.get(Item, items[0]), "cancel")
    db.session.get(Item, items[1]).note = "Gọi trước 30 phút"
    db.session.commit()
    later = pull(db.session, user.id, 0, cursor, TODAY)
    assert [i["id"] for i in later["items"]] == [items[1]]
    assert later["removed"] == [items[0]]
    assert db.session.execute(db.select(ScopeRemoval.reason)).scalars().all() == ["cancelled"]


def test_pull_pages_are_resumable_and_cover_every_item(scene):
    user, items = scene
    seen, cursor, pages = [], Cursor(), 0
    while True:
        page = pull(db.session, user.id, 0, cursor, TODAY, limit=1)
        seen += [i["id"] for i in page["items"]]
        cursor, pages = Cursor.decode(page["cursor"]), pages + 1
        if not page["more"]:
            break
    assert sorted(seen) == sorted(items) and pages == 3


def test_a_cursor_from_yesterday_starts_over(scene):
    user, _ = scene
    stale = Cursor(from_seq=999, scope_day=date(2026, 11, 25))
    assert pull(db.session, user.id, 0, stale, TODAY)["reset"] is True


def test_the_first_proof_starts_the_round(scene):
    from backend.models import Round

    user, items = scene
    round_id = db.session.get(Item, items[0]).round_id
    assert db.session.get(Round, round_id).status == "planned"
    run(user, mutation(1, "fail", items[0]))
    assert db.session.get(Round, round_id).status == "in_progress"


def test_a_rejected_mutation_rolls_back_only_itself_and_its_batch_mates_commit_with_it(scene):
    user, items = scene
    batch = [
        mutation(1, "deliver", items[0]),
        mutation(2, "deliver", 999_999),  # not on this postman's rounds: refused, its number spent
        mutation(3, "fail", items[1]),
    ]
    results = run(user, *batch)["results"]
    assert [(r["seq"], r["outcome"]) for r in results] == [(1, "applied"), (2, "rejected"), (3, "applied")]
    assert results[1]["reason"] == "not-your-item"
    db.session.remove()
    attempts = db.session.execute(db.select(DeliveryAttempt.item_id, DeliveryAttempt.outcome)).all()
    assert sorted(attempts) == sorted([(items[0], "delivered"), (items[1], "failed")])
    ledger = db.session.execute(db.select(SyncMutation.device_seq, SyncMutation.outcome)).all()
    assert sorted(ledger) == [(1, "applied"), (2, "rejected"), (3, "applied")]
    assert db.session.get(Device, "dev-1").last_seq == 3


def test_a_batch_whose_commit_is_lost_leaves_nothing_and_is_applied_once_when_sent_again(scene, monkeypatch):
    """The server answers only after the batch's one COMMIT: if that fails (the database connection
    drops), nothing of the batch was kept, and the phone's retry applies every mutation once."""
    from sqlalchemy.exc import OperationalError

    user, items = scene
    batch = [
        mutation(1, "deliver", items[0]),
        mutation(2, "fail", items[1]),
        mutation(3, "deliver", items[2]),
    ]

    def connection_lost():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patch:
        patch.setattr(db.session, "commit", connection_lost)
        with pytest.raises(OperationalError):
            run(user, *batch)
    db.session.rollback()
    assert db.session.execute(db.select(DeliveryAttempt)).first() is None
    assert db.session.execute(db.select(SyncMutation)).first() is None
    assert db.session.get(Device, "dev-1").last_seq == 0
    assert {db.session.get(Item, i).status for i in items} == {"assigned"}

    again = run(user, *batch)
    assert [r["outcome"] for r in again["results"]] == ["applied"] * 3 and again["device_seq"] == 3
    once_more = run(user, *batch)
    assert [r["outcome"] for r in once_more["results"]] == ["duplicate"] * 3
    db.session.remove()
    assert len(db.session.execute(db.select(DeliveryAttempt)).all()) == 3
    assert [db.session.get(Item, i).status for i in items] == ["delivered", "failed_attempt", "delivered"]
