"""An agency's system registers a webhook on its own HTTP receiver and is told of its items' day.

Every request the receiver gets is checked with the `standardwebhooks` package (webhook-id,
webhook-timestamp, webhook-signature over "id.timestamp.body" with the endpoint's whsec_ secret).
The changes are made the ways they happen: a supervisor receives an item and puts it on a round,
a phone pushes a failed visit and a delivery, a supervisor moves an item off a round and back, a
postman records a handover. The queue is the real one (Huey on a file); `run_queued` does what a
consumer's worker does. A dead receiver gets retries with a doubling backoff, the log shows each
attempt, and a replay later reaches it.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from backend.extensions import db
from backend.models import AuditEntry, WebhookAttempt, WebhookDelivery
from backend.models.base import now_utc
from backend.services import webhooks
from tests.jobs_helpers import Consumer, run_queued
from tests.kit.http import Quiet, Serving
from tests.kit.phone import Phone


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True, "WEBHOOK_TIMEOUT_SECONDS": 2.0}


class Receiver(Serving):
    """The agency's HTTP server: keeps every request; answers `status` (500: a broken one)."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 204
        receiver = self

        class Handler(Quiet):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.answer(receiver.status)

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return super().url + "/postround/hooks?src=post"

    def verified(self, secret: str) -> list[dict]:
        """Every body received, each checked against its signature (raises on a bad one)."""
        hook = Webhook(secret)
        return [hook.verify(body, headers) for headers, body in self.requests]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def register(client, headers, url, events=("item.status_changed", "item.attempt_failed", "handover.signed")):
    response = client.post("/api/agency/webhooks", json={"url": url, "events": list(events)}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def a_day(client, make, auth, agency_world) -> dict:
    """A day of changes to the agency's items (and one of another agency's)."""
    staff = auth(agency_world["supervisor"])
    ours = [make.item(agency_id=agency_world["agency"].id, status="registered") for _ in range(3)]
    theirs = make.item(agency_id=agency_world["other_agency"].id, status="at_post_office")
    for item in ours:
        response = client.post(
            f"/api/items/{item.id}/events", json={"event": "receive_from_agency"}, headers=staff
        )
        assert response.status_code == 200, response.get_json()
    ids = [item.id for item in ours] + [theirs.id]
    rid = agency_world["round"].id
    assert client.post(f"/api/rounds/{rid}/assign", json={"item_ids": ids}, headers=staff).status_code == 200
    # Moved off the round and back between two polls: two events.
    moved = ours[2].id
    assert (
        client.post(f"/api/rounds/{rid}/unassign", json={"item_ids": [moved]}, headers=staff).status_code
        == 200
    )
    assert (
        client.post(f"/api/rounds/{rid}/assign", json={"item_ids": [moved]}, headers=staff).status_code == 200
    )
    # An address corrected: nothing the agency's status shows changed, no event.
    patched = client.patch(f"/api/items/{moved}", json={"address_line": "Tổ 9, Ấp Láng Cát"}, headers=staff)
    assert patched.status_code == 200, patched.get_json()
    phone = Phone.with_its_round(client, agency_world["postman"].username)
    phone.fail(ours[0].id, reason="not_home")
    phone.deliver(ours[1].id, seed=1)
    phone.upload_files()
    phone.push()
    return {"ours": ours, "theirs": theirs, "phone": phone}


def test_each_change_of_the_day_reaches_the_agency_once_signed(
    app, client, make, auth, agency_world, receiver
):
    officer = auth(agency_world["officer"])
    hook = register(client, officer, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["agency_id"] == agency_world["agency"].id
    listed = client.get("/api/agency/webhooks", headers=officer).get_json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]  # shown once

    day = a_day(client, make, auth, agency_world)
    assert receiver.requests == []  # nothing was sent on the request path
    run_queued(app)

    events = receiver.verified(hook["secret"])
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))  # each once
    ours = {item.id: item.code for item in day["ours"]}
    codes = {e["data"]["code"] for e in events if e["type"].startswith("item.")}
    assert codes == set(ours.values())  # never the other agency's item

    def story(item_id):
        return [
            (e["type"], e["data"]["from_status"], e["data"]["to_status"])
            for e in events
            if e["data"].get("item_id") == item_id
        ]

    a, b, c = day["ours"]
    assert story(a.id) == [
        ("item.created", None, "registered"),
        ("item.status_changed", "registered", "at_post_office"),
        ("item.status_changed", "at_post_office", "assigned"),
        ("item.attempt_failed", "assigned", "failed_attempt"),
    ]
    assert story(b.id)[-1] == ("item.delivered", "assigned", "delivered")
    assert story(c.id)[2:] == [  # the unassign and the reassign: two events; the address: none
        ("item.status_changed", "at_post_office", "assigned"),
        ("item.status_changed", "assigned", "at_post_office"),
        ("item.status_changed", "at_post_office", "assigned"),
    ]
    failed = next(e for e in events if e["type"] == "item.attempt_failed")
    assert failed["data"]["reason"] == "not_home" and failed["data"]["attempt_count"] == 1
    # Headers per the specification; the webhook-id is the delivery's, the body names the event.
    headers = receiver.requests[0][0]
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"

    # The same events, in the same order, through the feed.
    feed = client.get("/api/agency/changes", query_string={"limit": 500}, headers=officer).get_json()
    assert [e["id"] for e in feed["events"]] == ids
    assert feed["has_more"] is False

    # Tasks delivered twice, a sweep meanwhile: nothing is sent again.
    with app.app_context():
        assert webhooks.deliver_due() == 0
    assert len(receiver.requests) == len(ids)


