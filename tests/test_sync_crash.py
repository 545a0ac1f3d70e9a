"""A real server SIGKILLed at random moments while a phone pushes proofs and uploads photos.

The phone keeps everything that got no definite answer and sends it again once the server
is back: the same mutation ids, and uploads resumed from what the server says it has. At the
end: one ledger row and one effect per mutation, no proof lost, every stored file
byte-identical to what the phone sent, every proof complete (SYNC.md requirements 1 and 8).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from backend import create_app
from backend.extensions import db
from backend.models import Attachment
from backend.timeutil import local_today
from sync.storage import DirectoryStore
from tests.conftest import _test_config
from tests.factories import Factory
from tests.kit.images import noisy_jpeg, png_signature
from tests.kit.ledger import assert_delivered_exactly_once
from tests.kit.phone import Phone, sha
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SEED = int(os.environ.get("POSTROUND_CRASH_SEED", "20261126"))
KILLS = 10  # server restarts (each costs ~1.5 s of start-up)
ITEMS = 60
CHUNK = 16 * 1024
TIMEOUT = 15  # seconds for one request to a live server


# Fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def world(_pg_schema, tmp_path):
    """The run's PostgreSQL database, emptied; a storage directory; an app for setting up and checking."""
    storage = tmp_path / "storage"
    app = create_app(_test_config(_pg_schema, STORAGE_DIR=str(storage)))
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    yield app, _pg_schema, storage
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def server(world, tmp_path):
    _, url, storage = world
    process = ServerProcess(url, storage, tmp_path / "server.log")
    process.start()
    yield process
    process.stop()


# The phone ---------------------------------------------------------------------------------------


class Unanswered(Exception):
    """The request got no definite answer (connection refused or reset, timed out, body cut short)."""


