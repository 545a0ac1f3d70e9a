"""Correct and resend: work the server refused opens again in its form and goes as a new mutation;
work still waiting on the phone is corrected in place before it leaves."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, SyncMutation
from tests.browser.conftest import Pwa
from tests.browser.test_pwa_bad_input import EDIT_OUTBOX
from tests.kit.images import photo_file


@pytest.fixture
def signed_in(phone, live_server, postman_day):
    pwa = Pwa(phone.new_page(), live_server).open()
    pwa.login(postman_day.postman.username)
    pwa.wait_for_stops(5)
    phone.set_offline(True)
    return pwa


def test_a_rejected_failed_attempt_is_corrected_and_sent_again_as_a_new_mutation(
    signed_in, live_server, postman_day
):
    pwa, page, item = signed_in, signed_in.page, postman_day.to_fail
    pwa.fail(item, note="Gọi ba lần không nghe máy")
    page.evaluate(EDIT_OUTBOX, [1, {"data": {"reason_code": "asleep"}}])  # a reason the server refuses
    [refused] = pwa.store("outbox")
    page.context.set_offline(False)
    page.wait_for_selector('#sync-indicator[data-pending="0"][data-attention="1"]')

    page.click("#sync-indicator")
    page.click('.attention [data-action="correct"]')
    page.wait_for_selector('form.capture[data-draft="correcting"]')
    assert "gửi thành một bản mới" in page.inner_text(".draft-note")
    assert page.input_value('[data-field="note"] textarea') == "Gọi ba lần không nghe máy"  # as sent
    page.check('[data-field="reason_code"] input[value="not_home"]')
    pwa.wait_for_gps()
    pwa.save()
    pwa.wait_until_synced()
    page.wait_for_selector('#sync-indicator[data-attention="0"]')  # the rejected entry is gone

    with live_server.app.app_context():
        ledger = db.session.execute(
            db.select(SyncMutation.device_seq, SyncMutation.id, SyncMutation.outcome).order_by(
                SyncMutation.device_seq
            )
        ).all()
        assert [(seq, outcome) for seq, _, outcome in ledger] == [(1, "rejected"), (2, "applied")]
        assert ledger[1][1] != refused["id"]  # a new mutation, not the refused one again
        attempt = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert (attempt.item_id, attempt.reason_code) == (item.id, "not_home")


def test_a_proof_not_sent_yet_is_corrected_in_place_before_it_leaves(
    signed_in, live_server, postman_day, tmp_path
):
    pwa, page, item = signed_in, signed_in.page, postman_day.deliveries[0]
    pwa.deliver(item, photo_file(tmp_path, 0), receipt="BL-SAI")
    [before] = pwa.store("outbox")

    pwa.open_item(item.id)
    page.click('.history [data-action="correct"]')
    page.wait_for_selector('form.capture[data-draft="correcting"]')
    assert page.input_value('[data-field="receipt_number"] input') == "BL-SAI"
    assert page.input_value('[data-field="id_number"] input') == "089123456789"  # still on the phone
    assert page.get_attribute('[data-field="photos"]', "data-count") == "1"
    page.fill('[data-field="receipt_number"] input', "BL-0001")
    pwa.sign("signature", 2)  # strokes are not kept: signed again
    pwa.wait_for_gps()
    pwa.save()

    [after] = pwa.store("outbox")
    assert (after["id"], after["seq"]) == (before["id"], before["seq"])  # the same mutation, no gap
    assert after["data"]["receipt_number"] == "BL-0001"
    assert len(pwa.store("proofs")) == 1
    named = {a["sha256"] for a in after["attachments"]}
    assert {row["sha256"] for row in pwa.store("blobs")} == named  # the old signature left the phone

    page.context.set_offline(False)
    pwa.wait_until_synced()
    with live_server.app.app_context():
        attempt = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert (attempt.client_mutation_id, attempt.receipt_number) == (before["id"], "BL-0001")
