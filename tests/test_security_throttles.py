"""Guessing is throttled where it matters: passwords per account, tracking per item code.

Someone tries passwords for one account from many addresses; someone tries phone digits for one
tracking code. Each is stopped by a limit on the account or the code, not only on the address;
a lock ends by itself when its window does, so the real user is never locked out for good; the
counts are shared by every worker (Redis); and behind a reverse proxy each client is counted
by its own address, which a client cannot forge.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid

import pytest
import requests

from backend.domain.s10 import make_s10
from tests.conftest import ROOMY, redis_up, tracking_limits
from tests.factories import Factory
from tests.pg import fresh_database, require_pg
from tests.server_process import ServerProcess

_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def from_somewhere_new() -> dict:
    return {"REMOTE_ADDR": next(_addresses)}


def login_limits(per_account: str) -> dict:
    """Rate limiting on, for signing in: `per_account` tries at one account from anywhere."""
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": ROOMY, "LOGIN_ACCOUNT_RATE_LIMIT": per_account}


def login(client, username: str, password: str, where: dict | None = None, **headers):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base=where or from_somewhere_new(),
        headers=headers,
    )


def track(client, code: str, digits: str, where: dict | None = None):
    return client.get(
        f"/api/track/{code}", query_string={"phone_last4": digits}, environ_base=where or from_somewhere_new()
    )


class TestPasswordsPerAccount:
    @pytest.fixture
    def app_config(self):
        return login_limits(per_account="3 per minute")

    def test_wrong_passwords_from_many_addresses_lock_the_account_like_a_wrong_password(self, client, make):
        lan = make.user("postman")
        wrong = login(client, lan.username, "not-her-password")
        for _ in range(2):
            login(client, lan.username, "not-her-password")

        locked = login(client, lan.username, Factory.PASSWORD)  # the right password, from a fresh address

        assert locked.status_code == wrong.status_code == 401
        assert locked.get_json()["type"] == wrong.get_json()["type"]
        assert locked.get_json()["detail"] == wrong.get_json()["detail"]
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        assert "Retry-After" not in wrong.headers

    def test_another_account_is_not_affected_and_a_success_clears_the_count(self, client, make):
        lan, minh = make.user("postman"), make.user("postman")
        for _ in range(3):
            login(client, lan.username, "not-her-password")
        assert login(client, minh.username, Factory.PASSWORD).status_code == 200
        for _ in range(2):
            login(client, minh.username, "wrong-password")
        assert login(client, minh.username, Factory.PASSWORD).status_code == 200
        for _ in range(2):
            login(client, minh.username, "wrong-password")
        assert login(client, minh.username, Factory.PASSWORD).status_code == 200  # 2 + 2, not 4

    def test_an_unknown_name_locks_the_same_way_so_locks_reveal_no_accounts(self, client, make):
        answers = [login(client, "nobody-here", "guess") for _ in range(4)]

        assert [a.status_code for a in answers] == [401] * 4
        assert ["Retry-After" in a.headers for a in answers] == [False, False, False, True]


class TestTheLockEnds:
    @pytest.fixture
    def app_config(self):
        return login_limits(per_account="2 per 5 seconds")

    def test_the_lock_ends_with_its_window_and_the_real_user_signs_in(self, client, make):
        lan = make.user("postman")
        for _ in range(2):
            login(client, lan.username, "not-her-password")
        locked = login(client, lan.username, Factory.PASSWORD)
        assert locked.status_code == 401 and "Retry-After" in locked.headers

        time.sleep(int(locked.headers["Retry-After"]) + 0.5)

        assert login(client, lan.username, Factory.PASSWORD).status_code == 200


class TestTrackingPerCode:
    @pytest.fixture
    def app_config(self):
        return tracking_limits(per_code="6 per minute")

    def test_wrong_digits_for_a_code_lock_it_even_for_the_right_digits(self, client, make):
        item = make.item(recipient_phone="0912345678")
        for digits in ("0000", "1111", "2222"):
            assert track(client, item.code, digits).status_code == 404

        locked = track(client, item.code, "5678")

        assert locked.status_code == 429 and locked.content_type == "application/problem+json"
        assert locked.get_json()["type"].endswith("/tracking-locked")
        assert "thử lại" in locked.get_json()["detail"] and "try again" in locked.get_json()["detail"]
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        other = make.item(recipient_phone="0912345678")
        assert track(client, other.code, "5678").status_code == 200  # another code is not locked

    def test_an_unknown_code_locks_like_a_real_one(self, client):
        code = make_s10("RR", 99_000_001)
        answers = [track(client, code, "0000").status_code for _ in range(4)]
        assert answers == [404, 404, 404, 429]

    def test_look_ups_of_one_code_are_limited_from_everywhere(self, client, make):
        item = make.item(recipient_phone="0912345678")
        answers = [track(client, item.code, "5678").status_code for _ in range(7)]

        assert answers == [200] * 6 + [429]
        assert track(client, make.item().code, "5678").status_code == 200

    def test_the_right_digits_do_not_count_towards_the_lock(self, client, make):
        item = make.item(recipient_phone="0912345678")
        answers = [
            track(client, item.code, digits).status_code for digits in ("0000", "0000", "5678", "5678")
        ]
        assert answers == [404, 404, 200, 200]


class TestPerAddress:
    @pytest.fixture
    def app_config(self):
        return {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "2 per hour",
            "TRACKING_RATE_LIMIT": "2 per hour",
        }

    def test_one_address_is_limited_and_another_is_not(self, client, make):
        item = make.item(recipient_phone="0912345678")
        here, there = from_somewhere_new(), from_somewhere_new()

        logins = [login(client, f"user{n}", "guess", here).status_code for n in range(3)]
        looks = [track(client, item.code, "5678", here).status_code for _ in range(3)]

        assert logins == [401, 401, 429] and looks == [200, 200, 429]
        assert login(client, "user9", "guess", there).status_code == 401
        assert track(client, item.code, "5678", there).status_code == 200


class TestTheSharedStoreIsDown:
    """Redis unreachable (nothing listens on its port): nobody is locked out of signing in, and
    every limit goes on counting in the worker's memory until Redis is back."""

    @pytest.fixture
    def app_config(self):
        from tests.server_process import free_port

        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}",
            "LOGIN_RATE_LIMIT": "2 per hour",
            "LOGIN_ACCOUNT_RATE_LIMIT": "2 per hour",
            "TRACKING_WRONG_DIGITS_LIMIT": "2 per hour",
        }

    def test_sign_in_and_tracking_work_and_are_still_limited(self, client, make):
        lan = make.user("postman")
        item = make.item(recipient_phone="0912345678")
        here = from_somewhere_new()

        assert login(client, lan.username, Factory.PASSWORD, here).status_code == 200
        assert [login(client, "x", "guess", here).status_code for _ in range(2)] == [401, 429]
        for _ in range(2):
            login(client, lan.username, "guess")
        assert (
            "Retry-After" in login(client, lan.username, Factory.PASSWORD).headers
        )  # the account lock holds
        assert track(client, item.code, "5678").status_code == 200
        assert [track(client, item.code, "0000").status_code for _ in range(3)] == [404, 404, 429]


PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # the reverse proxy in front of the app


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per hour", "TRUSTED_PROXY_COUNT": 1}

    def test_two_clients_behind_the_proxy_get_a_budget_each(self, client):
        alice = [
            login(client, "x", "guess", PROXY, **{"X-Forwarded-For": "203.0.113.7"}).status_code
            for _ in range(3)
        ]
        bob = login(client, "x", "guess", PROXY, **{"X-Forwarded-For": "203.0.113.8"})

        assert alice == [401, 401, 429]
        assert bob.status_code == 401

    def test_a_client_forging_the_header_is_still_counted_by_the_address_the_proxy_saw(self, client):
        # The proxy appends the address it saw; what the client wrote before it is not believed.
        answers = [
            login(client, "x", "guess", PROXY, **{"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.9"}).status_code
            for n in range(3)
        ]
        assert answers == [401, 401, 429]


class TestNoProxyConfigured:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per hour", "TRUSTED_PROXY_COUNT": 0}

    def test_a_forged_forwarded_for_buys_no_new_budget(self, client):
        where = from_somewhere_new()
        answers = [
            login(client, "x", "guess", where, **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
            for n in range(3)
        ]
        assert answers == [401, 401, 429]


# Across processes: two servers, one Redis ------------------------------------------------------------


@pytest.fixture
def two_servers(tmp_path):
    """Two gunicorn servers (separate processes) on one PostgreSQL database and one Redis."""
    if not redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required under CI but unreachable")
        pytest.skip("Redis is not running")
    require_pg()
    from backend import create_app
    from backend.extensions import db
    from tests.conftest import _test_config

    with fresh_database("postround_throttle") as url:
        app = create_app(_test_config(url, STORAGE_DIR=str(tmp_path / "storage")))
        with app.app_context():
            db.create_all()
        make = Factory(app)
        env = {
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "RATELIMIT_KEY_PREFIX": f"postround-test-{uuid.uuid4().hex}",
            "LOGIN_RATE_LIMIT": "3 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute",
            "TRACKING_RATE_LIMIT": "1000 per minute",
            "TRACKING_WRONG_DIGITS_LIMIT": "3 per minute",
            "TRUSTED_PROXY_COUNT": "1",
        }
        servers = [
            ServerProcess(url, tmp_path / "storage", tmp_path / f"server{n}.log", **env) for n in range(2)
        ]
        try:
            for server in servers:
                server.start()
            yield servers, make
        finally:
            for server in servers:
                server.stop()
            with app.app_context():
                db.engine.dispose()


def test_two_servers_sharing_redis_enforce_one_limit_of_each_kind(two_servers):
    servers, make = two_servers
    lan = make.user("postman")
    item = make.item(recipient_phone="0912345678")
    fresh = (f"192.0.2.{n}" for n in itertools.count(1))

    def call(n: int, method: str, path: str, client: str | None = None, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-For": client or next(fresh)}  # as the one trusted proxy would add
        return requests.request(method, f"{servers[n % 2].url}{path}", headers=headers, timeout=10, **kwargs)

    per_address = [
        call(
            n, "POST", "/api/auth/login", "203.0.113.1", json={"username": f"nobody{n}", "password": "guess"}
        ).status_code
        for n in range(4)
    ]
    per_account = [
        call(n, "POST", "/api/auth/login", json={"username": lan.username, "password": password})
        for n, password in enumerate(["guess", "guess", "guess", Factory.PASSWORD])
    ]
    wrong_digits = [
        call(n, "GET", f"/api/track/{item.code}", params={"phone_last4": digits}).status_code
        for n, digits in enumerate(["0000", "1111", "2222", "5678"])
    ]

    assert per_address == [401, 401, 401, 429]
    assert [r.status_code for r in per_account] == [401] * 4
    assert ["Retry-After" in r.headers for r in per_account] == [False, False, False, True]
    assert wrong_digits == [404, 404, 404, 429]
