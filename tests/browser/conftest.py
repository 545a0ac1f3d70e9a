"""Browser tests: a real server in a thread, driven by Debian's headless Chromium via Playwright.

Never `playwright install`: it downloads a browser, which these machines cannot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from backend import create_app
from backend.extensions import db
from backend.timeutil import local_today
from tests.conftest import _test_config
from tests.factories import Factory
from tests.kit.barcodes import camera_video, qr_picture
from tests.kit.tiles import TileServer

# An assertion waits for what the user would see up to 10 s (Playwright's default is 5 s): on a
# loaded two-core machine a page's answer can take longer than that, and waiting longer weakens
# nothing, since what is asserted must still appear.
expect.set_options(timeout=10_000)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(tryfirst=True)  # before -m reads the marks: `-m "not browser"` skips these
def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if "tests/browser" in str(item.fspath)]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    # Under CI the browser tests must run: without Chromium they fail at launch, never skip.
    if os.path.exists(CHROMIUM) or os.environ.get("CI") == "true":
        return
    for item in ours:
        item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class LiveServer:
    """The real app on 127.0.0.1:<port>, stoppable and restartable on the same port and database."""

    def __init__(self, tmp_path, database_url: str | None = None, **config):
        self.config = _test_config(
            database_url or f"sqlite:///{tmp_path / 'live.db'}",
            STORAGE_DIR=str(tmp_path / "storage"),
            **config,
        )
        self.app = create_app(self.config)
        with self.app.app_context():
            db.create_all()
        self.make = Factory(self.app)
        self.port = None
        self._server = None

    def start(self):
        self._server = make_server("127.0.0.1", self.port or 0, self.app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live_server_config() -> dict:
    """Override in a test module for settings that need another fixture (a tile server's URL, a queue
    file in tmp_path); constant settings go in the module's `server_settings` mark."""
    return {}


@pytest.fixture
def tiles():
    """A map tile server on another origin; a module sets MAP_TILE_URL to it in live_server_config."""
    with TileServer() as server:
        yield server


@pytest.fixture
def live_server(request, tmp_path, live_server_config):
    marked = request.node.get_closest_marker("server_settings")
    settings = {**(marked.kwargs if marked else {}), **live_server_config}
    server = LiveServer(tmp_path, **settings).start()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


@pytest.fixture
def today(live_server):
    """The post office's date, not the machine's."""
    with live_server.app.app_context():
        return local_today()


@pytest.fixture
def supervisor(live_server):
    """The supervisor at the post office's desk, first of the people the story needs."""
    return live_server.make.user("supervisor", full_name="Hồ Thị Giám Sát")


@pytest.fixture
def lan_and_minh(live_server):
    """Two postmen of the office, Trần Thị Lan and Võ Văn Minh."""
    make = live_server.make
    return make.user("postman", full_name="Trần Thị Lan"), make.user("postman", full_name="Võ Văn Minh")


# --- The postman's PWA (tests/browser/test_pwa_*.py) ---------------------------------------------

# The post office's desktop browser; the dashboard stories' screen.
DESK = {"viewport": {"width": 1366, "height": 900}, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
    "timezone_id": "Asia/Ho_Chi_Minh",
    "service_workers": "allow",
}
AT_THE_DOOR = {"latitude": 10.0123, "longitude": 105.1601, "accuracy": 8}

# Reads an IndexedDB store of the app; blobs come back base64-encoded.
# Opening the app's database from the test: an open the browser holds back (a connection of a killed
# renderer not yet gone) or never answers fails the test in 15 s instead of hanging it: page.evaluate
# itself has no timeout.
OPEN_DB_JS = """() => Promise.race([
  new Promise((ok, ko) => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result);
                            r.onerror = () => ko(r.error); r.onblocked = () => ko(new Error('indexedDB.open blocked')) }),
  new Promise((ok, ko) => setTimeout(() => ko(new Error('IndexedDB did not answer in 15 s')), 15000)),
])"""

READ_STORE_JS = f"""async (name) => {{
  const db = await ({OPEN_DB_JS})()
  const rows = await new Promise((ok, ko) => {{ const r = db.transaction(name).objectStore(name).getAll();
                                               r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error) }})
  db.close()
  for (const row of rows) {{
    if (!(row.blob instanceof Blob)) continue
    const bytes = new Uint8Array(await row.blob.arrayBuffer())
    let text = ''
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    row.blob = btoa(text)
  }}
  return rows
}}"""

# The drafts' values (inputs by name#n) and the number of each part (photos, strokes).
DRAFTS_JS = """async () => {
  const db = await new Promise(ok => { const r = indexedDB.open('postround'); r.onsuccess = () => ok(r.result) })
  const rows = await new Promise(ok => { db.transaction('drafts').objectStore('drafts').getAll().onsuccess =
                                         e => ok(e.target.result) })
  db.close()
  return rows.map(row => ({ values: row.values, parts: Object.fromEntries(Object.entries(row.parts)
                             .map(([name, part]) => [name, part.length])) }))
}"""

