"""Bad input anywhere gets a 4xx problem+json naming what is wrong, and nothing is half-written."""

import pytest

from backend.extensions import db
from backend.models import Agency


@pytest.fixture
def admin_headers(make, auth):
    return auth(make.user("admin"))


def assert_problem(response, status, kind=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if kind:
        assert body["type"].endswith("/" + kind), body
    # The apps word the message from these two, in the user's language (docs/web-common.md).
    assert body["code"] == body["type"].rsplit("/", 1)[1] and isinstance(body["params"], dict), body
    return body


def test_malformed_json_is_refused(client, admin_headers):
    response = client.post(
        "/api/agencies", data='{"code": "X",', content_type="application/json", headers=admin_headers
    )
    body = assert_problem(response, 400, "malformed-json")
    assert "Invalid JSON" in body["detail"]


@pytest.mark.parametrize("raw", [b"\xff\xfe\x1cdbi\xe9", b"\xc3\x28", b'{"name": "\xe9"}'])
def test_a_body_that_is_not_utf8_is_refused_and_changes_nothing(client, app, make, admin_headers, raw):
    """The fuzzer's find: bytes that are not UTF-8 (a UTF-16 mark, a broken sequence) were read as no
    body at all, and a PATCH answered 200 having changed nothing."""
    agency = make.agency()
    response = client.patch(
        f"/api/agencies/{agency.id}", data=raw, content_type="application/json", headers=admin_headers
    )
    body = assert_problem(response, 400, "malformed-json")
    assert "UTF-8" in body["detail"]
    with app.app_context():
        assert db.session.get(Agency, agency.id).name == agency.name


def test_a_body_that_is_not_json_is_refused_naming_the_missing_fields(client, admin_headers):
    response = client.post(
        "/api/agencies",
        data="code=X",
        content_type="application/x-www-form-urlencoded",
        headers=admin_headers,
    )
    body = assert_problem(response, 422, "validation-error")
    assert "code" in body["errors"]


def test_wrong_types_and_unknown_enums_are_named(client, admin_headers):
    response = client.post(
        "/api/agencies",
        json={"code": 5, "name": ["x"], "province": "An Giang", "kind": "ministry"},
        headers=admin_headers,
    )
    body = assert_problem(response, 422, "validation-error")
    assert set(body["errors"]) == {"code", "name", "kind"}


def test_an_oversize_body_is_refused_and_nothing_is_stored(client, app, admin_headers):
    huge = {"code": "BIG", "name": "x" * (3 * 1024 * 1024), "province": "An Giang"}
    response = client.post("/api/agencies", json=huge, headers=admin_headers)
    assert_problem(response, 413)
    with app.app_context():
        assert db.session.execute(db.select(Agency).where(Agency.code == "BIG")).first() is None


def test_a_wrong_method_is_refused_with_the_allowed_ones(client, admin_headers):
    response = client.delete("/api/agencies", headers=admin_headers)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unknown_id_is_a_404_problem(client, admin_headers):
    assert_problem(client.get("/api/items/999999", headers=admin_headers), 404, "not-found")
    assert_problem(client.get("/api/nothing-here", headers=admin_headers), 404)


def test_a_duplicate_code_is_a_409_and_the_first_row_is_kept(client, app, admin_headers):
    body = {"code": "UBND-MT", "name": "UBND xã Mong Thọ", "province": "An Giang"}
    assert client.post("/api/agencies", json=body, headers=admin_headers).status_code == 201
    response = client.post("/api/agencies", json=body | {"name": "Khác"}, headers=admin_headers)
    assert_problem(response, 409, "already-exists")
    with app.app_context():
        names = db.session.execute(db.select(Agency.name).where(Agency.code == "UBND-MT")).scalars().all()
        assert names == ["UBND xã Mong Thọ"]


@pytest.mark.parametrize("value", [-1, 1.5, "1000", True, None])
def test_money_must_be_a_non_negative_whole_number(client, admin_headers, value):
    response = client.post(
        "/api/procedures",
        json={"code": "P1", "name": "Thủ tục", "government_fee": value},
        headers=admin_headers,
    )
    body = assert_problem(response, 422, "validation-error")
    assert "government_fee" in body["errors"]


def test_vietnamese_text_is_stored_nfc_normalised(client, app, admin_headers):
    decomposed = "Mong Tho\u0323"  # "Thọ" typed as o + combining dot below
    response = client.post(
        "/api/agencies",
        json={"code": "MT", "name": decomposed, "province": "An Giang"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == "Mong Thọ"


@pytest.mark.parametrize(
    "url",
    [
        "/api/items/99999999999999999999",
        "/api/rounds/99999999999",
        "/api/items?agency_id=99999999999999999999",
        "/api/proofs?item_id=9999999999999",
        "/api/items?per_page=500&page=4611686018427387904",
    ],
)
def test_numbers_beyond_the_database_range_are_answered_not_crashed(client, admin_headers, url):
    response = client.get(url, headers=admin_headers)
    if response.status_code == 200:  # SQLite's 64-bit integers can hold some of them: nothing matches
        assert response.get_json() == []
    else:
        assert_problem(response, response.status_code)
        assert response.status_code in (404, 422)


def test_control_characters_in_text_are_refused(client, admin_headers):
    response = client.post(
        "/api/agencies",
        json={"code": "NUL", "name": "Trung tâm\u0000", "province": "An Giang"},
        headers=admin_headers,
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"]["name"] == ["Must not contain control characters."]


def test_a_mutation_with_an_out_of_range_id_is_rejected_and_blocks_nothing(client, make, auth):
    from tests.kit.phone import Phone

    postman = make.user("postman")
    phone = Phone(client, postman.username).login()
    phone.capture("fee", 99_999_999_999_999, {"service_fee": 26_000})
    phone.capture("fee", 99_999_999_999_998, {"service_fee": 26_000})
    body = phone.push()
    assert [(r["outcome"], r["reason"]) for r in body["results"]] == [("rejected", "invalid-mutation")] * 2
    assert body["device_seq"] == 2


def test_a_refused_request_carries_its_code_and_the_numbers_its_message_needs(client, admin_headers):
    too_long = client.get(
        "/api/reports",
        query_string={"date_from": "2020-01-01", "date_to": "2026-12-01"},
        headers=admin_headers,
    )
    body = assert_problem(too_long, 422, "range-too-long")
    assert body["params"] == {"limit": 400, "fields": ["date_to"]}

    unreadable = client.post(
        "/api/agencies", data="{not json", content_type="application/json", headers=admin_headers
    )
    assert assert_problem(unreadable, 400)["params"] == {}

    invalid = client.post("/api/agencies", json={"code": 5}, headers=admin_headers)
    body = assert_problem(invalid, 422, "validation-error")
    assert "code" in body["params"]["fields"] and "name" in body["params"]["fields"]
