"""Never lose a half-filled form: what the postman enters (ID number, photos, signature) is kept as a
draft as they type and comes back after a reload or going back; leaving a filled form asks first; a
double tap on Save saves once."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DRAFTS_JS, OUTBOX_COUNT_JS, Pwa
from tests.kit.images import photo_file


@pytest.fixture
def signed_in(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).open()
    pwa.login(postman_day.postman.username)
    pwa.wait_for_stops(5)
    pwa.wait_for_service_worker()  # a reload offline is served by it; before it controls the page there is nothing
    phone.set_offline(True)  # at the door, no signal
    return pwa


def open_form(pwa, item):
    pwa.open_item(item.id)
    pwa.page.click('[data-action="deliver"]')
    pwa.page.wait_for_selector("form.capture[data-draft]")


def test_a_half_filled_stand_in_form_survives_a_reload_with_its_id_photos_and_signature(
    signed_in, postman_day, tmp_path
):
    pwa, page, item = signed_in, signed_in.page, postman_day.deliveries[1]
    open_form(pwa, item)
    page.check('[data-field="receiver_relation"] input[value="authorised"]')
    page.fill('[data-field="receiver_name"] input', "Trần Thị Mai")
    page.fill('[data-field="id_number"] input', "079301005678")
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path, 1))
    pwa.add_photo("authorisation_letter", photo_file(tmp_path, 2))
    pwa.wait_for_draft(
        **{"id_number#0": "079301005678", "receiver_relation=authorised#0": True},
        signature=1,
        photos=1,
        letter=1,
    )

    page.reload()  # or the tab was killed: the form comes back as it was
    page.wait_for_selector('form.capture[data-draft="restored"]')
    assert page.is_visible(".draft-note")
    assert page.input_value('[data-field="id_number"] input') == "079301005678"
    assert page.input_value('[data-field="receiver_name"] input') == "Trần Thị Mai"
    assert page.is_checked('[data-field="receiver_relation"] input[value="authorised"]')
    assert page.get_attribute('[data-field="authorisation_letter"]', "data-count") == "1"
    assert page.get_attribute('[data-field="photos"]', "data-count") == "1"
    page.fill('[data-field="receipt_number"] input', "BL-9")
    pwa.wait_for_gps()
    pwa.save()  # no new signature needed: the strokes came back too

    [entry] = pwa.store("outbox")
    assert sorted(a["kind"] for a in entry["attachments"]) == ["authorisation_letter", "photo", "signature"]
    assert entry["data"]["id_number"] == "079301005678"
    assert page.evaluate(DRAFTS_JS) == []  # deleted with the save, in the same transaction


def test_leaving_a_filled_form_asks_first_and_going_back_keeps_the_draft(signed_in, postman_day):
    pwa, page, item = signed_in, signed_in.page, postman_day.deliveries[0]
    open_form(pwa, item)
    page.fill('[data-field="id_number"] input', "089123456789")
    pwa.wait_for_draft(**{"id_number#0": "089123456789"})

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("a.back")
    page.wait_for_timeout(300)
    assert asked and "Rời biểu mẫu khi chưa lưu" in asked[0]
    assert page.url.endswith(f"#/item/{item.id}/deliver") and page.is_visible("form.capture")  # stayed

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("a.back")
    page.wait_for_selector(f'.item[data-item-id="{item.id}"]')
    page.click('[data-action="deliver"]')
    page.wait_for_selector('form.capture[data-draft="restored"]')
    assert page.input_value('[data-field="id_number"] input') == "089123456789"


def test_a_double_tap_on_save_saves_once_and_does_not_open_the_next_stop_s_form(
    signed_in, postman_day, tmp_path
):
    pwa, page, item = signed_in, signed_in.page, postman_day.deliveries[0]
    open_form(pwa, item)
    page.fill('[data-field="id_number"] input', "089123456789")
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path, 0))
    page.fill('[data-field="receipt_number"] input', "BL-1")
    pwa.wait_for_gps()
    save = page.locator('[data-action="save"]').bounding_box()
    page.dblclick('[data-action="save"]')
    page.mouse.click(save["x"] + 10, save["y"] + 10)  # and a third, late tap where Save was
    page.wait_for_selector(f'.item[data-item-id="{postman_day.deliveries[1].id}"]')
    page.wait_for_timeout(800)
    assert page.evaluate(OUTBOX_COUNT_JS) == 1
    assert not page.locator("form.capture").count()  # the next stop's screen, no form opened by the tap
    [proof] = pwa.store("proofs")
    assert proof["item_id"] == item.id


V1_PHONE_JS = """async () => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('postround', 1)
    r.onupgradeneeded = () => {
      const d = r.result
      d.createObjectStore('meta')
      for (const name of ['rounds', 'procedures', 'agencies']) d.createObjectStore(name, { keyPath: 'id' })
      d.createObjectStore('items', { keyPath: 'id' }).createIndex('round_id', 'round_id')
      d.createObjectStore('outbox', { keyPath: 'seq' }).createIndex('item_id', 'item_id')
      d.createObjectStore('proofs', { keyPath: 'id' }).createIndex('item_id', 'item_id')
      d.createObjectStore('blobs', { keyPath: 'sha256' })
      d.createObjectStore('attention', { keyPath: 'id' })
    }
    r.onsuccess = () => ok(r.result)
    r.onerror = () => ko(r.error)
  })
  const tx = db.transaction(['outbox', 'meta'], 'readwrite')
  tx.objectStore('outbox').put({ seq: 1, id: 'a'.repeat(32), type: 'fail', item_id: 7, data: {} })
  tx.objectStore('meta').put(1, 'seq')
  await new Promise(ok => { tx.oncomplete = ok })
  db.close()
}"""


def test_a_phone_with_the_previous_database_keeps_its_queued_work_when_drafts_arrive(phone, live_server):
    page = phone.new_page()
    page.goto(f"{live_server.url}/app/manifest.webmanifest")  # the app's origin, not the app yet
    page.evaluate(V1_PHONE_JS)
    pwa = Pwa(page, live_server).open()
    page.wait_for_selector("#username")  # the app has opened (and upgraded) its database to boot
    version = page.evaluate(
        """async () => { const r = await new Promise(ok => { const q = indexedDB.open('postround')
             q.onsuccess = () => ok(q.result) })
           const found = [r.version, r.objectStoreNames.contains('drafts')]; r.close(); return found }"""
    )
    assert version == [2, True]
    assert [(e["seq"], e["type"]) for e in pwa.store("outbox")] == [(1, "fail")]
    assert pwa.store("drafts") == []
