"""The agency's account for the government fee (issue 12.4): an admin gives an agency its VietQR
payee (bank BIN, account, name) through the API or the command line; the pull carries it with the
round's agencies, so the phone builds the government fee's QR for the agency, offline. An agency
with none is pulled with `bank: null` (the phone then takes that fee in cash)."""

from __future__ import annotations

from backend.extensions import db
from backend.models import Agency, Item
from tests.kit.phone import Phone

ACCOUNT = {"bank_bin": "970415", "bank_account": "113366668888", "bank_account_name": "UBND XA MONG THO"}


def round_with_agency_item(make):
    postman = make.user("postman")
    item = make.item(government_fee=10_000)
    make.round(postman, items=[item])
    return postman, item


def agency_of(app, item) -> int:
    with app.app_context():
        return db.session.get(Item, item.id).agency_id


def test_an_admin_sets_the_agencys_account_and_the_phone_pulls_it(client, app, make, auth):
    postman, item = round_with_agency_item(make)
    agency_id = agency_of(app, item)
    phone = Phone(client, postman.username).login()
    (before,) = phone.pull()["agencies"]
    assert before["id"] == agency_id and before["bank"] is None  # none yet: cash only

    admin = auth(make.user("admin"))
    response = client.patch(f"/api/agencies/{agency_id}", json=ACCOUNT, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert {key: response.get_json()[key] for key in ACCOUNT} == ACCOUNT
    pulled = phone.pull()  # the next incremental pull: the item itself did not change
    assert not pulled["reset"] and pulled["items"] == []
    (agency,) = [a for a in pulled["agencies"] if a["id"] == agency_id]
    assert agency["bank"] == {"bin": "970415", "account": "113366668888", "name": "UBND XA MONG THO"}
    assert phone.pull()["agencies"] == []  # told once


def test_a_changed_account_or_fee_reaches_only_the_phones_whose_items_name_it(client, app, make, auth):
    postman, item = round_with_agency_item(make)
    other_postman, other_item = round_with_agency_item(make)
    agency_id, other_agency_id = agency_of(app, item), agency_of(app, other_item)
    assert agency_id != other_agency_id
    phone = Phone(client, postman.username).login()
    phone.pull()
    admin = auth(make.user("admin"))
    for changed in (agency_id, other_agency_id):
        assert client.patch(f"/api/agencies/{changed}", json=ACCOUNT, headers=admin).status_code == 200
    with app.app_context():  # the procedure's government fee goes up too
        procedure = db.session.get(Item, item.id).procedure
        procedure.government_fee = 15_000
        db.session.commit()
        procedure_id = procedure.id

    pulled = phone.pull()

    assert [a["id"] for a in pulled["agencies"]] == [agency_id]  # not the other postman's agency
    assert [(p["id"], p["government_fee"]) for p in pulled["procedures"]] == [(procedure_id, 15_000)]


def test_a_bad_account_is_refused_and_a_supervisor_cannot_set_one(client, app, make, auth):
    _, item = round_with_agency_item(make)
    agency_id = agency_of(app, item)
    admin = auth(make.user("admin"))
    bad = client.patch(f"/api/agencies/{agency_id}", json={"bank_bin": "9704"}, headers=admin)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "bank_bin" in bad.get_json()["errors"]
    supervisor = auth(make.user("supervisor"))
    refused = client.patch(f"/api/agencies/{agency_id}", json=ACCOUNT, headers=supervisor)
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Agency, agency_id).bank_account is None


def test_the_command_line_sets_and_clears_an_agencys_account(app, make, runner):
    agency = make.agency(code="TTPVHCC-MT")
    done = runner.invoke(
        args=[
            "agency-bank-account",
            "--agency",
            "TTPVHCC-MT",
            "--bank-bin",
            "970415",
            "--bank-account",
            "113366668888",
            "--bank-account-name",
            "UBND XA MONG THO",
        ]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        row = db.session.get(Agency, agency.id)
        assert (row.bank_bin, row.bank_account, row.bank_account_name) == (
            "970415",
            "113366668888",
            "UBND XA MONG THO",
        )
    wrong = runner.invoke(
        args=["agency-bank-account", "--agency", "TTPVHCC-MT", "--bank-bin", "97", "--bank-account", "1"]
    )
    assert wrong.exit_code != 0 and "six-digit NAPAS BIN" in wrong.output
    unknown = runner.invoke(args=["agency-bank-account", "--agency", "NOPE", "--clear"])
    assert unknown.exit_code != 0 and "No agency with code NOPE" in unknown.output
    cleared = runner.invoke(args=["agency-bank-account", "--agency", "TTPVHCC-MT", "--clear"])
    assert cleared.exit_code == 0 and "taken in cash" in cleared.output
    with app.app_context():
        assert db.session.get(Agency, agency.id).bank_account is None
