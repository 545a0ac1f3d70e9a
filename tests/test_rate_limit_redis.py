"""With several workers the login limit must count across them: Redis holds the counters."""

import os
import uuid

import pytest

from backend import create_app
from backend.extensions import db
from tests.conftest import _test_config, redis_up


@pytest.mark.skipif(not redis_up() and os.environ.get("CI") != "true", reason="Redis is not running")
def test_two_workers_share_one_login_limit(tmp_path):
    config = _test_config(
        f"sqlite:///{tmp_path / 'r.db'}",
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
        RATELIMIT_KEY_PREFIX=f"postround-test-{uuid.uuid4().hex}",
    )
    apps = [create_app(config) for _ in range(2)]
    with apps[0].app_context():
        db.create_all()
    workers = [app.test_client() for app in apps]
    codes = [
        workers[n % 2]
        .post("/api/auth/login", json={"username": "nobody", "password": "wrong-pass"})
        .status_code
        for n in range(3)
    ]
    assert codes == [401, 401, 429]