class CrashPhone:
    """A phone on a real network: an outbox of mutations and files to upload in chunks.

    Nothing is dropped until the server has given a definite answer for it.
    """

    def __init__(self, phone: Phone, base_url: str):
        self.phone, self.base_url = phone, base_url
        self.http = requests.Session()
        self.offsets: dict[str, int | None] = dict.fromkeys(phone.files)  # None: ask the server
        self.stats: Counter = Counter()
        self.outcomes: dict[str, list[dict]] = {}

    # --- plumbing
    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        self.stats["requests"] += 1
        try:
            return self.http.request(
                method,
                self.base_url + path,
                timeout=TIMEOUT,
                headers=self.phone.headers | kwargs.pop("headers", {}),
                **kwargs,
            )
        except requests.RequestException as error:  # refused, reset, timed out, or cut mid-body
            self.stats["unanswered"] += 1
            self.stats[f"unanswered-{method} {path.split('/')[3]}"] += 1
            raise Unanswered(str(error)) from None

    def new_connection(self) -> None:
        self.http.close()
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def login(self) -> None:
        response = self.request(
            "POST",
            "/api/auth/login",
            json={
                "username": self.phone.username,
                "password": self.phone.password,
                "device_id": self.phone.device_id,
            },
        )
        assert response.status_code == 200, response.text
        self.phone.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    @property
    def done(self) -> bool:
        return not self.phone.outbox and not self.offsets

    # --- push
    def push(self, size: int) -> None:
        batch = self.phone.outbox[:size]
        response = self.request("POST", "/api/sync/push", json={"protocol": 1, "mutations": batch})
        if response.status_code >= 500:
            self.stats["push-5xx"] += 1
            return
        assert response.status_code == 200, response.text
        settled = set()
        for result in response.json()["results"]:
            self.outcomes.setdefault(result["id"], []).append(result)
            self.stats[f"outcome-{result['outcome']}"] += 1
            if result["outcome"] != "rejected" or not result.get("retryable"):
                settled.add(result["id"])
        self.phone.outbox = [m for m in self.phone.outbox if m["id"] not in settled]

    # --- upload
    def upload_step(self, digest: str) -> None:
        """One request towards getting `digest` verified on the server."""
        content, offset = self.phone.files[digest], self.offsets[digest]
        url = f"/api/sync/attachments/{digest}"
        if offset is None:  # after a lost answer or a restart: how much does the server have?
            response = self.request("GET", url)
            assert response.status_code == 200, response.text
            state = response.json()
            if state["verified"]:
                del self.offsets[digest]
                return
            self.offsets[digest] = state["received"]
            self.stats["asked-how-much"] += 1
            self.stats["resumed-midway"] += 0 < state["received"] < len(content)
            return
        if offset == len(content):
            # Every byte is there but was never verified (the server died in between): as the
            # protocol says, send the last chunk again; the server skips what it has and verifies.
            self.stats["resent-final-chunk"] += 1
            offset = max(0, len(content) - CHUNK)
        end = min(offset + CHUNK, len(content))
        response = self.request(
            "PUT",
            url,
            data=content[offset:end],
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {offset}-{end - 1}/{len(content)}",
            },
        )
        if response.status_code == 200:
            state = response.json()
            if state["verified"]:
                del self.offsets[digest]
            else:
                self.offsets[digest] = state["received"]
            return
        try:
            problem = response.json().get("type", "").rsplit("/", 1)[-1]
        except ValueError:  # not problem+json: a proxy's or gunicorn's own error page
            problem = ""
        assert response.status_code in (409, 422, 500, 502, 503) and problem != "not-an-image", response.text
        self.stats[f"upload-{problem or response.status_code}"] += 1
        self.offsets[digest] = None  # ask again

    # --- a stretch of work
    def work(
        self,
        rng: random.Random,
        doomed: threading.Event,
        doom_after: int,
        doom_push: bool,
        stop: threading.Event,
    ) -> None:
        """Push and upload, interleaved, until done or the server goes away.

        `doomed` is set just before request number `doom_after` leaves (a large push if
        `doom_push` and there is one to send): the test kills the server a few ms later.
        """
        sent = 0
        while not self.done and not stop.is_set():
            doom = sent == doom_after
            if doom:
                doomed.set()
            sent += 1
            try:
                if self.phone.outbox and (not self.offsets or (doom_push if doom else rng.random() < 0.12)):
                    self.push(rng.randint(8, 20) if doom else rng.randint(1, 4))
                else:  # a doomed upload is a chunk being written, not a question
                    started = sorted(d for d, offset in self.offsets.items() if offset is not None)
                    self.upload_step(rng.choice(started if doom and started else sorted(self.offsets)))
            except Unanswered:
                self.offsets = dict.fromkeys(self.offsets)  # resume everything from the server's word
                return
        doomed.set()

    def pull_all(self) -> dict[int, dict]:
        items, cursor = {}, None
        while True:
            response = self.request("GET", "/api/sync/pull", params={"cursor": cursor} if cursor else {})
            assert response.status_code == 200, response.text
            page = response.json()
            items.update({item["id"]: item for item in page["items"]})
            cursor = page["cursor"]
            if not page["more"]:
                return items


# The test ------------------------------------------------------------------------------------------


