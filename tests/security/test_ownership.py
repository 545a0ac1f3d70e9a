"""Who may change what: every mutation type a phone can send touches only what its postman carries,
and a refusal says nothing about an item the caller may not see.

For each mutation type the same postman sends it three times at an item that is not theirs: one
on another postman's round, one of another agency on nobody's round, one that does not exist.
All three answers must be the same words (with the id they sent), name no item code and change
nothing. The same mutation on the postman's own item is applied, so the test can fail.
"""

from __future__ import annotations

import json
import re

import pytest

from backend.extensions import db
from backend.models import DeliveryAttempt, FeeEntry, Handover, Item
from tests.kit.images import png_signature
from tests.kit.phone import Phone

MUTATION_TYPES = ("deliver", "fail", "collect", "fee", "handover")
UNKNOWN_ID = 987_654


def _direction(kind: str) -> str:
    return "collect" if kind in ("collect", "handover") else "return"


def _status(kind: str) -> str:
    return "collected" if kind == "handover" else "assigned"


def _capture(phone: Phone, kind: str, item_id: int, agency_id: int) -> dict:
    if kind == "deliver":
        return phone.deliver(item_id)
    if kind == "fail":
        return phone.fail(item_id)
    if kind == "collect":
        return phone.capture(
            "collect",
            item_id,
            {
                "checklist": [{"name": "Tờ khai", "form": "original", "present": True}],
                "seal_number": "NP-1",
                "fee_collected": 26_000,
            },
            {"signature": png_signature(1), "postman_signature": png_signature(2)},
        )
    if kind == "fee":
        return phone.capture("fee", item_id, {"service_fee": 26_000, "receipt_number": "BL-9"})
    return phone.hand_over(agency_id, [item_id], "Lê Thị Hoa")


@pytest.fixture
def world(make):
    agency, other_agency = make.agency(), make.agency()
    postman, other = make.user("postman"), make.user("postman")
    items = {}
    for kind in MUTATION_TYPES:
        mine = make.item(agency_id=agency.id, direction=_direction(kind))
        theirs = make.item(agency_id=agency.id, direction=_direction(kind))
        loose = make.item(
            agency_id=other_agency.id,
            direction=_direction(kind),
            status="registered" if _direction(kind) == "collect" else "at_post_office",
        )
        items[kind] = {"mine": mine, "other-postman": theirs, "other-agency": loose}
    make.round(postman, items=[i["mine"] for i in items.values()])
    make.round(other, items=[i["other-postman"] for i in items.values()])
    for kind in ("handover",):  # collected dossiers, as the handover needs
        with make.app.app_context():
            for which in ("mine", "other-postman", "other-agency"):
                db.session.get(Item, items[kind][which].id).status = "collected"
            db.session.commit()
    return {"agency": agency, "postman": postman, "items": items}


def _answer(result: dict, item_id: int) -> str:
    text = json.dumps(
        {k: result.get(k) for k in ("outcome", "reason", "detail", "errors", "retryable")}, ensure_ascii=False
    )
    return re.sub(rf"\b{item_id}\b", "<id>", text)


def _state(app) -> dict:
    with app.app_context():
        return {
            "statuses": dict(db.session.execute(db.select(Item.id, Item.status)).all()),
            "proofs": db.session.execute(db.select(db.func.count(DeliveryAttempt.id))).scalar_one(),
            "fees": db.session.execute(db.select(db.func.count(FeeEntry.id))).scalar_one(),
            "handovers": db.session.execute(db.select(db.func.count(Handover.id))).scalar_one(),
        }


@pytest.mark.parametrize("kind", MUTATION_TYPES)
def test_a_postman_cannot_touch_an_item_that_is_not_theirs_and_learns_nothing_about_it(
    client, app, world, kind
):
    phone = Phone(client, world["postman"].username).login()
    targets = world["items"][kind]
    before = _state(app)
    answers = {}
    for which, item_id in (
        ("other-postman", targets["other-postman"].id),
        ("other-agency", targets["other-agency"].id),
        ("unknown", UNKNOWN_ID),
    ):
        mutation = _capture(phone, kind, item_id, world["agency"].id)
        phone.upload_files()
        result = phone.push()["results"][0]
        assert result["id"] == mutation["id"] and result["outcome"] == "rejected", (which, result)
        text = json.dumps(result, ensure_ascii=False)
        for target in (targets["other-postman"], targets["other-agency"]):
            assert target.code not in text and target.recipient_name not in text, (which, result)
        answers[which] = _answer(result, item_id)
    assert len(set(answers.values())) == 1, answers  # does not exist == not yours
    assert _state(app) == before  # nothing moved, nothing was written

    _capture(phone, kind, targets["mine"].id, world["agency"].id)  # the control: their own item
    phone.upload_files()
    assert phone.push()["results"][0]["outcome"] == "applied"


