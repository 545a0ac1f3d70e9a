"""A phone restored from a backup counts its mutations again from an old number: the server has spent
those numbers, so the app renumbers its unsent work after the server's and nothing is lost."""

from __future__ import annotations

from backend.extensions import db
from backend.models import DeliveryAttempt, SyncMutation
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file

REWIND_COUNTER_JS = """async () => {
  const db = await new Promise(ok => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result) })
  await new Promise(ok => { const tx = db.transaction('meta', 'readwrite'); tx.objectStore('meta').put(0, 'seq');
                            tx.oncomplete = ok })
  db.close()
}"""


def test_a_restored_phone_renumbers_its_unsent_proofs_and_they_all_reach_the_server(
    phone, live_server, postman_day, tmp_path
):
    day = postman_day
    page = phone.new_page()
    pwa = Pwa(page, live_server).on_the_round(day.postman.username)
    pwa.fail(day.to_fail)  # the morning's work reaches the server as mutation 1
    pwa.wait_until_synced()

    page.evaluate(REWIND_COUNTER_JS)  # restored from last night's backup: the counter is back at 0
    phone.set_offline(True)
    pwa.deliver(day.deliveries[0], photo_file(tmp_path, 1), receipt="BL-0101", seed=1)
    pwa.deliver(day.deliveries[1], photo_file(tmp_path, 2), receipt="BL-0102", seed=2)
    assert [e["seq"] for e in pwa.store("outbox")] == [1, 2]  # 1 is spent on the server already
    unsent = [e["id"] for e in pwa.store("outbox")]

    phone.set_offline(False)
    pwa.wait_until_synced()
    assert pwa.store("outbox") == [] and pwa.store("attention") == []
    with live_server.app.app_context():
        ledger = db.session.execute(
            db.select(SyncMutation.device_seq, SyncMutation.id, SyncMutation.outcome).order_by(
                SyncMutation.device_seq
            )
        ).all()
        assert [(seq, outcome) for seq, _, outcome in ledger] == [
            (1, "applied"),
            (2, "applied"),
            (3, "applied"),
        ]
        assert [mutation_id for _, mutation_id, _ in ledger[1:]] == unsent  # same order, new numbers
        proofs = db.session.execute(db.select(DeliveryAttempt.client_mutation_id)).scalars().all()
        assert set(unsent) <= set(proofs)
    assert max(p["seq"] for p in pwa.store("proofs")) == 3
