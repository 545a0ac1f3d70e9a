"""Capture details: a stand-in with an authorisation letter, money and receipt, and what the
phone keeps of an ID number."""

from __future__ import annotations

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry, ProofAttachment
from tests.browser.conftest import Pwa
from tests.kit.images import photo_file


def test_a_stand_in_must_show_an_authorisation_letter_and_it_is_sent_with_the_proof(
    phone, live_server, postman_day, tmp_path
):
    item = postman_day.deliveries[1]  # government fee 10,000 ₫ on top of the 26,000 ₫ service fee
    pwa = Pwa(phone.new_page(), live_server).on_the_round(postman_day.postman.username)
    page = pwa.page
    pwa.open_item(item.id)
    page.click('[data-action="deliver"]')
    page.check('[data-field="receiver_relation"] input[value="authorised"]')
    assert page.input_value('[data-field="receiver_name"] input') == ""  # not the recipient: their own name
    page.fill('[data-field="receiver_name"] input', "Trần Thị Mai")
    page.fill('[data-field="id_number"] input', "079 3010 05678")
    pwa.sign("signature")
    pwa.add_photo("photos", photo_file(tmp_path, 1))
    pwa.wait_for_gps()
    pwa.click_save()
    assert "cần ảnh giấy ủy quyền" in page.inner_text("form .errors")

    pwa.add_photo("authorisation_letter", photo_file(tmp_path, 2))
    page.fill('[data-field="receipt_number"] input', "BL-2026-0042")
    pwa.save()
    [proof] = pwa.store("proofs")
    assert proof["summary"]["id_number_masked"] == "*********678"  # the screens never show it in full
    pwa.wait_until_synced()
    assert "079301005678" not in str(pwa.store("proofs")) + str(pwa.store("outbox"))

    with live_server.app.app_context():
        attempt = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert (attempt.receiver_relation, attempt.receiver_name, attempt.id_number_masked) == (
            "authorised",
            "Trần Thị Mai",
            "*********678",
        )
        kinds = db.session.execute(db.select(ProofAttachment.kind)).scalars().all()
        assert sorted(kinds) == ["authorisation_letter", "photo", "signature"]
        fee = db.session.execute(db.select(FeeEntry)).scalar_one()
        assert (fee.service_fee, fee.government_fee, fee.receipt_number) == (26_000, 10_000, "BL-2026-0042")
