"""On the phone: nobody home, then a second visit later the same day; and every proof carries the
position of its own stop, never the one before (Chromium's GPS emulation is moved per stop)."""

from __future__ import annotations

from datetime import date

from backend.domain.workdays import add_working_days
from backend.extensions import db
from backend.models import Item
from backend.timeutil import local_today
from tests.browser.conftest import Pwa
from tests.factories import proofs_of
from tests.kit.images import photo_file


def test_nobody_home_then_delivered_on_the_second_visit(phone, live_server, postman_day, tmp_path):
    item = postman_day.to_fail
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    page = pwa.page

    pwa.fail(item)
    pwa.wait_until_synced()
    pwa.open_item(item.id)
    # The failed item is still this postman's work: deliver and fail again are offered.
    assert page.locator('[data-action="deliver"]').is_visible()
    assert page.locator('[data-action="fail"]').is_visible()
    card = page.locator(".reattempt")
    assert card.get_attribute("data-reattempt") == "early"  # today is sooner than 2 working days
    assert "chưa tính là lần mời thứ hai" in card.inner_text()
    assert "1 lần" in card.inner_text()

    page.click('[data-action="deliver"]')
    page.fill('[data-field="id_number"] input', "089123456789")
    page.fill('[data-field="receipt_number"] input', "BL-0004")  # money collected: a receipt
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path, 4))
    pwa.wait_for_gps()
    pwa.save()
    pwa.wait_until_synced()

    assert [p.outcome for p in proofs_of(live_server.app, item.id)] == ["failed", "delivered"]
    assert not any(p.flagged for p in proofs_of(live_server.app, item.id))
    with live_server.app.app_context():
        row = db.session.get(Item, item.id)
        assert (row.status, row.attempt_count) == ("delivered", 1)
    [local] = [i for i in pwa.store("items") if i["id"] == item.id]
    assert local["status"] == "delivered"


def test_the_fail_form_dates_the_next_attempt_in_working_days(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    [calendar] = [row for row in _meta(pwa) if row[0] == "calendar"]
    with live_server.app.app_context():
        today = local_today()
    assert calendar[1]["reattempt_spacing_working_days"] == 2
    pwa.open_item(postman_day.to_fail.id)
    pwa.page.click('[data-action="fail"]')
    value = pwa.page.input_value('[data-field="next_attempt_date"] input')
    assert date.fromisoformat(value) == add_working_days(today, 2)


def _meta(pwa):
    return pwa.page.evaluate("""async () => {
      const db = await new Promise(ok => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result) })
      const tx = db.transaction('meta')
      const keys = await new Promise(ok => { tx.objectStore('meta').getAllKeys().onsuccess = e => ok(e.target.result) })
      const values = await new Promise(ok => { tx.objectStore('meta').getAll().onsuccess = e => ok(e.target.result) })
      db.close()
      return keys.map((k, i) => [k, values[i]])
    }""")


def test_each_proof_gets_the_position_of_its_own_stop(phone, live_server, postman_day, tmp_path):
    first, second = postman_day.deliveries[0], postman_day.to_fail
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    page = pwa.page

    phone.set_geolocation({"latitude": 10.0101, "longitude": 105.1601, "accuracy": 6})
    pwa.deliver(first, photo_file(tmp_path, 1))
    # Seconds later, at the next door, 1.5 km away: Chromium hands a cached fix (the first stop's)
    # to anyone who accepts one.
    phone.set_geolocation({"latitude": 10.0236, "longitude": 105.1650, "accuracy": 14})
    pwa.open_item(second.id)
    page.click('[data-action="fail"]')
    pwa.wait_for_gps()
    line = page.inner_text('[data-field="gps"] .gps-status')
    assert "±14 m" in line and "giây" in line  # how accurate and how old
    page.check('[data-field="reason_code"] input[value="not_home"]')
    pwa.save()
    pwa.wait_until_synced()

    [delivered] = proofs_of(live_server.app, first.id)
    [failed] = proofs_of(live_server.app, second.id)
    assert (delivered.lat, delivered.lon, delivered.accuracy_m) == (10.0101, 105.1601, 6)
    assert (failed.lat, failed.lon, failed.accuracy_m) == (10.0236, 105.165, 14)


def test_offline_the_phone_sends_an_item_back_as_the_server_will(phone, live_server, postman_day):
    """Two failed visits before, the first invitation long ago: the third visit, captured offline,
    reaches the limit with the second invitation; the phone shows it going back at once."""
    item = postman_day.to_fail
    with live_server.app.app_context():
        row = db.session.get(Item, item.id)
        row.status, row.attempt_count, row.invitation_count = "failed_attempt", 2, 1
        row.last_invitation_on = date(2026, 3, 2)
        db.session.commit()
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    phone.set_offline(True)
    pwa.fail(postman_day.to_fail)
    [local] = [i for i in pwa.store("items") if i["id"] == item.id]
    assert (local["status"], local["attempt_count"], local["invitation_count"]) == ("return_to_agency", 3, 2)
    pwa.open_item(item.id)
    assert pwa.page.locator('[data-action="deliver"]').count() == 0
    phone.set_offline(False)
    pwa.page.goto(f"{live_server.url}/app/#/sync")
    pwa.wait_until_synced()
    with live_server.app.app_context():
        row = db.session.get(Item, item.id)
        assert (row.status, row.attempt_count, row.invitation_count) == ("return_to_agency", 3, 2)
