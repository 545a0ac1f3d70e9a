"""Supervisors and agencies create and find items; postmen see only their own."""

from datetime import date

import pytest

from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import AuditEntry, Item
from tests.factories import item_body


@pytest.fixture
def office(make):
    return {
        "agency": make.agency(),
        "procedure": make.procedure(government_fee=5_000),
        "supervisor": make.user("supervisor"),
    }


def new_item(office, **overrides):
    return (
        item_body(
            office["procedure"].id,
            office["agency"].id,
            55_000_001,
            recipient_name="Lê Văn Đức",
            recipient_phone="0912 345 678",
            lat=10.01,
            lon=105.16,
            due_date="2026-12-01",
        )
        | overrides
    )


def test_a_supervisor_creates_an_item_that_the_post_office_already_holds(client, app, auth, office):
    response = client.post("/api/items", json=new_item(office), headers=auth(office["supervisor"]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "at_post_office"
    assert body["government_fee"] == 5_000  # taken from the procedure
    assert body["procedure"]["id"] == office["procedure"].id
    with app.app_context():
        item = db.session.execute(db.select(Item).where(Item.code == body["code"])).scalar_one()
        assert item.search_text.startswith("rr")
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert {"item.created", "item.receive_from_agency"} <= set(actions)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("code", "RR123456780VN", "check digit"),
        ("service_fee", -1, "greater than or equal"),
        ("service_fee", 26000.5, "integer"),
        ("service_fee", "26000", "integer"),
        ("direction", "sideways", "Must be one of"),
        ("lat", 123, "less than or equal to 90"),
        ("colour", "red", "Unknown field"),
    ],
)
def test_bad_fields_are_refused_with_a_named_error_and_nothing_is_stored(
    client, app, auth, office, field, value, message
):
    response = client.post(
        "/api/items", json=new_item(office, **{field: value}), headers=auth(office["supervisor"])
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert message in " ".join(problem["errors"][field])
    with app.app_context():
        assert db.session.execute(db.select(Item)).first() is None


def test_a_procedure_not_allowed_by_post_is_refused(client, auth, office, make):
    in_person = make.procedure(allowed_by_post=False)
    response = client.post(
        "/api/items", json=new_item(office, procedure_id=in_person.id), headers=auth(office["supervisor"])
    )
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("procedure-not-allowed-by-post")


def test_bulk_create_is_all_or_nothing(client, app, auth, office, make):
    existing = make.item()
    rows = [new_item(office, code=make_s10("RR", 55_000_100 + i)) for i in range(3)]
    rows.append(new_item(office, code=existing.code))
    response = client.post("/api/items/bulk", json={"items": rows}, headers=auth(office["supervisor"]))
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"items": {"3": {"code": ["Already exists."]}}}
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Item.id))).scalar_one() == 1

    response = client.post("/api/items/bulk", json={"items": rows[:3]}, headers=auth(office["supervisor"]))
    assert response.status_code == 201
    assert [i["code"] for i in response.get_json()] == [r["code"] for r in rows[:3]]


def test_bulk_create_names_the_bad_row(client, auth, office):
    rows = [new_item(office), new_item(office, code="XX", service_fee=-5)]
    response = client.post("/api/items/bulk", json={"items": rows}, headers=auth(office["supervisor"]))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["items"]["1"]) == {"code", "service_fee"}


def test_search_matches_with_and_without_diacritics(client, auth, make, office):
    make.item(recipient_name="Nguyễn Thị Hồng Đào", address_line="Ấp Giục Tượng")
    make.item(recipient_name="Trần Văn Bé")
    headers = auth(office["supervisor"])
    for query in ("hong dao", "Hồng Đào", "HONG DAO", "giuc tuong", "Giục"):
        response = client.get("/api/items", query_string={"q": query}, headers=headers)
        assert response.status_code == 200
        assert [i["recipient_name"] for i in response.get_json()] == ["Nguyễn Thị Hồng Đào"], query
    assert client.get("/api/items", query_string={"q": "100%"}, headers=headers).get_json() == []