def test_a_server_killed_at_random_moments_loses_nothing_and_applies_everything_once(world, server):
    app, _, storage = world
    rng = random.Random(SEED)
    make = Factory(app)
    postman = make.user("postman")
    items = [make.item() for _ in range(ITEMS)]
    with app.app_context():
        make.round(postman, local_today(), items=items)

    phone = Phone(None, postman.username)
    photo = b""
    for n, item in enumerate(items):
        if n % 9 != 8:  # now and then the same photo serves two proofs: stored once
            photo = noisy_jpeg(rng, rng.choice([(120, 90), (160, 120), (240, 180), (320, 240)]))
        phone.capture(
            "deliver",
            item.id,
            {
                "receiver_name": f"Người nhận {n}",
                "receiver_relation": "self",
                "id_number": "089123456789",
                "lat": 10.01,
                "lon": 105.16,
                "fee_collected": 26_000,
                "receipt_number": f"BL-{n}",
            },
            {"signature": png_signature(n), "photo": photo},
        )
    captured = list(phone.outbox)
    files = dict(phone.files)
    client = CrashPhone(phone, server.url)
    client.login()

    started = time.monotonic()
    try:
        for cycle in range(KILLS + 1):
            doomed, stop = threading.Event(), threading.Event()
            last = cycle == KILLS
            worker_rng = random.Random(rng.random())
            doom_after = -1 if last else rng.randint(0, 25)
            doom_push = cycle % 2 == 0  # every other kill aims at a push, the others at an upload
            errors: list[BaseException] = []

            def work(worker_rng, doomed, doom_after, doom_push, stop, errors):
                try:
                    client.work(worker_rng, doomed, doom_after, doom_push, stop)
                except BaseException as error:  # re-raised by the test thread
                    errors.append(error)
                    doomed.set()

            worker = threading.Thread(
                target=work, args=(worker_rng, doomed, doom_after, doom_push, stop, errors), daemon=True
            )
            worker.start()
            if not last:
                assert doomed.wait(60)
                time.sleep(rng.uniform(0, 0.05))  # somewhere in the middle of a request, or just after
                server.kill()
            worker.join(120)
            stop.set()
            assert not worker.is_alive(), "the phone hung"
            if errors:
                raise errors[0]
            client.new_connection()
            if not last:
                server.start()
        assert client.done, client.stats
        pulled = client.pull_all()
    finally:
        client.close()
    elapsed = time.monotonic() - started
    print(f"seed {SEED}: {KILLS} kills in {elapsed:.1f} s; {dict(sorted(client.stats.items()))}")

    assert client.stats["unanswered"] >= KILLS // 2, client.stats  # the kills did land mid-request
    assert {r["outcome"] for results in client.outcomes.values() for r in results} <= {"applied", "duplicate"}
    assert {r.get("original_outcome", "applied") for rs in client.outcomes.values() for r in rs} == {
        "applied"
    }
    assert {i["status"] for i in pulled.values()} == {"delivered"} and len(pulled) == ITEMS

    with app.app_context():
        session = db.session
        assert_delivered_exactly_once(session, phone.device_id, [m["id"] for m in captured])

        stored = session.execute(sa.select(Attachment)).scalars().all()
        assert {a.sha256 for a in stored} == set(files)
        for attachment in stored:
            content = (Path(storage) / attachment.storage_path).read_bytes()
            assert hashlib.sha256(content).hexdigest() == attachment.sha256
            assert content == files[attachment.sha256] and attachment.size_bytes == len(content)
            assert attachment.verified
    assert list((Path(storage) / "partial").iterdir()) == []  # nothing half-written left behind


def test_an_upload_whose_last_bytes_landed_just_before_a_crash_can_be_finished(world, server):
    """SIGKILL between writing the last chunk and verifying it leaves a complete partial file
    and no Attachment row. The phone got no answer; it retries the last chunk (or asks how much
    the server has: all of it, unverified). Either way it must end verified."""
    app, _, storage = world
    postman = Factory(app).user("postman")
    phone = Phone(None, postman.username)
    photo = noisy_jpeg(random.Random(SEED), (240, 180))
    digest = sha(photo)
    DirectoryStore(storage).append(digest, 0, photo, postman.id)  # what the dead server had written, fsync'ed
    client = CrashPhone(phone, server.url)
    try:
        client.login()
        url = f"/api/sync/attachments/{digest}"
        state = client.request("GET", url).json()
        assert state == {"sha256": digest, "received": len(photo), "size": None, "verified": False}
        start = len(photo) - CHUNK
        retry = client.request(
            "PUT",
            url,
            data=photo[start:],
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{len(photo) - 1}/{len(photo)}",
            },
        )
        assert retry.status_code == 200, retry.text
        assert retry.json()["verified"] is True
    finally:
        client.close()
