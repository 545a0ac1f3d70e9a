"""A receipt for cash, on the server too (issue 12.3): from mutation version 2 (the app that marks
the receipt number required) a deliver, collect or fee mutation that says money was taken in cash
must carry the receipt number given to the citizen, or it is rejected `receipt-required` and nothing
is stored. A transfer needs none (the bank keeps the record), nor a visit where nothing was taken.
Proofs from phones still on version 1, queued before their update, are accepted as before."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry
from tests.kit.phone import Phone


@pytest.fixture
def phone_v2(client, make):
    phone, items = Phone.on_a_round(client, make, [make.item() for _ in range(3)])
    phone.mutation_version = 2
    return phone, items


def outcome_of(phone, mutation) -> dict:
    return phone.outcomes[mutation["id"]]


def test_cash_without_a_receipt_number_is_refused_and_nothing_is_stored(app, phone_v2):
    phone, (item, *_) = phone_v2
    sent = phone.deliver(item.id, fee_collected=26_000, receipt_number=None)
    phone.sync()
    result = outcome_of(phone, sent)
    assert (result["outcome"], result["reason"], result["retryable"]) == (
        "rejected",
        "receipt-required",
        False,
    )
    assert result["errors"] == {"data": {"receipt_number": ["Required when an amount is collected in cash."]}}
    with app.app_context():
        assert db.session.execute(db.select(DeliveryAttempt)).first() is None
        assert db.session.execute(db.select(FeeEntry)).first() is None


def test_a_government_fee_in_cash_needs_one_even_when_the_service_fee_went_by_transfer(phone_v2):
    phone, (item, *_) = phone_v2
    sent = phone.deliver(
        item.id,
        fee_collected=26_000,
        service_fee_payment="transfer",
        government_fee_collected=10_000,
        receipt_number=None,
    )
    phone.sync()
    assert outcome_of(phone, sent)["reason"] == "receipt-required"


def test_transfers_only_or_nothing_taken_need_no_receipt(app, phone_v2):
    phone, (paid_by_bank, nothing_due, _) = phone_v2
    by_bank = phone.deliver(
        paid_by_bank.id, fee_collected=26_000, service_fee_payment="transfer", receipt_number=None
    )
    free = phone.deliver(nothing_due.id, seed=1, fee_collected=0, receipt_number=None)
    phone.sync()
    assert outcome_of(phone, by_bank)["outcome"] == "applied"
    assert outcome_of(phone, free)["outcome"] == "applied"


def test_a_collection_and_a_separate_fee_in_cash_need_one_too(client, make):
    dossier = make.item(direction="collect", status="registered")
    phone, _ = Phone.on_a_round(client, make, [dossier])
    phone.mutation_version = 2
    collect = phone.capture(
        "collect",
        dossier.id,
        {"checklist": [], "seal_number": "NP-1", "fee_collected": 26_000},
        {"signature": b"", "postman_signature": b""},
    )
    fee = phone.capture("fee", dossier.id, {"service_fee": 5_000})
    phone.push()
    assert outcome_of(phone, collect)["reason"] == "receipt-required"
    assert outcome_of(phone, fee)["reason"] == "receipt-required"


def test_an_older_phones_cash_proof_without_a_receipt_is_still_accepted(app, client, make):
    phone, (item,) = Phone.on_a_round(client, make, [make.item()])
    assert phone.mutation_version == 1  # queued by the app before the update
    sent = phone.deliver(item.id, fee_collected=26_000, receipt_number=None)
    phone.sync()
    assert outcome_of(phone, sent)["outcome"] == "applied"
    with app.app_context():
        entry = db.session.execute(db.select(FeeEntry)).scalar_one()
        assert (entry.service_fee, entry.receipt_number) == (26_000, None)
