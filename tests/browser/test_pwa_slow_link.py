"""A day's proofs over a slow link (issue 16): the PWA pushes through a link that adds 100 ms to every
answer and is cut twice in the middle of uploads; it asks once per batch what the server lacks,
sends the small files together and the photos a few at a time, resumes each file where it stopped,
and everything arrives once, byte-identical."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
from types import SimpleNamespace

from backend.extensions import db
from backend.models import DeliveryAttempt, SyncMutation
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file
from tests.tcp_proxy import TcpProxy

DELAY = 0.1  # seconds added to every answer


@contextlib.contextmanager
def slow_link(phone, live_server, username: str, stops: int = 5):
    """The app signed in and offline, its server behind a link that adds DELAY to every answer:
    (the proxy, the page, the app driver)."""
    proxy = TcpProxy("127.0.0.1", live_server.port, delay=DELAY).start()
    try:
        page = phone.new_page()
        pwa = Pwa(page, SimpleNamespace(url=f"http://127.0.0.1:{proxy.port}")).ready_offline(username, stops)
        yield proxy, page, pwa
    finally:
        proxy.stop()


def pushed_seqs(request) -> list[int]:
    """The seqs a push request carries (its body gzipped once it is large enough)."""
    body = request.post_data_buffer
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return [m["seq"] for m in json.loads(body.decode())["mutations"]]


def arrived_once(live_server, outbox: list[dict], captured: dict[str, bytes]) -> None:
    """Every queued mutation applied once, in seq order, each proof complete, every file on the
    server byte-identical to what the phone captured, and no unfinished upload left behind."""
    with live_server.app.app_context():
        attempts = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
        assert sorted(a.client_mutation_id for a in attempts) == sorted(e["id"] for e in outbox)
        assert all(a.complete and not a.flagged for a in attempts)
        ledger = db.session.execute(db.select(SyncMutation)).scalars().all()
        assert sorted((m.device_seq, m.outcome) for m in ledger) == [
            (n, "applied") for n in range(1, len(outbox) + 1)
        ]
        store = live_server.app.extensions["postround.store"]
        for digest, content in captured.items():
            with store.open(digest) as handle:
                assert handle.read() == content  # byte-identical, hence the same SHA-256
        assert list(store.partials()) == []


def test_a_day_pushed_over_a_slow_link_cut_twice_mid_upload_arrives_once_byte_identical(
    phone, live_server, postman_day, tmp_path
):
    day = postman_day
    with slow_link(phone, live_server, day.postman.username) as (proxy, page, pwa):
        for n, item in enumerate(day.deliveries):
            pwa.deliver(
                item,
                photo_file(tmp_path, n, grain=60 + n),
                id_number=f"08912345678{n}",
                receipt=f"BL-{n}",
                seed=n,
            )
        pwa.fail(day.to_fail)
        pwa.collect(day.to_collect)
        outbox = pwa.store("outbox")
        captured = {row["sha256"]: base64.b64decode(row["blob"]) for row in pwa.store("blobs")}
        photos = {ref["sha256"] for entry in outbox for ref in entry["attachments"] if ref["kind"] == "photo"}
        assert len(photos) == 3 and all(len(captured[d]) > 2 * 128 * 1024 for d in photos)
        assert all(len(content) <= 64 * 1024 for d, content in captured.items() if d not in photos)

        calls: list[tuple[str, str, str]] = []
        cuts: list[str] = []

        def on_request(request):
            if "/api/sync/" in request.url:
                calls.append(
                    (
                        request.method,
                        request.url.split("/api/sync/", 1)[1],
                        request.headers.get("content-range", ""),
                    )
                )

        cut_at: list[int] = []
        restored: list[int] = []  # the link came back after the first cut (the small files and
        # the photos travel side by side: the second cut waits for the phone to be back)

        def on_response(response):
            """Cut the link twice: right after the small files went together, and in the middle of
            the photos once the phone is back (the server holds part of them)."""
            request = response.request
            if "/api/sync/attachments" not in request.url:
                return
            later_chunk = request.method == "PUT" and not request.headers.get("content-range", "").startswith(
                "bytes 0-"
            )
            if (not cuts and request.method == "POST" and request.url.endswith("/attachments")) or (
                len(cuts) == 1 and restored and later_chunk
            ):
                cuts.append(request.url)
                cut_at.append(len(calls))
                proxy.cut()

        page.on("request", on_request)
        page.on("response", on_response)
        phone.set_offline(False)
        for n in (1, 2):  # each cut: the link comes back a moment later and the phone sees it
            deadline = 200
            while len(cuts) < n and deadline:
                page.wait_for_timeout(100)
                deadline -= 1
            assert len(cuts) == n, f"cut {n} never came: {calls}"
            page.wait_for_timeout(500)
            proxy.restore()
            restored.append(n)
            phone.set_offline(True)
            phone.set_offline(False)
        pwa.wait_until_synced(timeout=60_000)

        arrived_once(live_server, outbox, captured)

        # Few requests: no per-file check; a check, one request for the small files and the photos'
        # chunks per attempt; what a cut lost is at most the chunk in flight per photo.
        uploads = [c for c in calls if c[1].startswith("attachments")]
        assert not [c for c in uploads if c[0] == "GET"], uploads
        checks = [c for c in uploads if c[1] == "attachments/check"]
        batches = [c for c in uploads if c[0] == "POST" and c[1] == "attachments"]
        chunks = [c for c in uploads if c[0] == "PUT"]
        needed = sum(-(-len(captured[d]) // (128 * 1024)) for d in photos)
        assert len(checks) <= 3 and len(batches) <= 2, uploads
        assert needed <= len(chunks) <= needed + 3 * len(photos), uploads
        # After the second cut, a photo the server held part of goes on from there, not from 0.
        resumed = {}
        for method, path, span in calls[cut_at[1] :]:
            if method == "PUT":
                resumed.setdefault(path, int(span.split(" ")[1].split("-")[0]))
        assert any(start > 0 for start in resumed.values()), calls[cut_at[1] :]
        pushes = [c for c in calls if c[1] == "push"]
        # A push goes each time the run of mutations whose files are all in grows (here: as a photo
        # completes), one at a time; a cut may take one in flight with it.
        assert 1 <= len(pushes) <= len(photos) + len(cuts), calls


def test_a_proof_is_pushed_as_soon_as_its_own_files_are_in_while_a_later_photo_still_uploads(
    phone, live_server, postman_day, tmp_path
):
    """Two deliveries over a slow link: the first with a small photo, the second with a large one
    whose upload is held back. The first is pushed (and applied) while the second's photo is still
    on its way; the second follows once its photo is in. Everything arrives once, byte-identical."""
    day = postman_day
    with slow_link(phone, live_server, day.postman.username) as (proxy, page, pwa):
        first, second = day.deliveries[:2]
        pwa.deliver(first, photo_file(tmp_path, 1, size=(800, 600)), receipt="BL-1", seed=1)
        pwa.deliver(second, photo_file(tmp_path, 2, grain=70), receipt="BL-2", seed=2)
        outbox = sorted(pwa.store("outbox"), key=lambda entry: entry["seq"])
        captured = {row["sha256"]: base64.b64decode(row["blob"]) for row in pwa.store("blobs")}
        large = next(ref["sha256"] for ref in outbox[1]["attachments"] if ref["kind"] == "photo")
        assert len(captured[large]) > 2 * 128 * 1024  # chunked PUTs
        assert all(len(captured[ref["sha256"]]) <= 64 * 1024 for ref in outbox[0]["attachments"])

        events: list[tuple] = []  # what the phone sent, in order
        held = []  # the large photo's chunks, kept back until the first proof is pushed
        released = []

        def on_request(request):
            if "/api/sync/push" in request.url:
                body = json.loads(request.post_data_buffer.decode())
                events.append(("push", [m["seq"] for m in body["mutations"]]))
            elif "/api/sync/attachments" in request.url:
                events.append((request.method, request.url.rsplit("/", 1)[1]))

        def hold_large(route):
            if released:
                route.continue_()
            else:
                held.append(route)

        page.on("request", on_request)
        page.route(f"**/api/sync/attachments/{large}", hold_large)
        phone.set_offline(False)
        deadline = 300
        while ("push", [1]) not in events and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert ("push", [1]) in events, f"the first proof waited for the other's photo: {events}"
        assert held, "the large photo's upload had not started"
        applied: list = []
        for _ in range(100):  # applied on the server while the photo is still held back
            with live_server.app.app_context():
                ledger = db.session.execute(db.select(SyncMutation)).scalars().all()
                applied = [(m.device_seq, m.outcome) for m in ledger]
            if applied:
                break
            page.wait_for_timeout(100)
        assert applied == [(1, "applied")]
        assert not any(kind == "push" and 2 in rest[0] for kind, *rest in events)
        released.append(True)
        for route in held:
            route.continue_()
        pwa.wait_until_synced(timeout=60_000)

        pushes = [seqs for kind, *rest in events if kind == "push" for seqs in rest]
        assert pushes[0] == [1] and [2] in pushes  # the second once its photo was in
        arrived_once(live_server, outbox, captured)


def test_the_next_batchs_files_go_while_the_last_push_of_a_batch_is_still_unanswered(
    phone, live_server, tmp_path
):
    """A long day over a slow link: 52 attempts, more than one push batch (50). Once the first
    batch's files are in, the second batch's check and uploads start while the first batch's push
    is still unanswered (held back here until they have begun); the pushes stay one at a time, in
    seq order, each after its own files. Everything arrives once, byte-identical."""
    make = live_server.make
    postman = make.user("postman", full_name="Lê Văn Bưu")
    items = [
        make.item(
            recipient_name=f"Người nhận {n}",
            address_line=f"Ấp {n}",
            leg_distance_m=300 + n,
            service_fee=26_000,
        )
        for n in range(52)
    ]
    make.round(postman, items=items, total_distance_m=20_000)
    with slow_link(phone, live_server, postman.username, stops=52) as (proxy, page, pwa):
        first, *middle, last_two = items[0], *items[1:50], items[50:]
        pwa.deliver(first, photo_file(tmp_path, 0, size=(800, 600)), receipt="BL-0", seed=0)
        for item in middle:
            pwa.fail(item)
        for n, item in enumerate(last_two, start=51):
            pwa.deliver(item, photo_file(tmp_path, n, size=(800, 600)), receipt=f"BL-{n}", seed=n)
        outbox = sorted(pwa.store("outbox"), key=lambda entry: entry["seq"])
        assert [entry["seq"] for entry in outbox] == list(range(1, 53))
        captured = {row["sha256"]: base64.b64decode(row["blob"]) for row in pwa.store("blobs")}
        second_batch = {ref["sha256"] for entry in outbox[50:] for ref in entry["attachments"]}
        assert second_batch

        events: list[tuple] = []  # what the phone sent, and what it was answered, in order
        held = []  # the push carrying seq 50 (the first batch's last), kept back

        def on_request(request):
            if "/api/sync/push" in request.url:
                events.append(("push", pushed_seqs(request)))
            elif "/api/sync/attachments" in request.url:
                events.append(
                    (request.method, request.url.rsplit("/", 1)[1], request.post_data_buffer or b"")
                )

        def on_response(response):
            if "/api/sync/push" in response.url:
                events.append(("answered",))

        def hold_last_push(route):
            if 50 in pushed_seqs(route.request) and not held:
                held.append(route)
            else:
                route.continue_()

        def second_batch_uploading() -> bool:
            return any(
                kind in ("POST", "PUT")
                and rest[0] != "check"
                and any(d.encode() in rest[1] or d == rest[0] for d in second_batch)
                for kind, *rest in events
                if kind != "push" and kind != "answered"
            )

        page.on("request", on_request)
        page.on("response", on_response)
        page.route("**/api/sync/push", hold_last_push)
        phone.set_offline(False)
        deadline = 300
        while not (held and second_batch_uploading()) and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert held, f"the first batch was never pushed: {events}"
        assert second_batch_uploading(), f"the second batch's files waited for the push's answer: {events}"
        assert ("answered",) not in events  # the first batch went in one push, still unanswered
        held[0].continue_()
        pwa.wait_until_synced(timeout=60_000)

        # One push at a time, in seq order: each push goes after the previous one's answer.
        sent = [e[1] for e in events if e[0] == "push"]
        assert [seq for seqs in sent for seq in seqs] == list(range(1, 53))
        order = [e[0] for e in events if e[0] in ("push", "answered")]
        assert order == ["push", "answered"] * len(sent), order
        arrived_once(live_server, outbox, captured)