OUTBOX_COUNT_JS = f"""async () => {{
  const db = await ({OPEN_DB_JS})()
  const n = await new Promise(ok => {{ db.transaction('outbox').objectStore('outbox').count().onsuccess = e => ok(e.target.result) }})
  db.close()
  return n
}}"""


@dataclass
class PostmanDay:
    postman: object
    deliveries: list  # three return items to deliver
    to_fail: object  # a return item whose attempt fails
    to_collect: object  # a dossier to collect
    round: object

    @property
    def items(self) -> list:
        return [*self.deliveries, self.to_fail, self.to_collect]


@pytest.fixture
def postman_day(live_server) -> PostmanDay:
    """A postman with today's round (the post office's date): 3 results to return, one more that
    will fail, and one dossier to collect, in route order with leg distances."""
    make = live_server.make
    postman = make.user("postman", full_name="Lê Văn Bưu")
    people = [
        ("Nguyễn Thị Hồng", "Ấp Phước Lợi", "Xã Mong Thọ"),
        ("Trần Văn Đức", "Ấp Giục Tượng", "Xã Giục Tượng"),
        ("Phạm Thị Ánh", "Khu phố Minh Lương", "Xã Châu Thành"),
        ("Võ Minh Đạt", "Ấp Vĩnh Hòa", "Xã Vĩnh Hòa Hiệp"),
    ]
    returns = [
        make.item(
            recipient_name=name,
            address_line=line,
            commune=commune,
            leg_distance_m=400 + 350 * n,
            service_fee=26_000,
            government_fee=10_000 * (n % 2),
            lat=10.01 + n / 1000,
            lon=105.16,
        )
        for n, (name, line, commune) in enumerate(people)
    ]
    dossier = make.item(
        direction="collect",
        status="registered",
        recipient_name="Đặng Thị Thu",
        address_line="Ấp Bình An",
        commune="Xã Bình An",
        leg_distance_m=1200,
        service_fee=26_000,
    )
    rnd = make.round(postman, items=[*returns, dossier], total_distance_m=5400)
    return PostmanDay(postman, returns[:3], returns[3], dossier, rnd)


@pytest.fixture
def phone(browser):
    """A cheap Android phone at 360×640, Vietnamese, with GPS allowed and a fix at the citizen's door."""
    context = browser.new_context(**PHONE, permissions=["geolocation"], geolocation=AT_THE_DOOR)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def camera_showing(browser_type, tmp_path):
    """camera_showing(text or picture) → a phone whose back camera films that picture (a QR code of
    the text by default), one browser each: Chromium's fake camera plays a .y4m video of it."""
    with contextlib.ExitStack() as stack:
        shown = iter(range(100))

        def phone_filming(what):
            picture = qr_picture(what) if isinstance(what, str) else what
            video = camera_video(tmp_path / f"camera-{next(shown)}.y4m", picture)
            browser = browser_type.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            )
            stack.callback(browser.close)
            context = browser.new_context(
                **PHONE, permissions=["geolocation", "camera"], geolocation=AT_THE_DOOR
            )
            context.set_default_timeout(20_000)
            return context

        yield phone_filming


