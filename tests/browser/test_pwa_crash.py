"""The phone kills the app while it is saving a proof: afterwards the proof is either all there
(proof, files and outbox entry) or not there at all, and the outbox drains exactly once."""

from __future__ import annotations

import os
import signal

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, SyncMutation
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file

# Keeps the save's IndexedDB transaction open (a chain of reads on the outbox store) once the
# outbox entry is written, so the kill lands inside the transaction, not before or after it.
HOLD_SAVE_OPEN = """(() => {
  const put = IDBObjectStore.prototype.put
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args)
    if (window.__holdSave && this.name === 'outbox') {
      window.__holdSave = false
      const store = this
      const again = () => { try { store.get(-1).onsuccess = again } catch (e) { /* transaction gone */ } }
      again()
      window.__saveHeld = true
    }
    return request
  }
})()"""


@pytest.fixture(scope="module")
def browser(browser_type, browser_type_launch_args):
    """A browser of its own: this test SIGKILLs every renderer of its browser, which must be only its
    pages (in the whole suite the shared browser has run other files' pages before it, and the test
    then hung there)."""
    own = browser_type.launch(**browser_type_launch_args)
    yield own
    own.close()


def kill_renderers(browser, page):
    """SIGKILL the renderer processes, as Android does to a background tab under memory pressure."""
    session = browser.new_browser_cdp_session()
    processes = session.send("SystemInfo.getProcessInfo")["processInfo"]
    session.detach()
    with page.expect_event("crash"):
        for process in processes:
            if process["type"] == "renderer":
                os.kill(process["id"], signal.SIGKILL)
    page.close()  # the dead tab; the app is opened again in a new one


def assert_all_or_nothing(pwa) -> list[dict]:
    """Every outbox entry has its proof and every file it names; nothing else is lying around."""
    outbox, proofs, blobs = pwa.store("outbox"), pwa.store("proofs"), pwa.store("blobs")
    files = {row["sha256"] for row in blobs}
    assert {e["id"] for e in outbox} == {p["id"] for p in proofs if p["state"] == "queued"}
    for entry in outbox:
        assert {ref["sha256"] for ref in entry["attachments"]} <= files
    assert files <= {ref["sha256"] for e in outbox for ref in e["attachments"]}
    return outbox


def fill_delivery(pwa, item, photo: str):
    pwa.open_item(item.id)
    pwa.page.click('[data-action="deliver"]')
    pwa.page.fill('[data-field="id_number"] input', "079201001234")
    pwa.page.fill('[data-field="receipt_number"] input', "BL-0009")  # money collected: a receipt
    pwa.sign("signature")
    # A kill can leave this item's draft behind, photo included, which the form restores (drafts survive
    # a crash, docs/pwa.md): the photo added here is then the second, so wait for at least one.
    pwa.page.set_input_files('[data-field="photos"] input[type=file]', photo)
    pwa.page.wait_for_function(
        "() => Number(document.querySelector('[data-field=\"photos\"]').dataset.count) >= 1"
    )
    pwa.wait_for_gps()


def reopen(phone, live_server) -> Pwa:
    page = phone.new_page()
    pwa = Pwa(page, live_server).open()
    pwa.wait_for_stops(5)
    return pwa


def test_a_save_killed_midway_leaves_all_or_nothing_and_the_outbox_drains(
    browser, phone, live_server, postman_day, tmp_path
):
    day = postman_day
    phone.add_init_script(HOLD_SAVE_OPEN)
    pwa = Pwa(phone.new_page(), live_server).ready_offline(day.postman.username)

    # 1. Killed inside the transaction: blobs and outbox entry written but not committed.
    fill_delivery(pwa, day.deliveries[0], photo_file(tmp_path, 0))
    pwa.page.evaluate("window.__holdSave = true")
    pwa.page.click('[data-action="save"]')
    pwa.page.wait_for_function("() => window.__saveHeld === true")
    kill_renderers(browser, pwa.page)
    pwa = reopen(phone, live_server)
    assert assert_all_or_nothing(pwa) == []  # nothing at all: the postman sees it was not saved
    assert pwa.store("blobs") == []
    assert (
        pwa.page.get_attribute(f'.stop[data-item-id="{day.deliveries[0].id}"]', "data-status") == "assigned"
    )

    # 2. Killed at moments around the save: before, during or after the commit.
    for n, (item, delay_ms) in enumerate(zip(day.deliveries, (0, 30, 150), strict=True)):
        fill_delivery(pwa, item, photo_file(tmp_path, n + 1))
        pwa.page.click('[data-action="save"]', no_wait_after=True)
        pwa.page.wait_for_timeout(delay_ms)
        kill_renderers(browser, pwa.page)
        pwa = reopen(phone, live_server)
        assert_all_or_nothing(pwa)

    # 3. One that certainly commits, then the network comes back and the outbox drains.
    pwa.fail(day.to_fail)
    outbox = assert_all_or_nothing(pwa)
    assert [e["seq"] for e in outbox] == list(range(1, len(outbox) + 1))  # no gap, nothing reused
    phone.set_offline(False)
    pwa.wait_until_synced()
    assert pwa.store("outbox") == [] and pwa.store("blobs") == []
    with live_server.app.app_context():
        ids = db.session.execute(db.select(DeliveryAttempt.client_mutation_id)).scalars().all()
        assert sorted(ids) == sorted(e["id"] for e in outbox)
        ledger = db.session.execute(db.select(SyncMutation.outcome)).scalars().all()
        assert ledger == ["applied"] * len(outbox)
