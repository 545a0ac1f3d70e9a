"""Sync under real concurrency, on PostgreSQL: phones and a supervisor at the same time.

Each actor gets an app of its own (its own engine, so its own database connections) and
its own test client, in its own thread; a Barrier starts them together. The invariants are
those of docs/sync-protocol.md: one effect per mutation, every proof kept (flagged when the
item moved meanwhile), statuses only along the state machine, phones converge on a pull.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.domain.status import Event, Status, allowed, next_status
from backend.extensions import db
from backend.models import (
    Attachment,
    AuditEntry,
    DeliveryAttempt,
    Device,
    FeeEntry,
    Item,
    Round,
    SyncMutation,
)
from backend.timeutil import local_today
from sync.pull import ITEM_COLUMNS, item_row, scope_days
from tests.conftest import _test_config
from tests.factories import Factory
from tests.kit.phone import Phone

pytestmark = pytest.mark.postgres

WAIT = 30  # seconds any thread or hand-off may take before the test gives up


# Fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def pg_url(_pg_schema):
    """The run's PostgreSQL database, emptied first (as conftest's `app` fixture does)."""
    app = create_app(_test_config(_pg_schema))
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return _pg_schema


@pytest.fixture
def new_app(pg_url, tmp_path):
    """new_app(**config) -> one more app on the same database and storage, with an engine of its own.

    Exceptions are not propagated, so a crash answers 500 as it does behind gunicorn.
    """
    apps = []

    def build(**extra):
        # A paused statement (Pause below) may hold a lock up to WAIT seconds while another
        # connection waits for it: the statement timeout must outlast that hand-off.
        app = create_app(
            _test_config(
                pg_url,
                STORAGE_DIR=str(tmp_path / "storage"),
                PROPAGATE_EXCEPTIONS=False,
                DB_STATEMENT_TIMEOUT_MS=(WAIT + 30) * 1000,
                **extra,
            )
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def server(new_app):
    """The app the test itself uses for setting up and checking."""
    return new_app()


@pytest.fixture
def make(server):
    return Factory(server)


def _today(app) -> date:
    with app.app_context():
        return local_today()


# Helpers ----------------------------------------------------------------------------------------


def run_together(*actors: Callable[[], object]) -> list:
    """Run each actor in its own thread, released together by a Barrier; their results in order.

    An exception in an actor is re-raised here (never left to an unhandled-thread warning).
    """
    barrier = threading.Barrier(len(actors))
    results: list = [None] * len(actors)
    errors: list[BaseException | None] = [None] * len(actors)

    def run(index: int, actor: Callable[[], object]) -> None:
        try:
            barrier.wait(WAIT)
            results[index] = actor()
        except BaseException as error:  # reported by the main thread below
            errors[index] = error

    threads = [threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "an actor hung (deadlock?)"
    for error in errors:
        if error is not None:
            raise error
    return results


def post_push(client, phone: Phone, mutations: list[dict]):
    return client.post("/api/sync/push", json={"protocol": 1, "mutations": mutations}, headers=phone.headers)


def push_until_done(phone: Phone, attempts: int = 20) -> list[int]:
    """Push the outbox as a phone does: keep what got no definite answer and send it again.

    Returns the HTTP status of every attempt; a push racing a supervisor's planning still gets
    a 200 with an outcome per mutation, never a server error.
    """
    statuses = []
    while phone.outbox and len(statuses) < attempts:
        response = post_push(phone.client, phone, phone.outbox)
        statuses.append(response.status_code)
        assert response.status_code == 200, response.get_json()
        done = set()
        for result in response.get_json()["results"]:
            phone.outcomes[result["id"]] = result
            if result["outcome"] != "rejected" or not result.get("retryable"):
                done.add(result["id"])
        phone.outbox = [m for m in phone.outbox if m["id"] not in done]
    assert not phone.outbox, f"the outbox never drained: {statuses}, {phone.outcomes}"
    return statuses


def upload(phone: Phone) -> None:
    phone.upload_files()
    phone.files.clear()


def count_by(session, column) -> Counter:
    return Counter(session.execute(sa.select(column)).scalars())


def status_history_problems(session) -> list[str]:
    """Every item's audited status changes must chain along the state machine, ending where it is."""
    problems = []
    items = {i.code: i for i in session.execute(sa.select(Item)).unique().scalars()}
    entries = session.execute(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "item", AuditEntry.action.like("item.%"))
        .order_by(AuditEntry.id)
    ).scalars()
    current = dict.fromkeys(items)
    for entry in entries:
        item, event, change = items[entry.entity_id], entry.action.removeprefix("item."), entry.detail
        before, after = change["from"], change["to"]
        if current[item.code] is not None and current[item.code] != before:
            problems.append(
                f"{item.code}: '{event}' starts from {before}, but the item was {current[item.code]}"
            )
        if not allowed(item.direction, before, event):
            problems.append(f"{item.code}: '{event}' is not allowed from {before}")
        else:
            targets = {next_status(item.direction, before, event).value}
            if event == Event.FAIL:
                targets.add(Status.RETURN_TO_AGENCY.value)
            if after not in targets:
                problems.append(f"{item.code}: '{event}' from {before} led to {after}")
        current[item.code] = after
    for code, status in current.items():
        if status is not None and items[code].status != status:
            problems.append(
                f"{code}: the last audited status is {status} but the item is {items[code].status}"
            )
        if items[code].status not in {s.value for s in Status}:
            problems.append(f"{code}: unknown status {items[code].status}")
    return problems