def test_a_phone_push_never_waits_for_a_dead_receiver_which_gets_retries_with_backoff_and_a_replay(
    app, client, make, auth, agency_world, receiver
):
    officer = auth(agency_world["officer"])
    receiver.status = 500
    hook = register(client, officer, receiver.url, events=("item.delivered",))
    item = make.item(agency_id=agency_world["agency"].id, status="at_post_office")
    staff = auth(agency_world["supervisor"])
    rid = agency_world["round"].id
    client.post(f"/api/rounds/{rid}/assign", json={"item_ids": [item.id]}, headers=staff)
    phone = Phone.with_its_round(client, agency_world["postman"].username)
    phone.deliver(item.id, seed=2)
    phone.upload_files()
    phone.push()
    run_queued(app)  # the first attempt: 500

    with app.app_context():
        delivery = db.session.execute(db.select(WebhookDelivery)).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)

        def wait_after_last_attempt() -> float:
            last = (
                db.session.execute(
                    db.select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id == delivery.id)
                    .order_by(WebhookAttempt.id.desc())
                )
                .scalars()
                .first()
            )
            return (delivery.next_attempt_at - last.at).total_seconds()

        waits = [wait_after_last_attempt()]
        for _ in range(3):  # the worker comes back when each retry is due
            due = delivery.next_attempt_at
            assert webhooks.deliver_due(now=due - timedelta(seconds=1)) == 0  # not yet due: not tried
            assert db.session.get(WebhookDelivery, delivery.id).attempts == len(waits)
            webhooks.deliver_due(now=due + timedelta(milliseconds=1))
            db.session.refresh(delivery)
            waits.append(wait_after_last_attempt())
        assert delivery.attempts == 4
    assert waits == [5, 10, 20, 40]  # WEBHOOK_FIRST_RETRY_SECONDS, doubling

    # The log, as the agency sees it: each attempt with its status code and duration.
    log = client.get(f"/api/agency/webhooks/{hook['id']}/deliveries", headers=officer).get_json()
    assert [a["status_code"] for a in log[0]["log"]] == [500] * 4
    assert all(a["duration_ms"] >= 0 and a["error"] == "HTTP 500" for a in log[0]["log"])

    # Out of attempts: failed. Later the receiver is fixed and the agency replays it.
    with app.app_context():
        app.config["WEBHOOK_MAX_ATTEMPTS"] = 5
        webhooks.deliver_due(now=now_utc() + timedelta(days=2))
        assert db.session.get(WebhookDelivery, log[0]["id"]).status == "failed"
    receiver.status = 200
    replayed = client.post(f"/api/agency/webhook-deliveries/{log[0]['id']}/replay", headers=officer)
    assert replayed.status_code == 200, replayed.get_json()
    run_queued(app)
    with app.app_context():
        delivery = db.session.get(WebhookDelivery, log[0]["id"])
        assert delivery.status == "succeeded"
        attempts = db.session.scalars(
            db.select(WebhookAttempt).filter_by(delivery_id=delivery.id).order_by(WebhookAttempt.id)
        ).all()
        assert [a.replay for a in attempts] == [False] * 5 + [True]
        assert db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "webhook.replayed")
        ).scalar_one()
    bodies = receiver.verified(hook["secret"])
    assert len(bodies) == 6 and {b["id"] for b in bodies} == {bodies[0]["id"]}  # one event, 6 tries
    assert {h["webhook-id"] for h, _ in receiver.requests} == {log[0]["id"]}  # the same message id
    assert bodies[0]["type"] == "item.delivered" and bodies[0]["data"]["code"] == item.code