def test_lists_filter_by_date_postman_status_and_commune(client, auth, make, office):
    postman, other = make.user("postman"), make.user("postman")
    mine = [make.item(commune="Xã Bình An"), make.item()]
    theirs = make.item()
    make.round(postman, date(2026, 11, 26), items=mine)
    make.round(other, date(2026, 11, 26), items=[theirs])
    headers = auth(office["supervisor"])

    def codes(**query):
        response = client.get("/api/items", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {i["code"] for i in response.get_json()}

    assert codes(postman_id=postman.id) == {mine[0].code, mine[1].code}
    assert codes(date="2026-11-26") == {mine[0].code, mine[1].code, theirs.code}
    assert codes(date="2026-11-25") == set()
    assert codes(commune="xa binh an") == {mine[0].code}
    assert codes(status="assigned", postman_id=other.id) == {theirs.code}
    assert client.get("/api/items", query_string={"status": "lost"}, headers=headers).status_code == 422


def test_a_postman_sees_only_items_on_their_own_rounds(client, auth, make):
    postman, other = make.user("postman"), make.user("postman")
    mine, theirs = make.item(), make.item()
    make.round(postman, items=[mine])
    make.round(other, items=[theirs])
    headers = auth(postman)
    listed = client.get("/api/items", headers=headers).get_json()
    assert [i["code"] for i in listed] == [mine.code]
    assert client.get(f"/api/items/{mine.id}", headers=headers).status_code == 200
    response = client.get(f"/api/items/{theirs.id}", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("not-your-item")


def test_an_agency_officer_creates_items_for_their_own_agency_only(client, auth, make, office):
    officer = make.user("agency")
    body = new_item(office)
    response = client.post("/api/items", json=body, headers=auth(officer))
    assert response.status_code == 403
    body.pop("agency_id")
    response = client.post("/api/items", json=body, headers=auth(officer))
    assert response.status_code == 201
    assert response.get_json()["agency"]["id"] == officer.agency_id
    assert response.get_json()["status"] == "registered"  # the result is still at the agency


def test_office_events_follow_the_state_machine(client, auth, make, office):
    item = make.item(status="delivered")
    headers = auth(office["supervisor"])
    response = client.post(f"/api/items/{item.id}/events", json={"event": "cancel"}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("illegal-transition")
    fresh = make.item(status="registered")
    response = client.post(
        f"/api/items/{fresh.id}/events", json={"event": "receive_from_agency"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "at_post_office"


def test_a_stale_if_match_is_refused(client, auth, make, office):
    item = make.item()
    headers = auth(office["supervisor"])
    response = client.patch(
        f"/api/items/{item.id}", json={"note": "gọi trước"}, headers=headers | {"If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    response = client.patch(
        f"/api/items/{item.id}", json={"note": "x"}, headers=headers | {"If-Match": '"1"'}
    )
    assert response.status_code == 412


def test_a_citizen_tracks_an_item_with_the_last_digits_of_their_phone(client, make):
    item = make.item(recipient_phone="0912345678")
    response = client.get(f"/api/track/{item.code}", query_string={"phone_last4": "5678"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "at_post_office"
    assert "recipient_name" not in response.get_json()
    assert client.get(f"/api/track/{item.code}", query_string={"phone_last4": "0000"}).status_code == 404


def test_an_agency_system_polls_for_status_changes_with_a_cursor(client, app, auth, make):
    from backend.services.item_events import apply_event

    officer = make.user("agency")
    mine = [make.item(agency_id=officer.agency_id) for _ in range(2)]
    make.item()  # another agency's
    headers = auth(officer)
    first = client.get("/api/items", headers=headers)
    assert {i["code"] for i in first.get_json()} == {i.code for i in mine}
    cursor = first.headers["X-Change-Cursor"]
    assert client.get("/api/items", query_string={"changed_since": cursor}, headers=headers).get_json() == []
    with app.app_context():
        apply_event(db.session.get(Item, mine[1].id), "give_up")
        db.session.commit()
    changed = client.get("/api/items", query_string={"changed_since": cursor}, headers=headers).get_json()
    assert [(i["code"], i["status"]) for i in changed] == [(mine[1].code, "return_to_agency")]