def server_items_of(session, postman_id: int, today) -> dict[int, dict]:
    """What a full pull would give the postman's phone: the items on their in-scope rounds."""
    first, last = scope_days(today)
    rounds = sa.select(Round.id).where(Round.postman_id == postman_id, Round.round_date.between(first, last))
    rows = session.execute(sa.select(*ITEM_COLUMNS).where(Item.round_id.in_(rounds))).all()
    items = {}
    for row in rows:
        item = item_row(row, 2)  # the pull's own serialisation (dates as text, next_attempt_from)
        items[item["id"]] = item
    return items


class Pause:
    """Stop one engine's connection right at a chosen SQL statement until the test lets it go on.

    This makes a race happen every time instead of once in a while.
    """

    def __init__(self, app, when: str, match: str):
        self.match = match
        self.reached, self.resume = threading.Event(), threading.Event()
        self._used = False
        with app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, when, self._hook)

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        if not self._used and self.match in statement:
            self._used = True
            self.reached.set()
            self.resume.wait(WAIT)

    def then(self, action: Callable[[], object], stage: str) -> Callable[[], object]:
        """An actor for run_together: once the paused side has `stage` (reached the statement), do
        `action`, then let it go on; returns what `action` returns."""

        def actor():
            assert self.reached.wait(WAIT), f"the push never {stage}"
            try:
                return action()
            finally:
                self.resume.set()

        return actor


# (a) the same push from two connections at once ------------------------------------------------


def test_the_same_push_sent_twice_at_once_has_exactly_one_effect(server, new_app, make):
    postman = make.user("postman")
    items = [make.item() for _ in range(30)]
    make.round(postman, _today(server), items=items)
    phone = Phone(server.test_client(), postman.username).login()
    clients = [new_app().test_client(), new_app().test_client()]
    remaining = iter(items)

    pushed = []
    for round_number in range(10):
        phone.deliver(next(remaining).id, seed=round_number)
        phone.fail(next(remaining).id)
        phone.deliver(next(remaining).id, seed=100 + round_number, fee_collected=18_000)
        upload(phone)
        batch, phone.outbox = phone.outbox, []
        pushed += batch

        first, second = run_together(*(lambda c=c, b=batch: post_push(c, phone, b) for c in clients))

        assert (first.status_code, second.status_code) == (200, 200), (first.get_json(), second.get_json())
        bodies = [first.get_json(), second.get_json()]
        assert [b["device_seq"] for b in bodies] == [phone.seq, phone.seq]
        for index, mutation in enumerate(batch):
            results = [b["results"][index] for b in bodies]
            assert {r["id"] for r in results} == {mutation["id"]}
            assert sorted(r["outcome"] for r in results) == ["applied", "duplicate"], results
            duplicate = next(r for r in results if r["outcome"] == "duplicate")
            applied = next(r for r in results if r["outcome"] == "applied")
            assert duplicate["original_outcome"] == "applied"
            assert duplicate["proof_id"] == applied["proof_id"]

    with server.app_context():
        ids = {m["id"] for m in pushed}
        delivers = {m["id"] for m in pushed if m["type"] == "deliver"}
        assert count_by(db.session, SyncMutation.id) == dict.fromkeys(ids, 1)
        assert count_by(db.session, DeliveryAttempt.client_mutation_id) == dict.fromkeys(ids, 1)
        assert count_by(db.session, FeeEntry.client_mutation_id) == dict.fromkeys(delivers, 1)
        proofs = db.session.execute(sa.select(DeliveryAttempt)).scalars().all()
        assert all(p.complete and not p.flagged for p in proofs)
        assert db.session.get(Device, phone.device_id).last_seq == len(pushed) == phone.seq
        statuses = Counter(db.session.execute(sa.select(Item.status)).scalars())
        assert statuses == {"delivered": 20, "failed_attempt": 10}
        assert status_history_problems(db.session) == []


