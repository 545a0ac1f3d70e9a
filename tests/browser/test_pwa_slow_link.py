"""A day's proofs over a slow link (issue 16): the PWA pushes through a link that adds 100 ms to every
answer and is cut twice in the middle of uploads; it asks once per batch what the server lacks,
sends the small files together and the photos a few at a time, resumes each file where it stopped,
and everything arrives once, byte-identical."""

from __future__ import annotations

import base64
from types import SimpleNamespace

from backend.extensions import db
from backend.models import DeliveryAttempt, SyncMutation
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file
from tests.tcp_proxy import TcpProxy

DELAY = 0.1  # seconds added to every answer


def test_a_day_pushed_over_a_slow_link_cut_twice_mid_upload_arrives_once_byte_identical(
    phone, live_server, postman_day, tmp_path
):
    day = postman_day
    proxy = TcpProxy("127.0.0.1", live_server.port, delay=DELAY).start()
    try:
        link = SimpleNamespace(url=f"http://127.0.0.1:{proxy.port}")
        page = phone.new_page()
        pwa = Pwa(page, link).ready_offline(day.postman.username)
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
                len(cuts) == 1 and later_chunk
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
            phone.set_offline(True)
            phone.set_offline(False)
        pwa.wait_until_synced(timeout=60_000)

        with live_server.app.app_context():
            attempts = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
            assert sorted(a.client_mutation_id for a in attempts) == sorted(e["id"] for e in outbox)
            assert all(a.complete and not a.flagged for a in attempts)
            ledger = db.session.execute(db.select(SyncMutation)).scalars().all()
            assert sorted((m.device_seq, m.outcome) for m in ledger) == [(n, "applied") for n in range(1, 6)]
            store = live_server.app.extensions["postround.store"]
            for digest, content in captured.items():
                with store.open(digest) as handle:
                    assert handle.read() == content  # byte-identical, hence the same SHA-256
            assert list(store.partials()) == []

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
        assert 1 <= len(pushes) <= 2
    finally:
        proxy.stop()
