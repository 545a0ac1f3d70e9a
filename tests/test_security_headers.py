"""Security headers on every kind of answer: API JSON, problems, the web apps, the docs page, files.

A browser that meets any PostRound answer must not sniff it into something runnable, must not
frame it inside another site, must not leak the address in a Referer, and may only run the
app's own scripts. Files (proof photos, exports) come as downloads, never as pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.headers import tile_source
from backend.timeutil import local_today
from backend.web import WEB_APPS
from tests.kit.images import jpeg_bytes
from tests.kit.phone import Phone, sha

BUILT = all((dist / "index.html").is_file() for dist in WEB_APPS.values())


def get(client, path: str, **kwargs):
    """A GET whose body is read and whose file (a static asset) is closed."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_always(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert "Strict-Transport-Security" not in response.headers  # not unless BEHIND_TLS


def assert_inert(response) -> None:
    """JSON, problems and files: nothing in them may load or run."""
    assert_always(response)
    assert directives(response)["default-src"] == ["'none'"]


def assert_app_policy(response, wasm: bool = False) -> None:
    """`wasm`: the postman's app may compile WebAssembly (its barcode decoder), and nothing more."""
    assert_always(response)
    policy = directives(response)
    # no inline script, no eval, no other origin
    assert policy["script-src"] == (["'self'", "'wasm-unsafe-eval'"] if wasm else ["'self'"])
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


@pytest.fixture
def supervisor_headers(make, auth):
    return auth(make.user("supervisor"))


def test_api_json_answers_are_inert(client, supervisor_headers):
    for response in (
        client.get("/api/health"),
        client.get("/api/auth/me", headers=supervisor_headers),
        client.get("/api/openapi.json"),
    ):
        assert response.status_code == 200 and response.is_json
        assert_inert(response)


def test_problem_answers_are_inert(client, supervisor_headers):
    for response in (
        client.get("/api/items/2147483647", headers=supervisor_headers),  # 404
        client.get("/api/items"),  # 401
        client.post("/api/auth/login", data="{", content_type="application/json"),  # 400
        client.delete("/api/health"),  # 405
        client.get("/nowhere"),
    ):  # 404 outside the API
        assert response.content_type == "application/problem+json", response.data
        assert_inert(response)


@pytest.mark.skipif(not BUILT, reason="the web apps are not built (scripts/setup.sh)")
def test_every_file_of_both_web_apps_carries_the_apps_policy(client):
    for mount, dist in WEB_APPS.items():
        index = get(client, f"/{mount}/")
        assert index.status_code == 200 and index.mimetype == "text/html"
        wasm = mount == "app"
        assert_app_policy(index, wasm)
        assert_app_policy(get(client, f"/{mount}/some/client/route"), wasm)
        for path in sorted(Path(dist).rglob("*"))[:12]:
            if path.is_file():
                response = get(client, f"/{mount}/{path.relative_to(dist).as_posix()}")
                assert response.status_code == 200, path
                assert_app_policy(response, wasm)  # the service worker takes its policy from its own script


@pytest.mark.skipif(not BUILT, reason="the web apps are not built (scripts/setup.sh)")
def test_the_built_apps_have_no_inline_script_the_policy_would_block():
    import re

    for dist in WEB_APPS.values():
        html = (dist / "index.html").read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script in {dist}/index.html: {tag}"
        assert not re.search(r"<[^>]*\son\w+=", html), f"inline event handler in {dist}/index.html"


def test_the_docs_page_allows_only_its_own_style(client):
    response = client.get("/api/docs")

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_app_policy(response)
    styles = directives(response)["style-src"]
    assert styles[0] == "'self'" and len(styles) == 2 and styles[1].startswith("'sha256-")


def test_a_proof_photo_is_a_download_and_never_sniffed(client, make, auth):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.deliver(item.id, seed=5)
    phone.sync()
    photo = sha(jpeg_bytes(5))

    response = client.get(f"/api/attachments/{photo}", headers=auth(make.user("supervisor")))

    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert_inert(response)


def test_an_export_is_a_download_and_never_sniffed(client, make, auth):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.deliver(item.id, seed=6)
    phone.sync()
    with client.application.app_context():
        today = local_today().isoformat()

    response = client.get(
        "/api/reports/export",
        headers=auth(make.user("supervisor")),
        query_string={"date_from": today, "date_to": today, "format": "xlsx"},
    )

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert_inert(response)


class TestBehindTls:
    @pytest.fixture
    def app_config(self):
        return {"BEHIND_TLS": True, "HSTS_MAX_AGE": 31536000}

    def test_every_answer_tells_the_browser_to_use_https_only(self, client):
        for path in ("/api/health", "/api/docs", "/nowhere", "/app/"):
            assert (
                get(client, path).headers["Strict-Transport-Security"]
                == "max-age=31536000; includeSubDomains"
            )


class TestMapTiles:
    @pytest.fixture
    def app_config(self):
        return {"MAP_TILE_URL": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"}

    @pytest.mark.skipif(not BUILT, reason="the web apps are not built (scripts/setup.sh)")
    def test_the_dashboard_may_show_tiles_from_the_configured_server_and_nothing_else(self, client):
        policy = directives(get(client, "/dashboard/"))
        assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.tile.openstreetmap.org"]
        assert policy["connect-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.vn:8443/osm/{z}/{x}/{y}.png", "https://tiles.example.vn:8443"),
        ("http://10.0.0.5/{z}/{x}/{y}.png", "http://10.0.0.5"),
        ("https://a.{s}.example.org/{z}/{x}/{y}.png", "https:"),
        ("", None),
        ("javascript:alert(1)", None),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_a_tile_url_template_becomes_one_image_source(template, source):
    assert tile_source(template) == source