# (b) two postmen and a supervisor at once ------------------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
def test_two_postmen_and_a_supervisor_at_once_leave_a_consistent_state(server, new_app, make, attempt):
    today = _today(server)
    postman_a, postman_b, supervisor = make.user("postman"), make.user("postman"), make.user("supervisor")
    items_a = [make.item() for _ in range(12)]
    items_b = [make.item() for _ in range(8)]
    make.round(postman_a, today, items=items_a)
    round_b = make.round(postman_b, today, items=items_b)
    # Every other item of A's, from the end of the round, so A and the supervisor meet halfway.
    moving = [item.id for item in items_a[attempt % 2 :: 2]][::-1]

    phone_a = Phone(new_app().test_client(), postman_a.username).login()
    phone_b = Phone(new_app().test_client(), postman_b.username).login()
    office = Phone(new_app().test_client(), supervisor.username).login()
    phone_a.pull()
    phone_b.pull()
    batches_a = [
        [phone_a.deliver(item.id, seed=n) for n, item in enumerate(items_a[k : k + 2], start=k)]
        for k in range(0, len(items_a), 2)
    ]
    batches_b = [[phone_b.fail(item.id) for item in items_b[k : k + 2]] for k in range(0, len(items_b), 2)]
    files_a, phone_a.files = dict(phone_a.files), {}
    captured = phone_a.outbox + phone_b.outbox
    phone_a.outbox, phone_b.outbox = [], []

    def postman_a_delivers():
        statuses = []
        for batch in batches_a:
            phone_a.outbox = list(batch)
            statuses += push_until_done(phone_a)
            for mutation in batch:  # then the photos of those proofs
                phone_a.files = {ref["sha256"]: files_a[ref["sha256"]] for ref in mutation["attachments"]}
                upload(phone_a)
        return statuses

    def postman_b_fails():
        statuses = []
        for batch in batches_b:
            phone_b.outbox = list(batch)
            statuses += push_until_done(phone_b)
        return statuses

    def supervisor_reassigns():
        outcome = {}
        for item_id in moving:
            for _ in range(20):
                response = office.client.post(
                    f"/api/rounds/{round_b.id}/assign", json={"item_ids": [item_id]}, headers=office.headers
                )
                kind = (response.get_json() or {}).get("type", "").rsplit("/", 1)[-1]
                if response.status_code == 200:
                    outcome[item_id] = "moved"
                    break
                assert response.status_code == 409, response.get_json()
                if kind == "illegal-transition":  # A delivered it first: nothing to move
                    outcome[item_id] = "refused"
                    break
                assert kind == "edit-conflict", response.get_json()
            else:
                pytest.fail(f"item {item_id} kept conflicting")
        return outcome

    statuses_a, statuses_b, moved = run_together(postman_a_delivers, postman_b_fails, supervisor_reassigns)
    assert set(moved) == set(moving)

    with server.app_context():
        session = db.session
        ledger = {row.id: row for row in session.execute(sa.select(SyncMutation)).scalars()}
        assert count_by(session, SyncMutation.id) == {m["id"]: 1 for m in captured}
        assert {row.outcome for row in ledger.values()} == {"applied"}, [r.result for r in ledger.values()]
        proofs = {p.client_mutation_id: p for p in session.execute(sa.select(DeliveryAttempt)).scalars()}
        assert count_by(session, DeliveryAttempt.client_mutation_id) == {m["id"]: 1 for m in captured}
        assert count_by(session, FeeEntry.client_mutation_id) == {m["id"]: 1 for b in batches_a for m in b}
        assert all(p.complete for p in proofs.values())

        for mutation in (m for batch in batches_a for m in batch):
            proof, item = proofs[mutation["id"]], session.get(Item, mutation["item_id"])
            if moved.get(item.id) == "moved":  # the supervisor won: proof kept, flagged; B now has it
                assert (proof.flagged, proof.flag_reason) == (True, "item-reassigned")
                assert (item.round_id, item.status) == (round_b.id, "assigned")
            else:  # A's delivery won: the move was refused
                assert (proof.flagged, proof.outcome) == (False, "delivered")
                assert item.status == "delivered" and item.round_id != round_b.id
        for mutation in (m for batch in batches_b for m in batch):
            assert not proofs[mutation["id"]].flagged
            assert session.get(Item, mutation["item_id"]).status == "failed_attempt"

        assert status_history_problems(session) == []
        for phone in (phone_a, phone_b):
            device = session.get(Device, phone.device_id)
            recorded = session.execute(
                sa.select(sa.func.count())
                .select_from(SyncMutation)
                .where(SyncMutation.device_id == device.id)
            ).scalar_one()
            assert device.last_seq == recorded == phone.seq

    for phone, postman in ((phone_a, postman_a), (phone_b, postman_b)):
        phone.pull()
        with server.app_context():
            assert phone.items == server_items_of(db.session, postman.id, today)
    for item_id, how in moved.items():  # spelled out: a moved item left A's phone and reached B's
        assert (item_id in phone_a.items, item_id in phone_b.items) == (
            (False, True) if how == "moved" else (True, False)
        )


