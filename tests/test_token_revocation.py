"""Revocation means now: when a login ends (logout, a stolen refresh token replayed, a password
change, an admin's reset, a revoked phone) its access tokens stop at the next request, not when
they expire, and a phone's steady poll still costs the same statements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import LoginSession, RefreshToken
from backend.models.base import now_utc
from tests.factories import Factory
from tests.kit.phone import Phone
from tests.kit.statements import statements_of

NEW_PASSWORD = "a-brand-new-passphrase"


def login(client, user, password=Factory.PASSWORD, **extra) -> dict:
    response = client.post("/api/auth/login", json={"username": user.username, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def me(client, tokens: dict):
    return client.get("/api/auth/me", headers=bearer(tokens))


def _age_used_refresh_tokens(app):
    """Move the 'already used' moment past the retry grace, as if the thief came back later."""
    with app.app_context():
        for token in db.session.execute(
            db.select(RefreshToken).where(RefreshToken.used_at.is_not(None))
        ).scalars():
            token.used_at = now_utc() - timedelta(minutes=5)
        db.session.commit()


def test_a_replayed_refresh_token_kills_the_logins_access_tokens_at_once(client, app, make):
    postman = make.user("postman")
    first = login(client, postman, device_id="phone-rev-001")
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    assert me(client, first).status_code == me(client, second).status_code == 200
    other_login = login(client, postman, device_id="phone-rev-001")  # another session of the same phone

    _age_used_refresh_tokens(app)
    stolen = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401 and stolen.get_json()["type"].endswith("refresh-token-reused")

    for tokens in (first, second):  # the very next request, well inside the 15 minutes
        response = me(client, tokens)
        assert response.status_code == 401
        assert response.get_json()["type"].endswith("session-revoked")
        pull = client.get("/api/sync/pull", headers=bearer(tokens))
        assert pull.status_code == 401 and pull.headers["X-PostRound-Protocol"] == "1"
    assert me(client, other_login).status_code == 200  # only that login's family is revoked


def test_logout_ends_the_session_now(client, make):
    supervisor = make.user("supervisor")
    tokens = login(client, supervisor)
    kept = login(client, supervisor)
    assert me(client, tokens).status_code == 200
    assert client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    response = me(client, tokens)
    assert response.status_code == 401 and response.get_json()["type"].endswith("session-revoked")
    assert client.get("/api/items", headers=bearer(tokens)).status_code == 401
    assert me(client, kept).status_code == 200  # the other browser stays signed in


def test_a_postman_changes_the_password_and_every_other_login_ends_now(client, app, make):
    postman = make.user("postman")
    phone = login(client, postman, device_id="phone-rev-002")
    laptop = login(client, postman)
    response = client.post(
        "/api/auth/password",
        headers=bearer(phone),
        json={"current_password": Factory.PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.get_json()
    fresh = response.get_json()
    assert fresh["device_id"] == "phone-rev-002"

    for old in (phone, laptop):
        assert me(client, old).status_code == 401
        assert (
            client.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]}).status_code == 401
        )
    assert me(client, fresh).status_code == 200
    assert client.get("/api/sync/pull", headers=bearer(fresh)).status_code == 200  # same phone, new login
    assert (
        client.post(
            "/api/auth/login", json={"username": postman.username, "password": Factory.PASSWORD}
        ).status_code
        == 401
    )
    login(client, postman, password=NEW_PASSWORD)
    with app.app_context():
        from backend.models import AuditEntry

        assert "auth.password_changed" in set(db.session.execute(db.select(AuditEntry.action)).scalars())


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"current_password": "not-my-password", "new_password": NEW_PASSWORD}, 403, "current_password"),
        ({"current_password": Factory.PASSWORD, "new_password": Factory.PASSWORD}, 422, "new_password"),
        ({"current_password": Factory.PASSWORD, "new_password": "short"}, 422, "new_password"),
        ({"current_password": Factory.PASSWORD}, 422, "new_password"),
        (
            {"current_password": Factory.PASSWORD, "new_password": NEW_PASSWORD, "confirm": "x"},
            422,
            "confirm",
        ),
    ],
)
def test_a_refused_password_change_changes_nothing(client, make, body, status, field):
    user = make.user("supervisor")
    tokens = login(client, user)
    response = client.post("/api/auth/password", headers=bearer(tokens), json=body)
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert me(client, tokens).status_code == 200  # still signed in
    login(client, user)  # the old password still works


def test_a_password_change_needs_a_signed_in_user(client):
    response = client.post("/api/auth/password", json={"current_password": "x", "new_password": NEW_PASSWORD})
    assert response.status_code == 401


def test_an_admin_resetting_a_password_ends_that_users_sessions_now(client, make, auth):
    admin, postman = make.user("admin"), make.user("postman")
    tokens = login(client, postman, device_id="phone-rev-003")
    response = client.patch(f"/api/users/{postman.id}", json={"password": NEW_PASSWORD}, headers=auth(admin))
    assert response.status_code == 200, response.get_json()
    assert me(client, tokens).status_code == 401
    assert client.get("/api/sync/pull", headers=bearer(tokens)).status_code == 401
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    )


def test_a_revoked_phone_is_told_device_revoked_by_refresh_too(client, make, auth):
    postman, supervisor = make.user("postman"), make.user("supervisor")
    tokens = login(client, postman, device_id="phone-rev-004")
    assert client.post("/api/devices/phone-rev-004/revoke", headers=auth(supervisor)).status_code == 200
    for response in (
        client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
        client.get("/api/sync/pull", headers=bearer(tokens)),
        client.post(
            "/api/auth/login",
            json={"username": postman.username, "password": Factory.PASSWORD, "device_id": "phone-rev-004"},
        ),
    ):
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["type"].endswith("device-revoked")


def test_an_access_token_without_a_login_session_is_sent_to_refresh(client, app, make):
    import jwt

    user = make.user("admin")
    tokens = login(client, user)
    claims = jwt.decode(tokens["access_token"], app.config["SECRET_KEY"], algorithms=["HS256"])
    claims.pop("sid")  # a token minted before sessions existed
    old = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401 and response.get_json()["type"].endswith("token-expired")
    claims["sid"] = "00000000-0000-0000-0000-000000000000"  # a session that does not exist
    forged = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.get_json()["type"].endswith("session-revoked")


def test_another_users_session_id_does_not_keep_a_token_alive(client, app, make):
    import jwt

    alice, bob = make.user("supervisor"), make.user("supervisor")
    alice_tokens, bob_tokens = login(client, alice), login(client, bob)
    client.post("/api/auth/logout", json={"refresh_token": alice_tokens["refresh_token"]})
    claims = jwt.decode(alice_tokens["access_token"], app.config["SECRET_KEY"], algorithms=["HS256"])
    claims["sid"] = jwt.decode(bob_tokens["access_token"], app.config["SECRET_KEY"], algorithms=["HS256"])[
        "sid"
    ]
    token = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_steady_poll_reads_user_device_and_session_in_one_statement(client, app, make):
    postman = make.user("postman")
    make.round(postman, items=[make.item()])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.pull()  # the first poll after a full pull may stamp last_sync_at; this one must not
    statements, page = statements_of(app, phone.pull)
    assert page["items"] == [] and page["removed"] == []
    assert len(statements) == 2, statements  # the same two as before sessions were revocable
    auth, clock = statements
    assert "FROM users" in auth and "login_sessions" in auth and "devices" in auth
    assert "sync_clock" in clock


def test_sessions_are_recorded_per_login_and_revoked_with_their_family(client, app, make):
    postman = make.user("postman")
    tokens = login(client, postman, device_id="phone-rev-005")
    client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    with app.app_context():
        [session] = db.session.execute(db.select(LoginSession)).scalars().all()
        families = set(db.session.execute(db.select(RefreshToken.family_id)).scalars())
        assert (
            families == {session.id} and session.device_id == "phone-rev-005" and session.revoked_at is None
        )
    client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    with app.app_context():
        assert db.session.execute(db.select(LoginSession.revoked_at)).scalar_one() is not None


def refused_reason(client, tokens: dict) -> tuple[str, str]:
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code in (401, 403), response.get_json()
    body = response.get_json()
    return body["code"], body["params"].get("reason")


def test_a_refused_refresh_says_why_the_login_ended(client, app, make, auth):
    """The sign-in form can say why: signed out, password changed, disabled, reused or expired."""
    admin = make.user("admin")
    supervisor = make.user("supervisor")

    signed_out = login(client, supervisor)
    client.post("/api/auth/logout", json={"refresh_token": signed_out["refresh_token"]})
    assert refused_reason(client, signed_out) == ("invalid-refresh-token", "signed_out")

    reset = login(client, supervisor)
    assert (
        client.patch(
            f"/api/users/{supervisor.id}", json={"password": NEW_PASSWORD}, headers=auth(admin)
        ).status_code
        == 200
    )
    assert refused_reason(client, reset) == ("invalid-refresh-token", "password_changed")

    replayed = login(client, supervisor, password=NEW_PASSWORD)
    client.post("/api/auth/refresh", json={"refresh_token": replayed["refresh_token"]})
    _age_used_refresh_tokens(app)
    assert refused_reason(client, replayed) == ("refresh-token-reused", "token_reused")
    assert refused_reason(client, replayed) == ("invalid-refresh-token", "token_reused")

    old = login(client, supervisor, password=NEW_PASSWORD)
    with app.app_context():
        for token in db.session.execute(db.select(RefreshToken)).scalars():
            token.expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    assert refused_reason(client, old) == ("refresh-token-expired", "expired")

    disabled = login(client, make.user("supervisor"))
    other = disabled["user"]["id"]
    client.patch(f"/api/users/{other}", json={"active": False}, headers=auth(admin))
    assert refused_reason(client, disabled) == ("invalid-refresh-token", "account_disabled")
