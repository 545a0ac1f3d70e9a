"""The web apps and the docs page work under their Content-Security-Policy, in headless Chromium.

A strict policy that breaks the app is no policy at all: someone would switch it off. So the
supervisor signs in and walks every dashboard page with map tiles from a tile server of their
own (MAP_TILE_URL, another origin), a postman signs in on the phone app and its service worker
takes over, and someone reads the API docs. The browser reports no violation of the policy.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in_to_dashboard
from tests.factories import Factory

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def live_server_config(tiles):
    return {"MAP_TILE_URL": tiles.url + "/{z}/{x}/{y}.png", "MAP_TILE_ATTRIBUTION": "© test tiles"}


def watch(page) -> list[str]:
    """Every CSP violation and console message about one, as text."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def violations(page, problems: list[str]) -> list[str]:
    return problems + page.evaluate("window.__csp || []")


def test_the_dashboard_works_under_its_policy_with_map_tiles(page, live_server, tiles):
    make = live_server.make
    supervisor = make.user("supervisor")
    postman = make.user("postman", full_name="Trần Thị Lan")
    make.round(postman, items=[make.item(lat=10.01, lon=105.16), make.item(lat=10.02, lon=105.17)])
    problems = watch(page)

    sign_in_to_dashboard(page, live_server, supervisor)
    for route in ("map", "planning", "import", "handovers", "reports", "today"):
        page.click(f"nav a[data-route={route}]")
        page.wait_for_load_state("networkidle")
        if route == "map":
            page.wait_for_function(
                "() => [...document.querySelectorAll('img.leaflet-tile')]"
                ".some((img) => img.complete && img.naturalWidth === 256)"
            )

    assert tiles.served, "no map tile was requested"
    assert violations(page, problems) == []


def test_the_phone_app_and_its_service_worker_work_under_the_policy(browser, live_server):
    postman = live_server.make.user("postman")
    live_server.make.round(postman, items=[live_server.make.item()])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        problems = watch(page)

        page.goto(f"{live_server.url}/app/")
        page.fill("#username", postman.username)
        page.fill("#password", Factory.PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_selector("main[data-screen=round]")
        # (functions, not bare expressions: Playwright evaluates those with eval, which the policy refuses)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.wait_for_function("() => document.querySelectorAll('.stops .stop').length === 1")
        page.reload()  # now served through the service worker, under its own policy
        page.wait_for_selector("main[data-screen=round]")

        assert violations(page, problems) == []
    finally:
        context.close()


def test_the_api_docs_page_is_styled_under_its_policy(page, live_server):
    problems = watch(page)

    page.goto(f"{live_server.url}/api/docs")

    expect(page.locator("h1")).to_contain_text("PostRound API")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "960px"  # its one <style> applied
    assert violations(page, problems) == []


def test_the_policy_really_blocks_an_injected_inline_script(page, live_server):
    """The check above can fail: an inline script injected into the page is refused and reported."""
    problems = watch(page)
    page.goto(f"{live_server.url}/dashboard/")

    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                             document.head.appendChild(s); }""")

    assert page.evaluate("window.__ran === undefined")
    page.wait_for_function("() => window.__csp.length > 0")
    assert any("script-src" in v for v in violations(page, problems))
