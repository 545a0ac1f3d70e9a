"""Signing in, refreshing, signing out, and the ways a token can be bad."""

import time
from datetime import timedelta

import jwt
import pytest

from backend.extensions import db
from backend.models import Device, RefreshToken
from backend.models.base import now_utc
from tests.factories import Factory

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def login(client, user, **extra):
    return client.post(
        "/api/auth/login", json={"username": user.username, "password": Factory.PASSWORD, **extra}
    )


def test_a_postman_signs_in_and_their_phone_is_registered(client, app, make):
    postman = make.user("postman")
    response = login(client, postman, device_id="phone-0001", device_label="Samsung A05")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["device_id"] == "phone-0001"
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(postman.id) and claims["dev"] == "phone-0001"
    with app.app_context():
        device = db.session.get(Device, "phone-0001")
        assert device.user_id == postman.id and device.label == "Samsung A05"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, make):
    user = make.user("supervisor")
    wrong = client.post("/api/auth/login", json={"username": user.username, "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_account_cannot_sign_in(client, make):
    user = make.user("supervisor", active=False)
    response = login(client, user)
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("account-disabled")


def test_refresh_rotates_the_token_and_a_stolen_old_token_revokes_the_login(client, app, make):
    postman = make.user("postman")
    first = login(client, postman, device_id="phone-0002").get_json()
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["device_id"] == "phone-0002"
    # Long after, the first token is presented again: theft. The whole family dies.
    with app.app_context():
        for token in db.session.execute(db.select(RefreshToken)).scalars():
            if token.used_at:
                token.used_at = now_utc() - timedelta(minutes=5)
        db.session.commit()
    reused = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.get_json()["type"].endswith("refresh-token-reused")
    after = client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


def test_a_refresh_retried_after_a_lost_response_still_works(client, make):
    postman = make.user("postman")
    first = login(client, postman, device_id="phone-0003").get_json()
    lost = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    retry = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert retry.status_code == 200
    # The token from the lost response is retired; the retry's one works.
    assert client.post("/api/auth/refresh", json={"refresh_token": lost["refresh_token"]}).status_code == 401
    assert (
        client.post(
            "/api/auth/refresh", json={"refresh_token": retry.get_json()["refresh_token"]}
        ).status_code
        == 200
    )


def test_logout_revokes_the_refresh_token(client, make):
    user = make.user("supervisor")
    tokens = login(client, user).get_json()
    assert client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


def test_a_revoked_device_is_refused_clearly(client, make, auth):
    postman, supervisor = make.user("postman"), make.user("supervisor")
    tokens = login(client, postman, device_id="phone-0004").get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/auth/me", headers=bearer).status_code == 200
    assert client.post("/api/devices/phone-0004/revoke", headers=auth(supervisor)).status_code == 200
    for response in (
        client.get("/api/auth/me", headers=bearer),
        client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
        login(client, postman, device_id="phone-0004"),
    ):
        assert response.status_code in (401, 403)
        assert response.get_json()["type"].endswith(("device-revoked", "invalid-refresh-token"))


def test_a_device_cannot_be_taken_over_by_another_postman(client, make):
    first, second = make.user("postman"), make.user("postman")
    assert login(client, first, device_id="phone-0005").status_code == 200
    response = login(client, second, device_id="phone-0005")
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("device-belongs-to-another-user")


@pytest.mark.parametrize(
    "mangle, kind",
    [
        (lambda t: t[:-4] + "AAAA", "invalid-token"),
        (lambda t: "not.a.jwt", "invalid-token"),
        (
            lambda t: jwt.encode(
                {"sub": "1", "iat": int(time.time()) - 100, "exp": int(time.time()) - 10, "typ": "access"},
                SECRET,
                algorithm="HS256",
            ),
            "token-expired",
        ),
        (
            lambda t: jwt.encode(
                {"sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 60, "typ": "access"},
                "another-secret-another-secret-another",
                algorithm="HS256",
            ),
            "invalid-token",
        ),
        (
            lambda t: jwt.encode(
                {"sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 60, "typ": "access"},
                None,
                algorithm="none",
            ),
            "invalid-token",
        ),
    ],
)
def test_tampered_and_expired_tokens_are_refused(client, make, mangle, kind):
    user = make.user("admin")
    token = login(client, user).get_json()["access_token"]
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {mangle(token)}"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"].endswith(kind)


def test_a_missing_token_is_refused(client):
    response = client.get("/api/items")
    assert response.status_code == 401
    assert response.get_json()["type"].endswith("missing-token")


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_is_rate_limited(self, client, make):
        user = make.user("supervisor")
        codes = [
            client.post(
                "/api/auth/login", json={"username": user.username, "password": "wrong-pass"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        response = client.post("/api/auth/login", json={"username": user.username, "password": "x"})
        assert response.content_type == "application/problem+json"
        assert "Retry-After" in response.headers