def test_a_change_that_rolls_back_sends_nothing(app, client, make, auth, agency_world, receiver):
    officer = auth(agency_world["officer"])
    register(client, officer, receiver.url)
    item = make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    before = len(receiver.requests)
    with app.app_context():
        row = db.session.get(type(item), item.id)
        row.status = "at_post_office"
        db.session.flush()
        db.session.rollback()
        assert db.session.execute(db.select(WebhookDelivery)).scalars().all().__len__() == before
    run_queued(app)
    assert len(receiver.requests) == before


def test_only_http_urls_and_one_agencys_endpoints(app, client, make, auth, agency_world, receiver):
    officer = auth(agency_world["officer"])
    for url in ("file:///etc/passwd", "ftp://example.org/x", "http://user:pw@example.org/", "gopher://x"):
        response = client.post(
            "/api/agency/webhooks", json={"url": url, "events": ["item.delivered"]}, headers=officer
        )
        assert response.status_code == 422, url
        assert response.get_json()["type"].endswith("bad-webhook-url")
    other = make.user("agency", agency_id=agency_world["other_agency"].id)
    hook = register(client, officer, receiver.url)
    foreign = auth(other)
    assert client.get("/api/agency/webhooks", headers=foreign).get_json() == []
    assert client.get(f"/api/agency/webhooks/{hook['id']}/deliveries", headers=foreign).status_code == 404
    assert client.delete(f"/api/agency/webhooks/{hook['id']}", headers=foreign).status_code == 404
    make.item(agency_id=agency_world["agency"].id)  # a delivery for it
    [delivery] = client.get(f"/api/agency/webhooks/{hook['id']}/deliveries", headers=officer).get_json()
    assert (
        client.post(f"/api/agency/webhook-deliveries/{delivery['id']}/replay", headers=foreign).status_code
        == 404
    )
    assert client.delete(f"/api/agency/webhooks/{hook['id']}", headers=officer).get_json()["active"] is False
    refused = client.post(f"/api/agency/webhook-deliveries/{delivery['id']}/replay", headers=officer)
    assert refused.status_code == 409 and refused.get_json()["code"] == "webhook-disabled"
    run_queued(app)
    assert receiver.requests == []  # a deleted endpoint is sent nothing more


def test_a_redirect_is_not_followed_and_a_private_address_is_refused(app, client, make, auth, agency_world):
    class Redirect(Quiet):
        hits = 0

        def do_POST(self):
            Redirect.hits += 1
            self.answer(307, Location="http://169.254.169.254/latest/meta-data/")

    with Serving(Redirect) as server:
        officer = auth(agency_world["officer"])
        register(client, officer, server.url + "/", events=("item.status_changed",))
        make.item(agency_id=agency_world["agency"].id)
        run_queued(app)
        assert Redirect.hits == 1
        with app.app_context():
            attempt = db.session.execute(db.select(WebhookAttempt)).scalar_one()
            assert attempt.status_code == 307 and attempt.error == "HTTP 307"
            app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
            webhooks.deliver_due(now=now_utc() + timedelta(hours=1))
            second = (
                db.session.execute(db.select(WebhookAttempt).order_by(WebhookAttempt.id.desc()))
                .scalars()
                .first()
            )
            assert second.status_code is None and "non-public address" in second.error
        assert Redirect.hits == 1


def test_the_events_body_is_json_the_receiver_can_parse(app, client, make, auth, agency_world, receiver):
    officer = auth(agency_world["officer"])
    register(client, officer, receiver.url)
    make.item(agency_id=agency_world["agency"].id, recipient_name="Lê Thị Ánh")
    run_queued(app)
    headers, body = receiver.requests[0]
    event = json.loads(body)
    assert set(event) >= {"id", "type", "timestamp", "data"}