def test_a_handover_cannot_move_a_dossier_the_postman_does_not_carry_to_a_final_status(client, app, world):
    """The original hole: a postman's handover moved any item of any agency to handed_to_agency."""
    phone = Phone(client, world["postman"].username).login()
    theirs = world["items"]["handover"]["other-postman"]
    phone.hand_over(world["agency"].id, [theirs.id], "Lê Thị Hoa")
    result = phone.push()["results"][0]
    assert result["reason"] == "handover-not-possible"
    with app.app_context():
        assert db.session.get(Item, theirs.id).status == "collected"


def test_results_are_taken_from_the_agency_named_on_the_record_only(client, app, make, world):
    """agency_to_post: the postman carries nothing yet; only results the named agency still holds move."""
    phone = Phone(client, world["postman"].username).login()
    waiting = make.item(agency_id=world["agency"].id, status="registered")
    elsewhere = make.item(status="registered")
    phone.hand_over(world["agency"].id, [elsewhere.id], "Lê Thị Hoa", direction="agency_to_post")
    refused = phone.push()["results"][0]
    phone.hand_over(world["agency"].id, [waiting.id], "Lê Thị Hoa", direction="agency_to_post")
    taken = phone.push()["results"][0]
    assert refused["outcome"] == "rejected" and elsewhere.code not in json.dumps(refused, ensure_ascii=False)
    assert taken["outcome"] == "applied"
    with app.app_context():
        assert db.session.get(Item, elsewhere.id).status == "registered"
        assert db.session.get(Item, waiting.id).status == "at_post_office"


@pytest.mark.parametrize("role", ["postman", "agency"])
def test_reading_or_changing_an_item_that_is_not_yours_gets_the_same_answer_as_one_that_does_not_exist(
    client, make, auth, role
):
    me = make.user(role)
    other_agency_item = make.item()
    make.round(make.user("postman"), items=[other_agency_item])
    headers = auth(me)
    answers = []
    for item_id in (other_agency_item.id, UNKNOWN_ID):
        response = client.get(f"/api/items/{item_id}", headers=headers)
        body = response.get_json()
        assert other_agency_item.code not in response.get_data(as_text=True)
        answers.append((response.status_code, body["type"], body["detail"].replace(str(item_id), "<id>")))
    assert answers[0] == answers[1] and answers[0][0] == 403


def test_an_agency_officer_gets_the_same_answer_for_another_agencys_record_and_a_missing_one(
    client, app, make, auth
):
    officer = make.user("agency")
    other = make.agency()
    with app.app_context():
        record = Handover(direction="agency_to_post", agency_id=other.id, officer_name="Lê Thị Hoa")
        db.session.add(record)
        db.session.commit()
        record_id = record.id
    headers = auth(officer)
    answers = []
    for handover_id in (record_id, UNKNOWN_ID):
        for suffix in ("", "/pdf"):
            response = client.get(f"/api/handovers/{handover_id}{suffix}", headers=headers)
            body = response.get_json()
            answers.append(
                (response.status_code, body["type"], body["detail"].replace(str(handover_id), "<id>"))
            )
    assert len(set(answers)) == 1 and answers[0][0] == 403


def test_a_postman_gets_the_same_answer_for_another_postmans_round_and_a_missing_one(client, make, auth):
    postman = make.user("postman")
    theirs = make.round(make.user("postman"))
    mine = make.round(postman)
    headers = auth(postman)
    answers = []
    for round_id in (theirs.id, UNKNOWN_ID):
        response = client.get(f"/api/rounds/{round_id}", headers=headers)
        answers.append((response.status_code, response.get_json()["type"], response.get_json()["detail"]))
    assert answers[0] == answers[1] and answers[0][0] == 403
    assert client.get(f"/api/rounds/{mine.id}", headers=headers).status_code == 200