# Races made to happen every time ---------------------------------------------------------------


def test_a_proof_pushed_while_its_photo_upload_finishes_still_becomes_complete(server, new_app, make):
    """The push checks which files are verified; the upload, committing just then, marks the
    proofs waiting for it complete. Neither sees the other's uncommitted rows."""
    postman = make.user("postman")
    item = make.item()
    make.round(postman, _today(server), items=[item])
    pusher = Phone(new_app().test_client(), postman.username).login()
    uploader = Phone(new_app().test_client(), postman.username, device_id=pusher.device_id)
    uploader.headers = pusher.headers
    mutation = pusher.deliver(item.id)
    uploader.files = dict(pusher.files)
    pause = Pause(pusher.client.application, "after_cursor_execute", "FROM attachments")

    response, _ = run_together(
        lambda: post_push(pusher.client, pusher, pusher.outbox),
        pause.then(lambda: upload(uploader), "checked its attachments"),
    )
    assert response.status_code == 200
    assert response.get_json()["results"][0]["outcome"] == "applied"
    # Whatever the phone does next cannot repair it: both files and the push are already done.
    uploader.files = dict(pusher.files)
    upload(uploader)
    assert post_push(pusher.client, pusher, pusher.outbox).get_json()["results"][0]["outcome"] == "duplicate"

    with server.app_context():
        assert (
            db.session.execute(
                sa.select(sa.func.count()).select_from(Attachment).where(Attachment.verified.is_(True))
            ).scalar_one()
            == 2
        )
        proof = db.session.execute(sa.select(DeliveryAttempt)).scalar_one()
        assert proof.client_mutation_id == mutation["id"]
        assert proof.complete, "every file of the proof is verified, yet the proof stays incomplete"


@pytest.mark.parametrize("delivered", ["the moved item", "the next stop, renumbered by the move"])
def test_a_delivery_racing_a_reassignment_gets_an_outcome_and_does_not_block_the_batch(
    server, new_app, make, delivered
):
    """The push reads which round its item is on, the supervisor moves an item of the round away
    and commits (renumbering the stops left behind), then the push locks the round and the item
    and writes. The mutation must come back applied (flagged if its item left) or retryable,
    never as a server error that also takes the rest of the batch down."""
    today = _today(server)
    postman, other, supervisor = make.user("postman"), make.user("postman"), make.user("supervisor")
    moved, next_stop, last_stop = make.item(), make.item(), make.item()
    make.round(postman, today, items=[moved, next_stop, last_stop])
    other_round = make.round(other, today)
    phone = Phone(new_app().test_client(), postman.username).login()
    office = Phone(new_app().test_client(), supervisor.username).login()
    phone.pull()
    target = moved if delivered == "the moved item" else next_stop
    deliver = phone.deliver(target.id)
    fail = phone.fail(last_stop.id)
    upload(phone)
    # Before the push takes its locks (backend.services.locks): after that, the supervisor waits.
    pause = Pause(phone.client.application, "after_cursor_execute", "SELECT items.round_id \nFROM items")

    def reassign():
        return office.client.post(
            f"/api/rounds/{other_round.id}/assign", json={"item_ids": [moved.id]}, headers=office.headers
        )

    response, assigned = run_together(
        lambda: post_push(phone.client, phone, phone.outbox), pause.then(reassign, "read its item's round")
    )
    assert assigned.status_code == 200, assigned.get_json()
    assert response.status_code == 200, response.get_json()
    results = {r["id"]: r for r in response.get_json()["results"]}
    assert results[fail["id"]]["outcome"] == "applied"
    first = results[deliver["id"]]
    assert first["outcome"] == "applied" or (first["outcome"] == "rejected" and first["retryable"]), first

    push_until_done(phone)
    with server.app_context():
        proof = db.session.execute(
            sa.select(DeliveryAttempt).where(DeliveryAttempt.client_mutation_id == deliver["id"])
        ).scalar_one()
        assert db.session.get(Item, moved.id).round_id == other_round.id
        if target is moved:
            assert (proof.flagged, proof.flag_reason) == (True, "item-reassigned")
        else:
            assert not proof.flagged and db.session.get(Item, target.id).status == "delivered"