def test_a_handover_record_is_told_once_with_its_items(app, client, make, auth, agency_world, receiver):
    officer = auth(agency_world["officer"])
    hook = register(client, officer, receiver.url, events=("handover.signed",))
    items = [make.item(agency_id=agency_world["agency"].id, status="registered") for _ in range(2)]
    phone = Phone(client, agency_world["postman"].username).login()
    phone.hand_over(agency_world["agency"].id, [i.id for i in items], direction="agency_to_post")
    body = phone.push()
    assert body["results"][0]["outcome"] == "applied", body
    run_queued(app)
    events = receiver.verified(hook["secret"])
    assert [e["type"] for e in events] == ["handover.signed"]  # the items' own changes: not asked for
    assert sorted(events[0]["data"]["items"]) == sorted(i.code for i in items)
    assert events[0]["data"]["direction"] == "agency_to_post" and events[0]["data"]["handover_id"]


def test_a_slow_receiver_costs_the_worker_its_time_limit_and_the_phone_nothing(
    app, client, make, auth, agency_world
):
    class Slow(Quiet):
        def do_POST(self):
            time.sleep(3)  # longer than the 2 s limit
            self.answer(200)

    with Serving(Slow) as server:
        officer = auth(agency_world["officer"])
        register(client, officer, server.url + "/", events=("item.delivered",))
        item = make.item(agency_id=agency_world["agency"].id, status="at_post_office")
        staff = auth(agency_world["supervisor"])
        client.post(
            f"/api/rounds/{agency_world['round'].id}/assign", json={"item_ids": [item.id]}, headers=staff
        )
        phone = Phone.with_its_round(client, agency_world["postman"].username)
        phone.deliver(item.id, seed=4)
        phone.upload_files()
        started = time.monotonic()
        phone.push()
        assert time.monotonic() - started < 2  # the push never waited for the agency's server
        run_queued(app)
        with app.app_context():
            attempt = db.session.execute(db.select(WebhookAttempt)).scalar_one()
            assert attempt.status_code is None and "timed out" in attempt.error
            assert 1900 <= attempt.duration_ms < 3000


