"""An agency's system signs in with an API key an administrator made: scoped to its agency like an
officer of it, refused the moment the key is revoked, and throttled per key (docs/agency-api.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.extensions import db
from backend.models import ApiKey, AuditEntry, User
from tests.factories import Factory


@pytest.fixture
def admin_headers(make, auth):
    return auth(make.user("admin"))


def _new_key(client, headers, agency_id, name="Hệ thống một cửa tỉnh"):
    response = client.post("/api/api-keys", json={"agency_id": agency_id, "name": name}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_makes_a_key_that_is_shown_once_and_stored_only_as_a_hash(app, client, make, admin_headers):
    agency = make.agency()
    made = _new_key(client, admin_headers, agency.id)
    assert made["key"].startswith(f"prk_{made['prefix']}_") and len(made["key"]) > 40
    assert made["agency"]["id"] == agency.id and made["revoked_at"] is None
    listed = client.get("/api/api-keys", headers=admin_headers).get_json()
    assert [row["prefix"] for row in listed] == [made["prefix"]]
    assert "key" not in listed[0]
    with app.app_context():
        row = db.session.execute(db.select(ApiKey)).scalar_one()
        assert made["key"] not in (row.secret_hash, row.prefix) and len(row.secret_hash) == 64
        account = db.session.get(User, row.user_id)
        assert (account.role, account.agency_id) == ("agency", agency.id)
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert "api_key.created" in actions


@pytest.mark.parametrize("header", ["X-Api-Key", "Authorization"])
def test_a_key_sees_its_agencys_items_and_nothing_of_another_agency(client, make, admin_headers, header):
    mine, theirs = make.agency(), make.agency()
    own_item, other_item = make.item(agency_id=mine.id), make.item(agency_id=theirs.id)
    key = _new_key(client, admin_headers, mine.id)["key"]
    headers = {header: key if header == "X-Api-Key" else f"Bearer {key}"}
    listed = client.get("/api/items", headers=headers)
    assert listed.status_code == 200
    assert [row["code"] for row in listed.get_json()] == [own_item.code]
    assert client.get(f"/api/items/{own_item.id}", headers=headers).status_code == 200
    refused = client.get(f"/api/items/{other_item.id}", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not-your-item"
    assert client.get("/api/users", headers=headers).status_code == 403
    assert client.get("/api/api-keys", headers=headers).status_code == 403


def test_a_revoked_key_is_refused_at_its_next_request(client, make, admin_headers):
    agency = make.agency()
    made = _new_key(client, admin_headers, agency.id)
    headers = {"X-Api-Key": made["key"]}
    assert client.get("/api/items", headers=headers).status_code == 200
    revoked = client.post(f"/api/api-keys/{made['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    refused = client.get("/api/items", headers=headers)
    assert refused.status_code == 401
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["code"] == "api-key-revoked"


def test_a_wrong_secret_with_a_real_prefix_is_refused(client, make, admin_headers):
    made = _new_key(client, admin_headers, make.agency().id)
    forged = f"prk_{made['prefix']}_{'A' * 43}"
    refused = client.get("/api/items", headers={"X-Api-Key": forged})
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid-api-key"


def test_a_keys_system_account_cannot_sign_in_with_a_password(app, client, make, admin_headers):
    made = _new_key(client, admin_headers, make.agency().id)
    with app.app_context():
        username = db.session.execute(db.select(User.username).where(User.role == "agency")).scalar_one()
    for password in ("", "!api-key", Factory.PASSWORD):
        response = client.post("/api/auth/login", json={"username": username, "password": password or "x"})
        assert response.status_code in (401, 422), response.get_json()
    changed = client.post(
        "/api/auth/password",
        json={"current_password": "!api-key", "new_password": "a-long-new-password"},
        headers={"X-Api-Key": made["key"]},
    )
    assert changed.status_code == 403 and changed.get_json()["code"] == "api-key-not-a-person"


def test_an_admin_of_one_office_cannot_make_a_key_for_an_agency_it_does_not_serve(client, make, auth):
    other_office = make.office()
    stranger = make.agency(offices=(other_office.id,))
    admin = make.user("admin", offices=(make.default_office_id(),))
    response = client.post("/api/api-keys", json={"agency_id": stranger.id, "name": "X"}, headers=auth(admin))
    assert response.status_code == 404


def test_the_command_line_creates_lists_and_revokes_keys(app, client, runner, make):
    agency = make.agency()
    created = runner.invoke(args=["keys", "create", "--agency", agency.code, "--name", "Một cửa"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("prk_")
    assert client.get("/api/items", headers={"X-Api-Key": key}).status_code == 200
    prefix = key.split("_")[1]
    listed = runner.invoke(args=["keys", "list"])
    assert prefix in listed.output and "active" in listed.output
    assert runner.invoke(args=["keys", "revoke", prefix]).exit_code == 0
    assert client.get("/api/items", headers={"X-Api-Key": key}).status_code == 401
    assert "revoked" in runner.invoke(args=["keys", "list"]).output


def test_a_keys_last_use_is_recorded_at_most_once_a_minute(app, client, runner, make, admin_headers):
    made = _new_key(client, admin_headers, make.agency().id)
    assert made["last_used_at"] is None
    assert "never used" in runner.invoke(args=["keys", "list"]).output
    key = {"X-Api-Key": made["key"]}

    before = datetime.now(UTC)
    assert client.get("/api/items", headers=key).status_code == 200
    listed = client.get("/api/api-keys", headers=admin_headers).get_json()[0]
    first = datetime.fromisoformat(listed["last_used_at"])
    assert before - timedelta(seconds=1) <= first <= datetime.now(UTC)
    assert f"last used {first:%Y-%m-%d %H:%M} UTC" in runner.invoke(args=["keys", "list"]).output
    # Within the minute: no write. A refused request (wrong page size) is still a use of the key.
    assert client.get("/api/items", headers=key, query_string={"per_page": 0}).status_code == 422
    assert (
        client.get("/api/api-keys", headers=admin_headers).get_json()[0]["last_used_at"]
        == listed["last_used_at"]
    )
    # A minute on, the next request moves it.
    with app.app_context():
        db.session.execute(db.update(ApiKey).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
    client.get("/api/items", headers=key)
    again = client.get("/api/api-keys", headers=admin_headers).get_json()[0]["last_used_at"]
    assert datetime.fromisoformat(again) >= first


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "API_KEY_RATE_LIMIT": "3 per minute"}

    def test_each_key_has_its_own_rate_limit(self, client, make, admin_headers):
        agency = make.agency()
        first, second = (_new_key(client, admin_headers, agency.id)["key"] for _ in range(2))
        answers = [client.get("/api/items", headers={"X-Api-Key": first}).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = client.get("/api/items", headers={"X-Api-Key": first})
        assert refused.get_json()["code"] == "too-many-requests"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert client.get("/api/items", headers={"X-Api-Key": second}).status_code == 200
