"""A postman's day offline: sign in online, lose the network, work the whole round, close the app,
reopen it offline, get the network back, and every proof reaches the server exactly once."""

from __future__ import annotations

import base64
import hashlib
import io

from PIL import Image

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry, Item, ProofAttachment, SyncMutation
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file


def counters(page) -> dict[str, int]:
    return {
        key: int(page.inner_text(f'[data-count="{key}"] .count-n'))
        for key in ("todo", "done", "failed", "unsynced")
    }


def test_a_postman_works_the_round_offline_and_every_proof_syncs_exactly_once(
    phone, live_server, postman_day, tmp_path
):
    day = postman_day
    page = phone.new_page()
    pwa = Pwa(page, live_server).on_the_round(day.postman.username)
    pwa.wait_for_service_worker()
    assert counters(page) == {"todo": 5, "done": 0, "failed": 0, "unsynced": 0}

    phone.set_offline(True)
    page.reload()  # the shell comes from the service worker, the round from IndexedDB
    pwa.wait_for_stops(5)
    page.wait_for_selector('#sync-indicator[data-state="offline"]')
    for n, item in enumerate(day.deliveries):
        pwa.deliver(item, photo_file(tmp_path, n), id_number=f"08912345678{n}", receipt=f"BL-{n}", seed=n)
    pwa.fail(day.to_fail)
    pwa.collect(day.to_collect)
    assert counters(page) == {"todo": 0, "done": 4, "failed": 1, "unsynced": 5}

    outbox = pwa.store("outbox")
    assert [entry["seq"] for entry in outbox] == [1, 2, 3, 4, 5]
    assert [entry["type"] for entry in outbox] == ["deliver"] * 3 + ["fail", "collect"]
    captured = {row["sha256"]: base64.b64decode(row["blob"]) for row in pwa.store("blobs")}
    assert len(captured) == 3 * 2 + 2  # three photos and signatures, two signatures on the dossier slip
    for digest, content in captured.items():
        assert hashlib.sha256(content).hexdigest() == digest
    kinds = {ref["sha256"]: ref["kind"] for entry in outbox for ref in entry["attachments"]}
    for digest, kind in kinds.items():
        with Image.open(io.BytesIO(captured[digest])) as image:
            if kind == "photo":  # taken at 2400×1800, kept at most 1600 px on the long side
                assert image.format == "JPEG" and max(image.size) <= 1600
            else:
                assert image.format == "PNG"

    page.close()  # the postman closes the app; later it is opened again, still offline
    page = phone.new_page()
    pwa = Pwa(page, live_server).open()
    pwa.wait_for_stops(5)
    assert counters(page) == {"todo": 0, "done": 4, "failed": 1, "unsynced": 5}
    assert len(pwa.store("outbox")) == 5
    with live_server.app.app_context():
        assert db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one() == 0

    pushes = []
    page.on(
        "request",
        lambda r: (
            pushes.append((r.headers, r.post_data_buffer)) if r.url.endswith("/api/sync/push") else None
        ),
    )
    phone.set_offline(False)  # the network comes back: `online` drains the outbox
    pwa.wait_until_synced()
    # Small on a 2G link: every push body is gzipped, but one under 1 KiB (a single mutation pushed
    # as soon as its files are in), which gzip would hardly shrink (web/common/api.js).
    assert pushes and all(
        h.get("content-encoding") == "gzip" or len(body or b"") < 1024 for h, body in pushes
    )
    assert pwa.store("outbox") == []
    assert {proof["state"] for proof in pwa.store("proofs")} == {"synced"}
    page.wait_for_function(
        "() => document.querySelector('[data-count=unsynced] .count-n').textContent === '0'"
    )

    with live_server.app.app_context():
        attempts = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
        assert sorted(a.client_mutation_id for a in attempts) == sorted(entry["id"] for entry in outbox)
        assert all(a.complete and not a.flagged for a in attempts)
        by_item = {a.item_id: a for a in attempts}
        for n, item in enumerate(day.deliveries):
            proof = by_item[item.id]
            assert (proof.outcome, proof.receiver_relation, proof.receipt_number) == (
                "delivered",
                "self",
                f"BL-{n}",
            )
            assert proof.id_number_masked == f"*********78{n}"
            assert (proof.lat, proof.lon, proof.accuracy_m) == (10.0123, 105.1601, 8)
            assert proof.fee_collected == 26_000
        failed = by_item[day.to_fail.id]
        assert (failed.outcome, failed.reason_code, failed.note) == (
            "failed",
            "not_home",
            "Gọi ba lần không nghe máy",
        )
        collected = by_item[day.to_collect.id]
        assert collected.outcome == "collected" and collected.seal_number == "NP-000123"
        assert collected.checklist[0]["present"] is True and collected.checklist[1]["present"] is False
        assert db.session.execute(db.select(db.func.count(FeeEntry.id))).scalar_one() == 4

        links = db.session.execute(db.select(ProofAttachment)).scalars().all()
        assert {link.sha256 for link in links} == set(captured)
        store = live_server.app.extensions["postround.store"]
        for digest, content in captured.items():
            with store.open(digest) as handle:
                assert handle.read() == content  # byte-identical, hence the same SHA-256

        ledger = db.session.execute(db.select(SyncMutation)).scalars().all()
        assert sorted((m.device_seq, m.outcome) for m in ledger) == [(n, "applied") for n in range(1, 6)]
        status = {i.id: i.status for i in db.session.execute(db.select(Item)).scalars()}
        assert [status[i.id] for i in day.deliveries] == ["delivered"] * 3
        assert status[day.to_fail.id] == "failed_attempt" and status[day.to_collect.id] == "collected"

    items = {row["id"]: row for row in pwa.store("items")}
    assert {items[i.id]["server_status"] for i in day.deliveries} == {"delivered"}