def test_a_real_worker_sends_the_webhook_within_seconds_of_the_commit(
    app, client, make, auth, agency_world, receiver, tmp_path
):
    """`flask --app wsgi worker` in its own process: the commit's nudge reaches it through the queue."""
    officer = auth(agency_world["officer"])
    hook = register(client, officer, receiver.url, events=("item.status_changed",))
    worker = Consumer(app, tmp_path / "worker.log", WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true").start()
    try:
        item = make.item(agency_id=agency_world["agency"].id, status="registered")
        staff = auth(agency_world["supervisor"])
        client.post(f"/api/items/{item.id}/events", json={"event": "receive_from_agency"}, headers=staff)
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        events = receiver.verified(hook["secret"])
        assert [e["data"]["to_status"] for e in events] == ["registered", "at_post_office"], worker.log()
    finally:
        worker.stop()


def test_a_name_that_rebinds_to_the_loopback_after_the_check_never_reaches_it(
    app, client, make, auth, agency_world, receiver, monkeypatch
):
    """DNS rebinding: the agency's name answers a public address to the check and the loopback to
    any later look-up. The name is resolved once and the connection goes to the checked address
    (a public host that is down here): the loopback receiver is never reached."""
    port = receiver.port
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    answers = iter(["93.184.215.14"])
    looked_up, dialled = [], []

    def rebinding_dns(host, *args, **kwargs):
        if host != "hooks.mot-cua.example":
            return real_getaddrinfo(host, *args, **kwargs)
        looked_up.append(host)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    def network(address, *args, **kwargs):
        dialled.append(address)
        if address[0] == "93.184.215.14":
            raise ConnectionRefusedError("the agency's public server is down")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(socket, "create_connection", network)
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    register(client, auth(agency_world["officer"]), f"http://hooks.mot-cua.example:{port}/hooks")
    make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    assert receiver.requests == []
    assert looked_up == ["hooks.mot-cua.example"] and dialled == [("93.184.215.14", port)]
    with app.app_context():
        attempt = db.session.execute(db.select(WebhookAttempt)).scalar_one()
        assert attempt.status_code is None and "ConnectionRefusedError" in attempt.error


def test_the_connection_to_the_checked_address_still_names_the_host(
    app, client, make, auth, agency_world, receiver
):
    port = receiver.port
    created = register(client, auth(agency_world["officer"]), f"http://localhost:{port}/hooks")
    make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    assert len(receiver.verified(created["secret"])) == 1
    assert receiver.requests[0][0]["host"] == f"localhost:{port}"


def test_the_secret_is_shown_once_sealed_at_rest_and_survives_a_key_rotation(
    app, client, make, auth, agency_world, receiver
):
    """The database holds no endpoint secret; after the server key changes (the old one kept to
    open what it sealed) and `flask webhooks rekey`, deliveries still verify with the same secret,
    and once every row is re-sealed the old key can go."""
    officer = auth(agency_world["officer"])
    created = register(client, officer, receiver.url, events=("item.status_changed",))
    secret = created["secret"]
    listed = client.get("/api/agency/webhooks", headers=officer).get_json()
    assert secret not in json.dumps(listed)
    with app.app_context():
        stored = db.session.execute(db.text("SELECT secret_sealed FROM webhook_endpoints")).scalar_one()
    assert stored.startswith("fernet:") and secret.removeprefix("whsec_") not in stored

    old_key = app.config["WEBHOOK_SECRET_KEY"]
    app.config["WEBHOOK_SECRET_KEY"] = "a-new-webhook-key-after-the-rotation-0123456789"
    app.config["WEBHOOK_SECRET_OLD_KEYS"] = (old_key,)
    make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    result = app.test_cli_runner().invoke(args=["webhooks", "rekey"])
    assert result.exit_code == 0 and "re-sealed 1" in result.output, result.output
    app.config["WEBHOOK_SECRET_OLD_KEYS"] = ()
    make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    assert len(receiver.verified(secret)) == 2
    with app.app_context():
        resealed = db.session.execute(db.text("SELECT secret_sealed FROM webhook_endpoints")).scalar_one()
    assert resealed != stored and resealed.startswith("fernet:")


def test_the_log_and_the_feed_are_pruned_after_their_retention_and_an_older_cursor_is_refused(
    app, client, make, auth, agency_world, receiver
):
    """Maintenance prunes succeeded deliveries, their attempts and the events older than the feed
    keeps; an agency's system whose cursor is behind that gets 410 cursor-expired, never a page
    that silently skips the pruned events; a cursor that saw them all goes on as before."""
    from backend import maintenance
    from backend.models import AgencyEvent, CommitLog

    officer = auth(agency_world["officer"])
    register(client, officer, receiver.url, events=("item.status_changed",))
    make.item(agency_id=agency_world["agency"].id)
    behind = client.get("/api/agency/changes", headers=officer).get_json()["next_cursor"]
    make.item(agency_id=agency_world["agency"].id)
    run_queued(app)
    seen = client.get("/api/agency/changes", headers=officer).get_json()
    seen_all = seen["next_cursor"]
    old_ids = {event["id"] for event in seen["events"]}
    with app.app_context():
        long_ago = now_utc() - timedelta(days=app.config["AGENCY_EVENT_RETENTION_DAYS"] + 1)
        for model, column in (
            (CommitLog, "committed_at"),
            (AgencyEvent, "at"),
            (WebhookDelivery, "delivered_at"),
            (WebhookAttempt, "at"),
        ):
            db.session.execute(db.update(model).values({column: long_ago}))
        db.session.commit()
    receiver.status = 500
    recent = make.item(agency_id=agency_world["agency"].id)
    run_queued(app)

    with app.app_context():
        counts = maintenance.run()
        assert counts["webhook_deliveries"] == 2 and counts["agency_events"] >= 2
        left = db.session.execute(db.select(WebhookDelivery)).scalars().all()
        assert [(d.status, d.event.item_id) for d in left] == [("pending", recent.id)]
        assert db.session.execute(db.select(db.func.count(WebhookAttempt.id))).scalar_one() == 1
    expired = client.get(f"/api/agency/changes?cursor={behind}", headers=officer)
    assert expired.status_code == 410, expired.get_json()
    assert expired.get_json()["type"].endswith("cursor-expired")
    going_on = client.get(f"/api/agency/changes?cursor={seen_all}", headers=officer).get_json()
    assert {e["data"]["item_id"] for e in going_on["events"]} == {recent.id}
    from_start = client.get("/api/agency/changes", headers=officer).get_json()
    assert not old_ids & {e["id"] for e in from_start["events"]} and from_start["events"]