def sign_in_to_dashboard(page, server, user, route: str = "", heading: str = "Hôm nay") -> None:
    """Open the dashboard (at `#/route`), sign in as `user` and wait for the screen's heading."""
    page.goto(f"{server.url}/dashboard/" + (f"#/{route}" if route else ""))
    page.fill("#login-username", user.username)
    page.fill("#login-password", Factory.PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text(heading)


def draw_signature(page, canvas_selector: str, seed: int = 0) -> None:
    """Sign on a signature pad (web/common/signature.js) with the mouse: a zigzag across it."""
    canvas = page.locator(canvas_selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(
            x + w * (0.1 + step * 0.065), y + h * (0.5 + 0.3 * ((step + seed) % 3 - 1) / 2), steps=2
        )
    page.mouse.up()


class Pwa:
    """Drives the app like a postman: sign in, open a stop, fill a form, save."""

    def __init__(self, page, server):
        self.page, self.server = page, server

    def open(self):
        self.page.goto(f"{self.server.url}/app/")
        return self

    def login(self, username: str, password: str = Factory.PASSWORD):
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_selector("main[data-screen=round]")
        return self

    def on_the_round(self, username: str, stops: int = 5):
        """Opened, signed in, the round's `stops` stops on screen."""
        self.open().login(username)
        self.wait_for_stops(stops)
        return self

    def ready_offline(self, username: str, stops: int = 5):
        """Signed in online, the round (`stops` stops) and the app shell downloaded, then the network goes."""
        self.on_the_round(username, stops)
        self.wait_for_service_worker()
        self.page.context.set_offline(True)
        return self

    def wait_for_service_worker(self):
        self.page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    def wait_for_stops(self, count: int):
        self.page.wait_for_function(f"() => document.querySelectorAll('.stops .stop').length === {count}")

    def open_item(self, item_id: int):
        """Open a stop from the round list (after a save the app shows the next stop: back to the list)."""
        if not self.page.locator("main[data-screen=round]").count():
            self.page.click("a.brand")
            self.page.wait_for_selector("main[data-screen=round]")
        row = self.page.locator(f'.stop[data-item-id="{item_id}"]')
        if not row.is_visible():  # a done stop, collapsed at the bottom
            self.page.click(".done-stops > summary")
        self.page.click(f'.stop[data-item-id="{item_id}"] a')
        self.page.wait_for_selector(f'.item[data-item-id="{item_id}"]')

    def sign(self, field: str, seed: int = 0):
        draw_signature(self.page, f'[data-field="{field}"] canvas', seed)

    def add_photo(self, field: str, path: str, count: int = 1):
        self.page.set_input_files(f'[data-field="{field}"] input[type=file]', path)
        self.page.wait_for_selector(f'[data-field="{field}"][data-count="{count}"]')

    def wait_for_gps(self):
        self.page.wait_for_selector('[data-field="gps"][data-state="ok"]')

    def save(self):
        self.click_save()
        errors = self.page.locator("form[data-state=error] .errors")
        assert not errors.count(), errors.inner_text()

    def click_save(self):
        """Tap Save and wait for its answer: on the next open stop or the round (saved), or the form's errors."""
        attempt = int(self.page.get_attribute("form.capture", "data-attempts") or 0) + 1
        self.page.click('[data-action="save"]')
        self.page.wait_for_function(
            """(n) => (!document.querySelector('form.capture') && !document.body.dataset.tapGuard &&
            document.querySelector('main[data-screen=round], main .screen.item')) ||
            document.querySelector(`form.capture[data-attempts="${n}"][data-state=error]`)""",
            arg=attempt,
        )

    def deliver(
        self, item, photo: str, id_number: str = "089123456789", receipt: str = "BL-0001", seed: int = 0
    ):
        self.open_item(item.id)
        self.page.click('[data-action="deliver"]')
        self.page.fill('[data-field="id_number"] input', id_number)
        self.sign("signature", seed)
        self.add_photo("photos", photo)
        self.page.fill('[data-field="receipt_number"] input', receipt)
        self.wait_for_gps()
        self.save()

    def fail(self, item, reason: str = "not_home", note: str = "Gọi ba lần không nghe máy"):
        self.open_item(item.id)
        self.page.click('[data-action="fail"]')
        self.page.check(f'[data-field="reason_code"] input[value="{reason}"]')
        self.page.fill('[data-field="note"] textarea', note)
        self.wait_for_gps()
        self.save()

    def collect(self, item, seal: str = "NP-000123", receipt: str = "BL-C-0001"):
        self.open_item(item.id)
        self.page.click('[data-action="collect"]')
        self.page.locator(".paper input[type=checkbox]").first.check()
        self.page.fill('[data-field="seal_number"] input', seal)
        self.page.fill('[data-field="receipt_number"] input', receipt)
        self.sign("signature", 1)
        self.sign("postman_signature", 2)
        self.wait_for_gps()
        self.save()

    def store(self, name: str) -> list[dict]:
        return self.page.evaluate(READ_STORE_JS, name)

    def wait_for_draft(self, **expected):
        """The one draft in IndexedDB holds these values (inputs by name#n) and counts (photos,
        strokes): typing is written after a pause, which a loaded machine may make longer."""
        deadline = time.monotonic() + 5
        while True:
            rows = self.page.evaluate(DRAFTS_JS)
            found = {k: {**row["values"], **row["parts"]}.get(k) for row in rows for k in expected}
            if len(rows) == 1 and found == expected:
                return
            assert time.monotonic() < deadline, rows
            self.page.wait_for_timeout(100)

    def wait_until_synced(self, timeout: float = 20_000):
        """The outbox is empty (every mutation had its outcome) and the pull after it finished."""
        deadline = time.monotonic() + timeout / 1000
        while self.page.evaluate(OUTBOX_COUNT_JS):
            assert time.monotonic() < deadline, f"the outbox did not drain: {self.store('outbox')}"
            self.page.wait_for_timeout(200)
        self.page.wait_for_selector('#sync-indicator[data-pending="0"][data-state="ok"]', timeout=timeout)


@pytest.fixture
def pwa_for():
    """pwa_for(page, server) → a Pwa driver."""
    return Pwa


# --- The supervisors' dashboard (tests/browser/test_dashboard_*.py) ------------------------------


@pytest.fixture
def server(live_server):
    """The live server, by the name the dashboard stories use."""
    return live_server


@pytest.fixture
def page(browser):
    """A desktop browser at the post office (not pytest-playwright's `page`: its base_url fixture warns)."""
    context, desk = desk_page(browser)
    yield desk
    context.close()


def desk_page(browser):
    """A fresh desktop context (downloads accepted, 10 s timeouts) and its page; close the context."""
    context = browser.new_context(**DESK, accept_downloads=True)
    context.set_default_timeout(10_000)
    return context, context.new_page()
