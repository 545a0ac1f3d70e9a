"""Two app nodes, one deployment: two gunicorn servers on different ports share one PostgreSQL
database, one Redis (rate limits, the task queue) and one attachment store (a shared folder, or
an S3 bucket). A phone behind a load balancer reaches either node at any request: it signs in on
one, pulls from the other, uploads a file whose chunks alternate between them, pushes on one and
replays the same push on the other. Everything happens exactly once; a budget spent on one node is
spent on both, because nothing a request relies on lives in a node's memory.
"""

from __future__ import annotations

import hashlib
import os
import random
import uuid

import pytest
import redis
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Attachment
from tests.conftest import redis_up
from tests.factories import Factory
from tests.kit.images import noisy_jpeg
from tests.kit.ledger import assert_delivered_exactly_once
from tests.kit.phone import Phone, Server
from tests.server_process import ServerProcess
from tests.stores import both_stores

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS = "redis://127.0.0.1:6379/0"
CHUNK = 8 * 1024
ITEMS = 4


@pytest.fixture
def backend_name():
    return "postgresql"  # the nodes' database: one PostgreSQL server


@pytest.fixture
def shared_redis():
    """One Redis for both nodes, under a key prefix of this test's own (removed afterwards)."""
    if not redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running")
    prefix = f"postround-nodes-{uuid.uuid4().hex[:8]}"
    yield prefix
    connection = redis.Redis.from_url(REDIS)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


@pytest.fixture
def nodes(app, store_config, shared_redis, tmp_path):
    """Start node A and node B (two workers each) on the app's database, Redis and store."""
    started: list[ServerProcess] = []

    def start(**settings: str) -> list[Server]:
        env = {
            "RATELIMIT_STORAGE_URI": REDIS,
            "RATELIMIT_KEY_PREFIX": shared_redis,
            "TASK_QUEUE_URL": REDIS,
            "TASK_QUEUE_NAME": shared_redis,
            **{key: str(value) for key, value in store_config.items() if key != "STORAGE_DIR"},
            **settings,
        }
        for name in "ab":
            node = ServerProcess(
                app.config["SQLALCHEMY_DATABASE_URI"],
                store_config["STORAGE_DIR"],
                tmp_path / f"node-{name}.log",
                workers=2,
                **env,
            )
            started.append(node)
            node.start(timeout=90)  # two nodes of two workers each, on a busy 2-core machine
        assert started[0].port != started[1].port
        return [Server(node.url) for node in started]

    yield start
    for node in started:
        node.stop()


@both_stores
def test_a_phone_whose_requests_alternate_between_two_nodes_gets_everything_done_exactly_once(
    app, make, nodes
):
    postman = make.user("postman")
    items = [make.item() for _ in range(ITEMS)]
    make.round(postman, items=items)
    a, b = nodes()

    phone = Phone(a, postman.username)
    phone.login()  # on A
    phone.client = b
    phone.pull()  # on B
    assert set(phone.items) == {item.id for item in items}
    assert {item["status"] for item in phone.items.values()} == {"assigned"}

    rng = random.Random(20261201)
    for n, item in enumerate(items):
        photo = noisy_jpeg(rng, (320, 240))  # tens of KB: several chunks each
        phone.deliver(item.id, seed=n, photo=photo)
    for digest in phone.files:
        answers = phone.upload_in_chunks(digest, CHUNK, clients=[a, b])
        assert len(answers) >= 2 or len(phone.files[digest]) <= CHUNK
        assert answers[-1]["verified"] and answers[-1]["received"] == len(phone.files[digest])
    chunked = [d for d, content in phone.files.items() if len(content) > 2 * CHUNK]
    assert chunked, "no file was split across both nodes"

    sent = list(phone.outbox)
    phone.client = a
    first = phone.push()  # on A
    assert [r["outcome"] for r in first["results"]] == ["applied"] * ITEMS
    replay = b.post("/api/sync/push", json={"protocol": 1, "mutations": sent}, headers=phone.headers)
    assert replay.status_code == 200, replay.get_json()
    assert [(r["outcome"], r.get("original_outcome")) for r in replay.get_json()["results"]] == [
        ("duplicate", "applied")
    ] * ITEMS
    for digest in chunked[:1]:  # a file sent again through B, whole: stored once, already verified
        again = phone.upload_in_chunks(digest, len(phone.files[digest]), clients=[b])
        assert len(again) == 1 and again[0]["verified"]

    phone.client = a
    phone.pull()  # on A: what B's replay and A's push left
    assert {item["status"] for item in phone.items.values()} == {"delivered"}
    assert phone.outbox == []

    with app.app_context():
        session = db.session
        assert_delivered_exactly_once(session, phone.device_id, [m["id"] for m in sent])

        store = app.extensions["postround.store"]
        stored = session.execute(sa.select(Attachment)).scalars().all()
        assert {row.sha256 for row in stored} == set(phone.files)
        for row in stored:
            with store.open(row.sha256) as handle:
                content = handle.read()
            assert content == phone.files[row.sha256] and hashlib.sha256(content).hexdigest() == row.sha256
            assert row.verified and row.size_bytes == len(content)
        assert list(store.partials()) == []  # no chunk left behind on either node's side


def test_a_rate_limit_budget_spent_on_one_node_is_spent_on_the_other(make, nodes, shared_redis):
    """Sign-ins per client address (flask-limiter) and failed sign-ins per account name (the
    throttle's own counters) both count in Redis: alternating nodes buys no extra tries."""
    supervisor = make.user("supervisor")
    a, b = nodes(
        RATELIMIT_ENABLED="true", LOGIN_RATE_LIMIT="5 per hour", LOGIN_ACCOUNT_RATE_LIMIT="2 per hour"
    )

    def login(node: Server, password: str):
        return node.post("/api/auth/login", json={"username": supervisor.username, "password": password})

    assert login(a, "wrong-password").status_code == 401  # 1st sign-in from this address
    assert login(b, "wrong-password").status_code == 401  # 2nd: the account's two failures are spent
    locked = login(a, Factory.PASSWORD)  # 3rd: on A, which saw one failure only
    assert locked.status_code == 401 and int(locked.headers["Retry-After"]) > 0
    assert login(b, Factory.PASSWORD).headers.get("Retry-After")  # 4th: locked on B too
    assert login(a, Factory.PASSWORD).status_code == 401  # 5th: the address's budget is spent
    refused = [login(node, Factory.PASSWORD) for node in (b, a)]
    assert [r.status_code for r in refused] == [429, 429]
    assert refused[0].headers["Content-Type"].startswith("application/problem+json")
    connection = redis.Redis.from_url(REDIS)
    counters = [key.decode() for key in connection.scan_iter(f"*{shared_redis}*")]
    connection.close()
    assert any("login-account" in key for key in counters) and len(counters) >= 2  # this deployment's own
