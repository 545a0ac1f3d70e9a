"""A failing database: cut, hung, restored, between a real gunicorn and PostgreSQL.

A TCP proxy the test controls sits between the server and PostgreSQL. When the link is cut,
every answer that needs the database is a 503 problem with Retry-After (which the phones
retry), /api/health says the database is down, and the web apps still load. When the link
hangs (bytes vanish, nothing comes back), answers still come within the timeouts instead of
freezing the worker. When it comes back, everything works again and nothing was half-written.
"""

from __future__ import annotations

import time

import pytest
import requests
import sqlalchemy as sa

from backend import create_app
from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import Item
from tests.conftest import _test_config
from tests.factories import Factory, item_body
from tests.pg import fresh_database, require_pg
from tests.server_process import ServerProcess
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT_MS = 1500
# The worst wait: a hung round trip is cut after statement timeout + connect timeout, then the
# pool's fresh connection attempt may wait its own connect timeout.
BOUND = STATEMENT_TIMEOUT_MS / 1000 + 2 * CONNECT_TIMEOUT + 1.5
RETRY_AFTER = "17"


@pytest.fixture
def world(tmp_path):
    require_pg()
    with fresh_database("postround_outage") as url:
        app = create_app(_test_config(url, STORAGE_DIR=str(tmp_path / "storage")))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        make = Factory(app)
        supervisor = make.user("supervisor")
        agency, procedure = make.agency(), make.procedure()
        proxy = TcpProxy().start()
        proxied = (
            sa.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        )
        server = ServerProcess(
            proxied,
            tmp_path / "storage",
            tmp_path / "server.log",
            DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
            DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
            DB_RETRY_AFTER=RETRY_AFTER,
        )
        server.start()
        try:
            yield {
                "app": app,
                "proxy": proxy,
                "server": server,
                "supervisor": supervisor,
                "agency": agency,
                "procedure": procedure,
            }
        finally:
            server.stop()
            proxy.stop()
            with app.app_context():
                db.engine.dispose()


def _login(server, user) -> dict:
    response = requests.post(
        f"{server.url}/api/auth/login",
        timeout=10,
        json={"username": user.username, "password": Factory.PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _new_item(world, serial: int) -> dict:
    return item_body(world["procedure"].id, world["agency"].id, serial)


def _timed(method: str, url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.request(method, url, timeout=BOUND + 10, **kwargs)
    return response, time.monotonic() - started


def _assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == RETRY_AFTER
    body = response.json()
    assert body["type"].endswith("/database-unavailable") and body["status"] == 503
    assert "Try again" in body["detail"] and "thử lại" in body["detail"]


def _everything_needing_the_database(world, headers: dict, serial: int) -> dict[str, tuple[str, str, dict]]:
    url = world["server"].url
    return {
        "list items": ("GET", f"{url}/api/items", {"headers": headers}),
        "create an item": (
            "POST",
            f"{url}/api/items",
            {"headers": headers, "json": _new_item(world, serial)},
        ),
        "who am I": ("GET", f"{url}/api/auth/me", {"headers": headers}),
        "sign in": (
            "POST",
            f"{url}/api/auth/login",
            {"json": {"username": world["supervisor"].username, "password": Factory.PASSWORD}},
        ),
        "a phone's pull": ("GET", f"{url}/api/sync/pull", {"headers": headers}),
        "public tracking": (
            "GET",
            f"{url}/api/track/{make_s10('RR', serial)}",
            {"params": {"phone_last4": "5678"}},
        ),
    }


def _web_apps_still_load(server) -> None:
    for path in ("/app/", "/dashboard/"):
        response, took = _timed("GET", f"{server.url}{path}")
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        assert "text/html" in response.headers["Content-Type"]
        assert took < 1.0, f"{path} took {took:.1f} s while the database was away"


def _health_says_down(server) -> None:
    response, took = _timed("GET", f"{server.url}/api/health")
    _assert_unavailable(response)
    assert response.json()["database"] == "down"
    assert took < BOUND


def _items_named(world, code: str) -> int:
    with world["app"].app_context():
        count = db.session.execute(
            sa.select(sa.func.count()).select_from(Item).where(Item.code == code)
        ).scalar()
        db.session.remove()
        return count


def _everything_works_again(world, headers: dict, serial: int) -> None:
    server = world["server"]
    health = requests.get(f"{server.url}/api/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    body = _new_item(world, serial)
    created = requests.post(f"{server.url}/api/items", headers=headers, json=body, timeout=10)
    assert created.status_code == 201, created.text
    assert _items_named(world, body["code"]) == 1  # the refused attempt left nothing behind
    assert requests.get(f"{server.url}/api/items", headers=headers, timeout=10).status_code == 200
    assert (
        requests.post(
            f"{server.url}/api/auth/login",
            timeout=10,
            json={"username": world["supervisor"].username, "password": Factory.PASSWORD},
        ).status_code
        == 200
    )


def _unavailable_within_the_bound_but_the_apps_load(world, headers, serial: int) -> None:
    """Every request that needs the database answers 503 within BOUND seconds (never frozen); the
    health check says so, and both web apps still load."""
    for story, (method, url, kwargs) in _everything_needing_the_database(world, headers, serial).items():
        response, took = _timed(method, url, **kwargs)
        _assert_unavailable(response)
        assert took < BOUND, f"{story} took {took:.1f} s: frozen"
    _health_says_down(world["server"])
    _web_apps_still_load(world["server"])


def test_a_cut_database_is_a_503_everywhere_it_is_needed_and_the_apps_still_load(world):
    server, proxy = world["server"], world["proxy"]
    headers = _login(server, world["supervisor"])

    proxy.cut()

    _unavailable_within_the_bound_but_the_apps_load(world, headers, 20_000_001)
    assert server.running

    proxy.restore()

    _everything_works_again(world, headers, 20_000_001)


def test_a_hung_database_answers_within_the_timeout_instead_of_freezing(world):
    server, proxy = world["server"], world["proxy"]
    headers = _login(server, world["supervisor"])
    assert requests.get(f"{server.url}/api/items", headers=headers, timeout=10).status_code == 200  # pooled

    proxy.hang()

    _unavailable_within_the_bound_but_the_apps_load(world, headers, 20_000_002)

    proxy.restore()

    _everything_works_again(world, headers, 20_000_002)


def test_a_write_cut_off_midway_is_not_half_written(world):
    """The link dies after the request started: the item is refused (503) or created, never half."""
    server, proxy = world["server"], world["proxy"]
    headers = _login(server, world["supervisor"])
    body = _new_item(world, 20_000_003)

    proxy.hang()
    response, took = _timed("POST", f"{server.url}/api/items", headers=headers, json=body)
    proxy.restore()

    _assert_unavailable(response)
    assert took < BOUND
    assert _items_named(world, body["code"]) == 0
    retry = requests.post(f"{server.url}/api/items", headers=headers, json=body, timeout=10)
    assert retry.status_code == 201, retry.text
    assert _items_named(world, body["code"]) == 1
