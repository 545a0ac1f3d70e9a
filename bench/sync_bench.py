#!/usr/bin/env python3
"""Offline-sync benchmark: bytes on the wire, latency, throughput and SQL statements of the
sync protocol (pull, push, attachments) against a real gunicorn server on PostgreSQL.

    .venv/bin/python bench/sync_bench.py [--seconds 8] [--loadgen auto|wrk|python]

It creates its own database (postround_bench_<random>, dropped at the end, even on error),
starts and stops its own gunicorn, prints human-readable lines, and as its LAST line one JSON
object with every figure, the ratios and `targets_met`. Targets are reported, not asserted:
the exit status is 0 whenever the benchmark itself ran. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for path in (str(BENCH_DIR), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

import _load  # noqa: E402
from _wire import Client  # noqa: E402

# The demo world (backend.demo) and the image makers (tests.kit) are imported where they are used:
# the load generator's worker processes import this module and must start fast.

PG_ADMIN_URL = os.environ.get(
    "POSTROUND_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
HOST = "127.0.0.1"
RANDOM_SEED = 20261126  # the demo world's items and people: byte counts compare between runs
PASSWORD = "buu-dien-chau-thanh-2026"
BIG_ROUND, SMALL_ROUND, RPS_POSTMEN, RPS_ROUND = 300, 30, 20, 5
PUSH_BATCH = 25  # mutations per push request for the day's proofs
CHUNK = 256 * 1024  # attachment upload chunk (every image here fits in one)
RPS_BATCH = 10  # mutations per push in the push_rps test
FULL_PULLS = 15

# The latency mode (issue 16): the PWA's batches, and what a slow link adds to every answer.
PWA_BATCH = 50  # mutations per push, as the PWA sends them (mobile_pwa/src/sync/push.js)
PWA_CHUNK = 128 * 1024  # the PWA's upload chunk (mobile_pwa/src/sync/upload.js)
PWA_PARALLEL = 4  # large files (and batch uploads) in flight at once
BATCH_UPLOAD_BYTES = 1024 * 1024  # one multipart batch upload's files, at most
MAX_PARTS = 200
ROUND_TRIPS_MAX = 40
COUCHDB_100MS_S = 2.8  # CouchDB/PouchDB replication of the same day at +100 ms, as measured in issue 16
LINK_PROBE_BYTES = 32 * 1024 * 1024
HEALTH_PROBES = 21

# Targets from the "Offline sync" issue.
PULL_WIRE_MAX, PULL_REQUESTS_MAX = 1.25, 2
PUSH_WIRE_MAX = 1.05
PULL_RPS_MIN = 0.3
FULL_PULL_MAX = 10


def say(text: str = "") -> None:
    print(text, flush=True)


def _interrupted(signum, frame):
    raise SystemExit(128 + signum)  # runs every cleanup (finally / ExitStack) on SIGTERM too


# --- database ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_database(
    prefix: str = os.environ.get("POSTROUND_BENCH_DB_PREFIX", "postround_bench"), keep: bool = False
):
    """A fresh database <prefix>_<random>; dropped afterwards whatever happens (unless `keep`)."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        say(f"database: created {name}")
        try:
            yield name, admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            if keep:
                say(f"database: kept {name} (drop it with: dropdb -h 127.0.0.1 -U postgres {name})")
            else:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                say(f"database: dropped {name}")
    finally:
        admin.dispose()


def app_env(db_url: str, **extra: str) -> dict:
    """The settings of a production server on the bench's database (random keys, no rate limits), also
    set in this process: the in-process app (seeding, statement counts) reads them too."""
    settings = {
        "POSTROUND_ENV": "production",
        "SECRET_KEY": secrets.token_hex(20),
        "ID_HASH_KEY": secrets.token_hex(20),
        "DATABASE_URL": db_url,
        "RATELIMIT_ENABLED": "false",
        **extra,
    }
    os.environ.update(settings)
    return dict(os.environ)


def _tool(name: str) -> list[str]:
    venv = REPO / ".venv" / "bin" / name
    if venv.exists():
        return [str(venv)]
    return [sys.executable, "-m", name]


def build_schema(app, env: dict) -> str:
    """`flask --app wsgi db upgrade` when migrations/ exists and works, else db.create_all()."""
    import sqlalchemy as sa

    from backend.extensions import db

    reason = "no migrations/ directory"
    if (REPO / "migrations").is_dir():
        began = time.perf_counter()
        done = subprocess.run(
            [*_tool("flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode == 0:
            with app.app_context():
                tables = set(sa.inspect(db.engine).get_table_names())
                missing = sorted(set(db.metadata.tables) - tables)
                head = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                db.session.remove()
                if not missing:
                    return f"flask --app wsgi db upgrade (alembic head {head}, {time.perf_counter() - began:.1f} s)"
                db.create_all()
                return (
                    f"flask --app wsgi db upgrade (head {head}) + db.create_all() for tables the migrations "
                    f"lack: {', '.join(missing)}"
                )
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = f"flask db upgrade failed: {lines[-1] if lines else done.returncode}"
        with app.app_context():  # start again from an empty schema
            db.session.execute(sa.text("DROP SCHEMA public CASCADE"))
            db.session.execute(sa.text("CREATE SCHEMA public"))
            db.session.commit()
            db.session.remove()
    with app.app_context():
        db.create_all()
        db.session.remove()
    return f"db.create_all() via backend.create_app ({reason})"


def add_catalogue() -> tuple[dict, dict]:
    """The demo world's agencies and procedures, added to the session and flushed: (agencies, procedures)
    by code. Inside an app context."""
    from backend.demo import world
    from backend.extensions import db
    from backend.models import Agency, Procedure

    agencies = {a.code: Agency(**a.columns()) for a in world.AGENCIES}
    procedures = {p.code: Procedure(**p.columns()) for p in world.PROCEDURES}
    db.session.add_all([*agencies.values(), *procedures.values()])
    db.session.flush()
    return agencies, procedures


def demo_postman(rng: random.Random, username: str, password_hash: str):
    """A postman with a random name and phone number (a User, not yet added)."""
    from backend.demo import world
    from backend.models import User

    return User(
        username=username,
        password_hash=password_hash,
        full_name=world.person(rng),
        role="postman",
        phone=world.phone_number(rng),
    )


def demo_item(
    rng: random.Random,
    catalogue: tuple[dict, dict],
    *,
    serial: int,
    direction: str,
    received: date,
    office: tuple[float, float],
) -> dict:
    """The columns of one demo item at a random place, with its procedure's and agency's ids."""
    from backend.demo import world

    agencies, procedures = catalogue
    place = rng.choice(world.PLACES)
    procedure = world.pick_procedure(rng, direction)
    columns = world.item_columns(
        rng,
        prefix="RR" if direction == "return" else "CC",
        serial=serial,
        direction=direction,
        place=place,
        procedure=procedure,
        office=office,
        received=received,
    )
    return columns | {
        "procedure_id": procedures[procedure.code].id,
        "agency_id": agencies[world.agency_of(procedure, place).code].id,
    }


def seed(app, latency_postmen: int = 0) -> dict:
    """Agencies, procedures, a 300-item round for one postman, a 30-item round for another, and 20 postmen
    with a 5-item round each, all for today's local date. Written through the ORM in one transaction, so the
    change feed stamps everything with one sequence number as it would in production."""
    from backend.auth.passwords import hash_password
    from backend.demo import world
    from backend.domain.text import nfc
    from backend.extensions import db
    from backend.models import Item, Round
    from backend.timeutil import local_today

    rng = random.Random(RANDOM_SEED)
    with app.app_context():
        today = local_today()
        office = (app.config["POST_OFFICE_LAT"], app.config["POST_OFFICE_LON"])
        catalogue = add_catalogue()

        password_hash = hash_password(PASSWORD)
        plan = [("buuta.ct300", BIG_ROUND), ("buuta.ct030", SMALL_ROUND)]
        plan += [(f"buuta.rps{n:02d}", RPS_ROUND) for n in range(1, RPS_POSTMEN + 1)]
        plan += [(f"buuta.lat{n:02d}", BIG_ROUND) for n in range(1, latency_postmen + 1)]
        serials = iter(rng.sample(range(10_000_000, 99_999_999), sum(n for _, n in plan)))
        users = {}
        for username, count in plan:
            user = demo_postman(rng, username, password_hash)
            db.session.add(user)
            db.session.flush()
            fields = []
            for _ in range(count):  # results on their way to the citizens, received in the last days
                received = today - timedelta(days=rng.randint(1, 6))
                fields.append(
                    demo_item(
                        rng,
                        catalogue,
                        serial=next(serials),
                        direction="return",
                        received=received,
                        office=office,
                    )
                )
            legs, total = world.nearest_neighbour_tour(office, fields, lambda f: (f["lat"], f["lon"]))
            for order, (columns, leg) in enumerate(legs, start=1):
                columns["stop_order"], columns["leg_distance_m"] = order, leg
            rnd = Round(
                postman_id=user.id,
                round_date=today,
                status="in_progress",
                total_distance_m=total,
                note=nfc("Tuyến Châu Thành – Mong Thọ") if count == BIG_ROUND else None,
            )
            db.session.add(rnd)
            db.session.flush()
            for item_fields in fields:
                item = Item(**item_fields, status="assigned", round_id=rnd.id)
                item.refresh_search_text()
                db.session.add(item)
            users[username] = {"id": user.id, "round_id": rnd.id, "items": count}
        db.session.commit()
        db.session.remove()
    return {"today": today, "users": users}


# --- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, workdir: Path, workers: int = 2, pids: list | None = None):
    """A production server on a free port; `pids` (a list) receives its master's pid."""
    port = free_port()
    log = workdir / "gunicorn.log"
    command = [*_tool("gunicorn"), "-w", str(workers), "-b", f"{HOST}:{port}", "--error-logfile", str(log)]
    help_text = subprocess.run([*_tool("gunicorn"), "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:
        # gunicorn >= 27 opens a control socket at one fixed path per user: leave other servers' alone.
        command.append("--no-control-socket")
    command.append("wsgi:app")
    with open(workdir / "gunicorn.out", "wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        client = Client(HOST, port)
        deadline = time.time() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
            try:
                reply = client.call("GET", "/api/health")
                if reply.status == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.time() > deadline:
                raise RuntimeError(f"gunicorn did not answer /api/health within 60 s:\n{_tail(log)}")
            time.sleep(0.2)
        say(f"server: {' '.join(command)} (pid {process.pid}), /api/health {reply.json()}")
        if pids is not None:
            pids.append(process.pid)
        yield port
    finally:
        if process.poll() is None:
            process.terminate()  # the master stops its workers
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group of the server started here
                process.wait(5)
        say(f"server: gunicorn stopped ({process.returncode})")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- a phone over the wire -----------------------------------------------------------------------------


def login(client: Client, username: str, device_id: str) -> dict:
    reply = client.call_json(
        "POST",
        "/api/auth/login",
        {"username": username, "password": PASSWORD, "device_id": device_id, "device_label": "bench"},
    )
    if reply.status != 200:
        raise RuntimeError(f"login {username}: {reply.status} {reply.body[:300]!r}")
    body = reply.json()
    client.token = body["access_token"]
    return body


def full_pull(client: Client, cursor: str | None = None) -> tuple[list[dict], str, list]:
    """Pull until `more` is false; returns (items, cursor, replies)."""
    items, replies = [], []
    while True:
        reply = client.call("GET", "/api/sync/pull" + (f"?cursor={cursor}" if cursor else ""))
        if reply.status != 200:
            raise RuntimeError(f"pull: {reply.status} {reply.body[:300]!r}")
        page = reply.json()
        replies.append(reply)
        items.extend(page["items"])
        cursor = page["cursor"]
        if not page["more"]:
            return items, cursor, replies


def minified(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def floor_gzip(items: list[dict]) -> bytes:
    """The smallest honest encoding of the round: the items as one minified JSON array, gzipped (level 6,
    the usual HTTP default)."""
    return gzip.compress(minified(items), compresslevel=6, mtime=0)


def upload(client: Client, content: bytes) -> list:
    """PUT the file by its SHA-256: whole when it fits a chunk, else in 256 KiB chunks with Content-Range."""
    digest = hashlib.sha256(content).hexdigest()
    replies = []
    for start in range(0, len(content), CHUNK):
        chunk = content[start : start + CHUNK]
        headers = {"Content-Type": "application/octet-stream"}
        if len(content) > CHUNK:
            headers["Content-Range"] = f"bytes {start}-{start + len(chunk) - 1}/{len(content)}"
        reply = client.call("PUT", f"/api/sync/attachments/{digest}", chunk, headers)
        if reply.status != 200:
            raise RuntimeError(f"upload {digest[:12]}: {reply.status} {reply.body[:300]!r}")
        replies.append(reply)
    if not replies[-1].json().get("verified"):
        raise RuntimeError(f"upload {digest[:12]} not verified: {replies[-1].body!r}")
    return replies


def deliver_mutation(item: dict, seq: int, at: datetime, signature: bytes, photo: bytes, rng) -> dict:
    """A 'deliver' proof exactly as tests/kit/phone.py builds it, with this item's own data."""
    from backend.demo.world import id_number

    lat, lon = item["lat"] + rng.uniform(-2e-4, 2e-4), item["lon"] + rng.uniform(-2e-4, 2e-4)
    return {
        "id": uuid.uuid4().hex,
        "seq": seq,
        "type": "deliver",
        "v": 1,
        "at": at.isoformat(),
        "item_id": item["id"],
        "data": {
            "receiver_name": item["recipient_name"],
            "receiver_relation": "self",
            "id_number": id_number(rng),
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": round(rng.uniform(4, 25), 1),
            "fee_collected": item["service_fee"],
            "government_fee_collected": item["government_fee"],
            "receipt_number": f"BL-{at:%y%m%d}-{seq:04d}",
        },
        "attachments": [
            {"sha256": hashlib.sha256(signature).hexdigest(), "kind": "signature"},
            {"sha256": hashlib.sha256(photo).hexdigest(), "kind": "photo"},
        ],
    }


# --- the phases ----------------------------------------------------------------------------------------


def measure_pull(port: int, username: str, results: dict) -> list[dict]:
    say("\n== Full pull of a 300-item round (phone on 2G: gzip accepted) ==")
    client = Client(HOST, port)
    login_reply_bytes = client.meter.total
    login(client, username, f"bench-phone-{uuid.uuid4().hex[:8]}")
    login_reply_bytes = client.meter.total - login_reply_bytes
    items, cursor, replies = full_pull(client)
    wire = sum(r.wire_bytes for r in replies)
    floor = floor_gzip(items)
    first = replies[0]
    say(f"login: {login_reply_bytes} B on the wire (not counted in the pull)")
    say(
        f"pull: {len(items)} items in {len(replies)} request(s), {wire} B on the wire "
        f"(sent {sum(r.sent_bytes for r in replies)} B, received {sum(r.received_bytes for r in replies)} B; "
        f"body {len(first.raw_body)} B gzip / {len(first.body)} B JSON, "
        f"Content-Encoding: {first.headers.get('content-encoding', 'none')})"
    )
    say(f"floor: the 300 items as one minified JSON array: {len(minified(items))} B, gzipped {len(floor)} B")
    if len(items) != BIG_ROUND:
        raise RuntimeError(f"the full pull returned {len(items)} items, expected {BIG_ROUND}")

    # Interleaved, so that both medians see the same load on the (shared) machine.
    timings, floor_timings = [], []
    for _ in range(FULL_PULLS):
        began = time.perf_counter()
        full_pull(client)
        timings.append((time.perf_counter() - began) * 1000)
        for _ in range(3):
            began = time.perf_counter()
            floor_gzip(items)
            floor_timings.append((time.perf_counter() - began) * 1000)
    full_ms, floor_ms = statistics.median(timings), statistics.median(floor_timings)
    say(
        f"full pull: median {full_ms:.1f} ms of {FULL_PULLS} (min {min(timings):.1f}, max {max(timings):.1f}), "
        f"end to end from the client incl. gunzip + json.loads"
    )
    say(f"floor: json.dumps + gzip of the same array: median {floor_ms:.2f} ms")
    client.close()
    results.update(
        pull_items=len(items),
        pull_requests=len(replies),
        pull_wire_bytes=wire,
        pull_json_bytes=sum(len(r.body) for r in replies),
        pull_floor_gzip_bytes=len(floor),
        pull_floor_json_bytes=len(minified(items)),
        pull_floor_gzip9_bytes=len(gzip.compress(minified(items), compresslevel=9, mtime=0)),
        full_pull_ms=round(full_ms, 2),
        floor_ms=round(floor_ms, 3),
    )
    return items


def measure_push(
    port: int, username: str, user_id: int, items: list[dict], db_url: str, results: dict
) -> None:
    import sqlalchemy as sa

    from tests.kit.images import calibrate_photo, camera_photo, drawn_signature

    say("\n== Push a day: 300 deliveries, each with a signature PNG and a photo JPEG ==")
    rng = random.Random(RANDOM_SEED + 1)
    began = time.perf_counter()
    noise = calibrate_photo()
    images = [(drawn_signature(rng.randrange(2**31)), camera_photo(noise)) for _ in items]
    photo_sizes = [len(p) for _, p in images]
    signature_sizes = [len(s) for s, _ in images]
    say(
        f"images: {len(images)} signatures (mean {statistics.mean(signature_sizes) / 1000:.1f} kB) and photos "
        f"(mean {statistics.mean(photo_sizes) / 1000:.1f} kB, {min(photo_sizes)}-{max(photo_sizes)} B, all "
        f"distinct: {len({hashlib.sha256(p).digest() for _, p in images}) == len(images)}), "
        f"made in {time.perf_counter() - began:.1f} s"
    )

    client = Client(HOST, port)
    login(client, username, f"bench-phone-{uuid.uuid4().hex[:8]}")
    ordered = sorted(items, key=lambda i: i["stop_order"] or 0)
    start = datetime.now(_tz()).replace(hour=8, minute=0, second=0, microsecond=0)
    mutations = [
        deliver_mutation(item, n, start + timedelta(seconds=95 * n), sig, photo, rng)
        for n, (item, (sig, photo)) in enumerate(zip(ordered, images, strict=True), start=1)
    ]
    raw_json = sum(len(minified(m)) for m in mutations)
    raw_images = sum(len(s) + len(p) for s, p in images)

    began = time.perf_counter()
    upload_replies = [r for sig, photo in images for content in (sig, photo) for r in upload(client, content)]
    upload_s = time.perf_counter() - began
    push_replies, outcomes = [], []
    began = time.perf_counter()
    for first in range(0, len(mutations), PUSH_BATCH):
        reply = client.call_json(
            "POST",
            "/api/sync/push",
            {"protocol": 1, "app_version": "bench-1.0", "mutations": mutations[first : first + PUSH_BATCH]},
        )
        if reply.status != 200:
            raise RuntimeError(f"push: {reply.status} {reply.body[:300]!r}")
        push_replies.append(reply)
        outcomes.extend(reply.json()["results"])
    push_s = time.perf_counter() - began
    client.close()

    applied = sum(1 for o in outcomes if o["outcome"] == "applied")
    incomplete = sum(1 for o in outcomes if o.get("missing_attachments"))
    flagged = sum(1 for o in outcomes if o.get("flag"))
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        proofs = conn.execute(
            sa.text(
                "SELECT count(*), count(*) FILTER (WHERE complete) FROM delivery_attempts "
                "WHERE postman_id = :u"
            ),
            {"u": user_id},
        ).one()
        stored = conn.execute(sa.text("SELECT count(*) FROM attachments WHERE verified")).scalar()
        delivered = conn.execute(
            sa.text(
                "SELECT count(*) FROM items i JOIN rounds r ON r.id = i.round_id "
                "WHERE r.postman_id = :u AND i.status = 'delivered'"
            ),
            {"u": user_id},
        ).scalar()
    engine.dispose()
    upload_wire = sum(r.wire_bytes for r in upload_replies)
    push_wire = sum(r.wire_bytes for r in push_replies)
    say(
        f"uploads: {len(upload_replies)} PUTs, {upload_wire} B on the wire for {raw_images} B of images, "
        f"{upload_s:.1f} s ({upload_s / len(upload_replies) * 1000:.1f} ms each)"
    )
    say(
        f"pushes: {len(push_replies)} requests of {PUSH_BATCH}, {push_wire} B on the wire for {raw_json} B of "
        f"mutation JSON, {push_s:.1f} s ({push_s / len(mutations) * 1000:.1f} ms a mutation)"
    )
    say(
        f"outcomes: {applied}/{len(mutations)} applied, {incomplete} missing attachments, {flagged} flagged; "
        f"server DB: {proofs[0]} proofs ({proofs[1]} complete), {stored} verified attachments, "
        f"{delivered} items delivered"
    )
    ok = applied == len(mutations) == proofs[0] == proofs[1] == delivered and incomplete == 0 and flagged == 0
    if not ok:
        say("PUSH CHECK FAILED: not every proof was applied and stored complete")
    results.update(
        push_mutations=len(mutations),
        push_applied=applied,
        push_db_proofs=proofs[0],
        push_db_complete_proofs=proofs[1],
        push_check_ok=ok,
        push_requests=len(upload_replies) + len(push_replies),
        upload_requests=len(upload_replies),
        push_batches=len(push_replies),
        push_wire_bytes=upload_wire + push_wire,
        upload_wire_bytes=upload_wire,
        push_json_wire_bytes=push_wire,
        push_raw_bytes=raw_json + raw_images,
        push_raw_json_bytes=raw_json,
        push_raw_image_bytes=raw_images,
        upload_ms_each=round(upload_s / len(upload_replies) * 1000, 2),
        push_ms_per_mutation=round(push_s / len(mutations) * 1000, 2),
    )


def measure_rps(port: int, db_url: str, seconds: float, loadgen: str, workdir: Path, results: dict) -> None:
    import sqlalchemy as sa

    say(
        f"\n== Throughput: {RPS_POSTMEN} phones at once against gunicorn -w 2 ({_load.cpu_count()} cores "
        f"shared with the load generator) =="
    )
    run = secrets.token_hex(4)
    phones, devices = [], []
    for n in range(1, RPS_POSTMEN + 1):
        client = Client(HOST, port)
        device = f"bench-rps-{run}-{n:02d}"
        login(client, f"buuta.rps{n:02d}", device)
        items, cursor, _ = full_pull(client)
        steady, cursor2, _ = full_pull(client, cursor)
        if steady or cursor2 != cursor:
            raise RuntimeError(f"phone {n} is not at steady state after its full pull")
        phones.append(_load.Phone(client.token, cursor, items[0]["id"], 1, f"b{run}p{n:02d}s"))
        devices.append(device)
        client.close()
    say(
        f"phones: {RPS_POSTMEN} postmen logged in with their own device, each pulled its round "
        f"({RPS_ROUND} items) and holds a steady-state cursor"
    )

    use_wrk = loadgen == "wrk" or (loadgen == "auto" and _load.wrk_path())
    if loadgen == "wrk" and not _load.wrk_path():
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")

    def load(kind: str, secs: float) -> _load.LoadResult:
        if use_wrk:
            return _load.run_wrk(f"http://{HOST}:{port}", kind, phones, RPS_POSTMEN, secs, workdir, RPS_BATCH)
        return _load.run_python(HOST, port, kind, phones, RPS_POSTMEN, secs, RPS_BATCH)

    load("health", 1)  # warm-up
    time.sleep(1)
    # Baseline and pull alternate in two halves each, so that both see the same background load on the
    # shared machine; the pause after each lets the server drain what was queued when the load stopped.
    parts: dict[str, list[_load.LoadResult]] = {"health": [], "pull": []}
    for _ in range(2):
        for kind in ("health", "pull"):
            parts[kind].append(load(kind, seconds / 2))
            time.sleep(1)
    base, pulls = (_load.combine(parts[kind]) for kind in ("health", "pull"))
    say(
        f"baseline GET /api/health: {base.rps:.0f} req/s ({base.tool}, {base.requests} requests, "
        f"{base.errors} errors, p50 {base.p50_ms:.1f} ms, p99 {base.p99_ms:.1f} ms; halves "
        f"{' + '.join(f'{p.rps:.0f}' for p in parts['health'])})"
    )
    say(
        f"steady-state pull:         {pulls.rps:.0f} req/s ({pulls.requests} requests, {pulls.errors} errors, "
        f"p50 {pulls.p50_ms:.1f} ms, p99 {pulls.p99_ms:.1f} ms; halves "
        f"{' + '.join(f'{p.rps:.0f}' for p in parts['pull'])})"
    )
    pushes = load("push", seconds)
    # Requests the server had accepted when the load stopped are still applied after it: wait until the
    # ledger stops growing, then every answered request's 10 mutations must be in it, none rejected.
    engine = sa.create_engine(db_url)
    counts, last, deadline = {}, None, time.time() + 60
    while time.time() < deadline:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    sa.text(
                        "SELECT outcome, count(*) FROM sync_mutations WHERE device_id = "
                        "ANY(:d) GROUP BY outcome"
                    ),
                    {"d": devices},
                ).all()
            )
        if counts == last:
            break
        last = counts
        time.sleep(1.0)
    engine.dispose()
    answered = (pushes.requests - pushes.errors) * RPS_BATCH
    ledger_ok = counts.get("applied", 0) >= answered and not counts.get("rejected")
    say(
        f"push of {RPS_BATCH} fee mutations: {pushes.rps:.0f} req/s = {pushes.rps * RPS_BATCH:.0f} mutations/s "
        f"({pushes.requests} requests, {pushes.errors} errors, p50 {pushes.p50_ms:.1f} ms, "
        f"p99 {pushes.p99_ms:.1f} ms); ledger once drained: {counts.get('applied', 0)} applied "
        f"(>= {answered} answered: {ledger_ok}), {counts.get('rejected', 0)} rejected"
    )
    results.update(
        loadgen=base.tool,
        rps_connections=RPS_POSTMEN,
        rps_seconds=seconds,
        baseline_rps=round(base.rps, 1),
        pull_rps=round(pulls.rps, 1),
        push_rps=round(pushes.rps, 1),
        push_rps_mutations=round(pushes.rps * RPS_BATCH, 1),
        rps_errors={"baseline": base.errors, "pull": pulls.errors, "push": pushes.errors},
        push_rps_ledger_applied=counts.get("applied", 0),
        push_rps_ledger_rejected=counts.get("rejected", 0),
        push_rps_ledger_ok=ledger_ok,
        latency_p50_ms={k: _ms(v.p50_ms) for k, v in (("baseline", base), ("pull", pulls), ("push", pushes))},
        latency_p99_ms={k: _ms(v.p99_ms) for k, v in (("baseline", base), ("pull", pulls), ("push", pushes))},
    )


# --- the latency mode (issue 16) -------------------------------------------------------------------------


class _Sink:
    """A TCP server that reads everything and answers one byte: the far end of the link-rate probe."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                expected = int.from_bytes(conn.recv(8, socket.MSG_WAITALL), "big")
                while expected > 0:
                    data = conn.recv(1 << 20)
                    if not data:
                        break
                    expected -= len(data)
                conn.sendall(b"k")

    def close(self) -> None:
        self.listener.close()


def link_rate() -> float:
    """Bytes per second through the benchmark's proxy with no delay: the link's rate in the floor."""
    from tests.tcp_proxy import TcpProxy

    sink = _Sink()
    proxy = TcpProxy(HOST, sink.port).start()
    try:
        payload = os.urandom(1 << 20)
        rates = []
        for _ in range(3):
            with socket.create_connection((HOST, proxy.port)) as conn:
                began = time.perf_counter()
                conn.sendall(LINK_PROBE_BYTES.to_bytes(8, "big"))
                for _ in range(LINK_PROBE_BYTES // len(payload)):
                    conn.sendall(payload)
                conn.recv(1)
                rates.append(LINK_PROBE_BYTES / (time.perf_counter() - began))
        return statistics.median(rates)
    finally:
        proxy.stop()
        sink.close()


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rpartition(")")[2].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


class CpuMeter:
    """Where a run's CPU goes, on this machine: this process (the phone's threads and the proxy), the
    gunicorn workers and the PostgreSQL backends serving the bench's database (Linux /proc only; the
    figures are None elsewhere). Each is the CPU seconds used between start() and stop()."""

    def __init__(self, master_pid: int | None, engine) -> None:
        self.master_pid, self.engine = master_pid, engine

    def _backends(self) -> list[int]:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )

    def _sample(self) -> dict:
        workers = _children(self.master_pid) if self.master_pid else []
        backends = self._backends()
        return {
            "client": time.process_time(),
            "server": {pid: _cpu_of(pid) for pid in workers},
            "database": {pid: _cpu_of(pid) for pid in backends},
        }

    def start(self) -> None:
        self.began = self._sample() if os.path.isdir("/proc") else None

    def stop(self) -> dict:
        if self.began is None:
            return {"client": None, "server": None, "database": None}
        end = self._sample()
        spent = {"client": end["client"] - self.began["client"]}
        for key in ("server", "database"):
            # A process that started during the run counts from 0 (a new backend, a restarted worker).
            spent[key] = sum(cpu - self.began[key].get(pid, 0.0) for pid, cpu in end[key].items())
        return {key: round(value, 2) for key, value in spent.items()}


def health_ms(port: int) -> float:
    """The server's quickest answer, straight (no proxy): median of HEALTH_PROBES GET /api/health. On a
    shared machine it says how loaded the cores are when a run starts, so runs compare honestly."""
    client = Client(HOST, port)
    try:
        times = []
        for _ in range(HEALTH_PROBES):
            began = time.perf_counter()
            _ok(client.call("GET", "/api/health"))
            times.append((time.perf_counter() - began) * 1000)
        return round(statistics.median(times), 2)
    finally:
        client.close()


def multipart_body(files: list[bytes], boundary: str) -> bytes:
    """What a browser's FormData sends: one part per file, named by its SHA-256, raw bytes."""
    body = bytearray()
    for content in files:
        digest = hashlib.sha256(content).hexdigest()
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{digest}"; filename="{digest}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body)


class Phone:
    """One phone over the (delayed) link: a main connection and PWA_PARALLEL more for parallel uploads.
    Counts requests, bytes and sequential round trips (a parallel step costs its busiest connection's)."""

    def __init__(self, port: int, username: str) -> None:
        self.main = Client(HOST, port)
        body = login(self.main, username, f"bench-phone-{uuid.uuid4().hex[:8]}")
        self.main.meter.requests = self.main.meter.sent = self.main.meter.received = 0  # login not counted
        self.pool = [Client(HOST, port) for _ in range(PWA_PARALLEL)]
        for client in self.pool:
            client.token = body["access_token"]
        self.round_trips = 0

    def clients(self) -> list[Client]:
        return [self.main, *self.pool]

    def close(self) -> None:
        for client in self.clients():
            client.close()

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        self.round_trips += 1
        return _ok(self.main.call(method, path, body, headers))

    def call_json(self, method: str, path: str, payload) -> dict:
        self.round_trips += 1
        return _ok(self.main.call_json(method, path, payload)).json()

    def parallel(self, jobs: list, count: bool = True) -> list:
        """Run jobs (each job(client) makes calls in order on one connection) on the pool, at most
        PWA_PARALLEL at a time; the step costs as many round trips as its busiest connection made
        (`count=False`: the caller counts them, the step running beside other calls)."""
        if not jobs:
            return []
        queue = list(enumerate(jobs))
        results: list = [None] * len(jobs)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def worker(client: Client) -> None:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    n, job = queue.pop(0)
                try:
                    results[n] = job(client)
                except BaseException as error:  # reported below, in the caller's thread
                    with lock:
                        errors.append(error)

        before = [c.meter.requests for c in self.pool]
        threads = [threading.Thread(target=worker, args=(c,)) for c in self.pool[: len(jobs)]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        if count:
            self.round_trips += max(c.meter.requests - b for c, b in zip(self.pool, before, strict=True))
        return results


def _ok(reply):
    if reply.status != 200:
        raise RuntimeError(f"{reply.status} {reply.body[:300]!r}")
    return reply


def _put_chunked(client: Client, content: bytes, start: int = 0) -> None:
    digest = hashlib.sha256(content).hexdigest()
    for offset in range(start, len(content), PWA_CHUNK):
        chunk = content[offset : offset + PWA_CHUNK]
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{len(content)}",
        }
        _ok(client.call("PUT", f"/api/sync/attachments/{digest}", chunk, headers))


def push_old(phone: Phone, mutations: list[dict], files: dict[str, bytes]) -> list[dict]:
    """Before issue 16 (and what an old phone still does): per file, GET what the server has, then PUT
    it (in 128 KiB chunks); then the batches."""
    outcomes = []
    for first in range(0, len(mutations), PWA_BATCH):
        batch = mutations[first : first + PWA_BATCH]
        for mutation in batch:
            for ref in mutation["attachments"]:
                content = files[ref["sha256"]]
                state = phone.call("GET", f"/api/sync/attachments/{ref['sha256']}").json()
                if not state["verified"]:
                    phone.round_trips += len(range(state["received"], len(content), PWA_CHUNK))
                    _put_chunked(phone.main, content, state["received"])
        answer = phone.call_json("POST", "/api/sync/push", _envelope(batch))
        outcomes.extend(answer["results"])
    return outcomes


def push_new(phone: Phone, mutations: list[dict], files: dict[str, bytes], small_limit: int) -> list[dict]:
    """The PWA's push since issue 16 (mobile_pwa/src/sync/push.js), per batch: one check of every file,
    then the small files together (one multipart request per ~1 MiB) and the large ones in chunks, all
    in one queue a few at a time; meanwhile, each time the run of mutations whose files are all in
    grows, it is pushed (one push at a time, in seq order) without waiting for the other files. One
    batch ahead: once a batch's files are all in, the next batch's check and uploads start while this
    batch's last pushes are still on their way.

    Sequential round trips are counted on a logical clock: every request starts when what it waits
    for has answered (its connection's previous request; a push also its mutations' files, the
    first batch's check nothing, the next one the end of this batch's uploads) and ends one round
    trip later; the push's round trips are the clock when the last answer comes."""
    batches = [mutations[first : first + PWA_BATCH] for first in range(0, len(mutations), PWA_BATCH)]
    if not batches:
        return []
    runs: list[_Uploads] = []

    def start(n: int, at: int) -> None:
        follow = (lambda done: start(n + 1, done.end)) if n + 1 < len(batches) else None
        runs.append(_Uploads(phone, batches[n], files, small_limit, at, follow))

    start(0, 0)
    outcomes: list[dict] = []
    clock = 0  # the main connection's: the pushes, one at a time, in seq order
    for n, batch in enumerate(batches):
        uploads = runs[n]
        sent = 0
        while sent < len(batch):
            with uploads.arrived:
                while True:
                    end = sent
                    while end < len(batch) and not any(
                        r["sha256"] in uploads.pending for r in batch[end]["attachments"]
                    ):
                        end += 1
                    if end > sent or uploads.finished:
                        break
                    uploads.arrived.wait()
                ready_at = max(
                    (uploads.at[r["sha256"]] for m in batch[sent:end] for r in m["attachments"]), default=0
                )
            if end == sent:  # the uploads ended and this mutation's files are not all in
                break
            reply = _ok(phone.main.call_json("POST", "/api/sync/push", _envelope(batch[sent:end]))).json()
            outcomes.extend(reply["results"])
            clock = max(clock, ready_at) + 1
            sent = end
        uploads.thread.join()
        if uploads.error is not None:
            raise uploads.error
        if sent < len(batch):
            raise RuntimeError(f"batch {n}: {len(batch) - sent} mutations never pushed")
    phone.round_trips += max(clock, runs[-1].end)
    return outcomes


class _Uploads:
    """One batch's check and uploads on the pool connections, in a thread of their own (push.js
    `startUploads`): `pending` the digests not yet on the server (all of them until the check
    answers), `at` the logical time each arrived, `end` when the last did; `follow(self)` runs once
    they are all in (the next batch's uploads start then)."""

    def __init__(self, phone: Phone, batch: list[dict], files, small_limit: int, at: int, follow) -> None:
        self.phone, self.files, self.small_limit, self.start, self.follow = (
            phone,
            files,
            small_limit,
            at,
            follow,
        )
        self.digests = list(dict.fromkeys(ref["sha256"] for m in batch for ref in m["attachments"]))
        self.pending = set(self.digests)
        self.at: dict[str, int] = {}
        self.end = at
        self.finished = False
        self.error: BaseException | None = None
        self.arrived = threading.Condition()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _settled(self, done: list[str], at: int) -> None:
        with self.arrived:
            self.pending.difference_update(done)
            self.at.update(dict.fromkeys(done, at))
            self.arrived.notify_all()

    def _run(self) -> None:
        files, pool = self.files, self.phone.pool
        try:
            answer = _ok(pool[0].call_json("POST", "/api/sync/attachments/check", {"digests": self.digests}))
            known = {state["sha256"]: state for state in answer.json()["attachments"]}
            checked = self.start + 1
            self._settled([d for d in self.digests if known[d]["verified"]], checked)
            lacking = [d for d in self.digests if not known[d]["verified"]]
            small = [d for d in lacking if len(files[d]) <= self.small_limit]
            large = [d for d in lacking if len(files[d]) > self.small_limit]
            groups: list[list[str]] = []
            for digest in small:
                if (
                    not groups
                    or len(groups[-1]) >= MAX_PARTS
                    or sum(len(files[d]) for d in groups[-1]) + len(files[digest]) > BATCH_UPLOAD_BYTES
                ):
                    groups.append([])
                groups[-1].append(digest)
            clocks = {id(client): checked for client in pool}

            def timed(send, digests: list[str]):
                def job(client: Client):
                    before = client.meter.requests
                    send(client)
                    clocks[id(client)] += client.meter.requests - before
                    self._settled(digests, clocks[id(client)])

                return job

            def send_group(group: list[str]):
                def send(client: Client):
                    boundary = f"----postround{uuid.uuid4().hex}"
                    reply = _ok(
                        client.call(
                            "POST",
                            "/api/sync/attachments",
                            multipart_body([files[d] for d in group], boundary),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                        )
                    )
                    refused = [r for r in reply.json()["attachments"] if not r["verified"]]
                    if refused:
                        raise RuntimeError(f"batch upload refused {refused[:2]}")

                return timed(send, group)

            def send_large(digest: str):
                return timed(
                    lambda client: _put_chunked(client, files[digest], known[digest]["received"]), [digest]
                )

            self.phone.parallel([*map(send_group, groups), *map(send_large, large)], count=False)
        except BaseException as error:  # re-raised in the pushing thread
            self.error = error
        with self.arrived:
            self.finished = True
            self.end = max(self.at.values(), default=self.start)
            self.arrived.notify_all()
        if self.error is None and self.follow is not None:
            self.follow(self)


def _envelope(batch: list[dict]) -> dict:
    return {"protocol": 1, "app_version": "bench-1.0", "mutations": batch}


def measure_latency(
    port: int,
    users: dict,
    items_by_user: dict,
    delays: list[int],
    paths: list[str],
    small_limit: int,
    db_url: str,
    results: dict,
    master_pid: int | None = None,
) -> None:
    """The same day's push (300 deliveries, a ~6 KB signature and a ~120 KB photo each) by the old path
    and the new one, through a proxy that adds each delay to every answer."""
    import sqlalchemy as sa

    from tests.kit.images import calibrate_photo, camera_photo, drawn_signature
    from tests.tcp_proxy import TcpProxy

    say("\n== Latency: a day's push through a link that adds a delay to every answer ==")
    rate = link_rate()
    say(f"link: {rate * 8 / 1e9:.2f} Gbit/s through the proxy with no delay (the floor's rate)")
    rng = random.Random(RANDOM_SEED + 2)
    noise = calibrate_photo()
    names = iter(sorted(u for u in users if u.startswith("buuta.lat")))
    runs = []
    engine = sa.create_engine(db_url)
    for delay in delays:
        for path in paths:
            username = next(names)
            items = sorted(items_by_user[username], key=lambda i: i["stop_order"] or 0)
            images = [(drawn_signature(rng.randrange(2**31)), camera_photo(noise)) for _ in items]
            files = {hashlib.sha256(c).hexdigest(): c for pair in images for c in pair}
            start = datetime.now(_tz()).replace(hour=8, minute=0, second=0, microsecond=0)
            mutations = [
                deliver_mutation(item, n, start + timedelta(seconds=95 * n), sig, photo, rng)
                for n, (item, (sig, photo)) in enumerate(zip(items, images, strict=True), start=1)
            ]
            raw = sum(len(minified(m)) for m in mutations) + sum(map(len, files.values()))
            health = health_ms(port)
            proxy = TcpProxy(HOST, port, delay=delay / 1000).start()
            phone = Phone(proxy.port, username)
            meter = CpuMeter(master_pid, engine)
            try:
                meter.start()
                began = time.perf_counter()
                if path == "old":
                    outcomes = push_old(phone, mutations, files)
                else:
                    outcomes = push_new(phone, mutations, files, small_limit)
                wall = time.perf_counter() - began
                cpu = meter.stop()
            finally:
                phone.close()
                proxy.stop()
            wire = sum(c.meter.total for c in phone.clients())
            requests = sum(c.meter.requests for c in phone.clients())
            with engine.connect() as conn:
                complete = conn.execute(
                    sa.text("SELECT count(*) FROM delivery_attempts WHERE postman_id = :u AND complete"),
                    {"u": users[username]["id"]},
                ).scalar()
            floor = wire / rate + delay / 1000
            run = {
                "delay_ms": delay,
                "path": path,
                "requests": requests,
                "round_trips": phone.round_trips,
                "wall_s": round(wall, 2),
                "wire_bytes": wire,
                "raw_bytes": raw,
                "wire_ratio": round(wire / raw, 4),
                "floor_s": round(floor, 3),
                "floor_ratio": round(wall / floor, 1),
                "ok": complete == len(mutations) and all(o["outcome"] == "applied" for o in outcomes),
                "health_ms": health,
                "cpu_s": cpu,
            }
            runs.append(run)
            say(
                f"+{delay:>3} ms {path}: {requests} requests, {phone.round_trips} sequential round trips, "
                f"{wall:.2f} s wall, {wire} B on the wire ({run['wire_ratio']}x the payload), floor "
                f"{floor:.2f} s (x{run['floor_ratio']}), {complete}/{len(mutations)} complete proofs; "
                f"the machine meanwhile: GET /api/health {health} ms (median of {HEALTH_PROBES}); CPU "
                f"seconds: phone and proxy {cpu['client']}, gunicorn workers {cpu['server']}, "
                f"PostgreSQL {cpu['database']}"
            )
    engine.dispose()
    results["latency_small_upload_bytes"] = small_limit
    results["latency_link_bytes_per_s"] = round(rate)
    results["latency"] = runs
    new = {r["delay_ms"]: r for r in runs if r["path"] == "new"}
    results["targets_met"] = {
        "round_trips": all(r["round_trips"] <= ROUND_TRIPS_MAX for r in new.values()),
        "wall_100ms_vs_couchdb": new[100]["wall_s"] <= 2 * COUCHDB_100MS_S if 100 in new else None,
        "push_wire": all(r["wire_ratio"] <= PUSH_WIRE_MAX for r in new.values()),
        "all_applied": all(r["ok"] for r in runs),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def measure_statements(app, results: dict) -> None:
    """SQL statements per request, counted in-process with a before_cursor_execute listener."""
    from sqlalchemy import event

    from backend.extensions import db
    from tests.kit.images import drawn_signature

    say("\n== SQL statements per request (in-process, Flask test client, same database) ==")
    client = app.test_client()
    log: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        log.append(" ".join(statement.split()))

    headers_of: dict[str, dict] = {}
    base = {"Accept-Encoding": "gzip", "X-PostRound-Protocol": "1"}

    def sign_in(username: str) -> dict:
        reply = client.post(
            "/api/auth/login",
            json={
                "username": username,
                "password": PASSWORD,
                "device_id": f"bench-sql-{uuid.uuid4().hex[:8]}",
            },
        )
        assert reply.status_code == 200, reply.get_json()
        headers_of[username] = base | {"Authorization": f"Bearer {reply.get_json()['access_token']}"}
        return headers_of[username]

    def counted(call) -> tuple[list[str], object]:
        del log[:]
        value = call()
        return list(log), value

    def pull_all(username: str, cursor: str | None = None):
        items, pages = [], 0
        while True:
            reply = client.get(
                "/api/sync/pull",
                query_string={"cursor": cursor} if cursor else {},
                headers=headers_of[username],
            )
            assert reply.status_code == 200, reply.get_data()[:300]
            page = json.loads(
                gzip.decompress(reply.get_data())
                if reply.headers.get("Content-Encoding") == "gzip"
                else reply.get_data()
            )
            items += page["items"]
            pages += 1
            cursor = page["cursor"]
            if not page["more"]:
                return items, cursor, pages

    def push(username: str, mutations: list[dict]) -> dict:
        reply = client.post(
            "/api/sync/push", json={"protocol": 1, "mutations": mutations}, headers=headers_of[username]
        )
        assert reply.status_code == 200, reply.get_data()[:300]
        body = json.loads(
            gzip.decompress(reply.get_data())
            if reply.headers.get("Content-Encoding") == "gzip"
            else reply.get_data()
        )
        assert all(r["outcome"] == "applied" for r in body["results"]), body["results"]
        return body

    def marks(statements: list[str]) -> list[int]:
        return [i for i, s in enumerate(statements) if s.startswith("INSERT INTO sync_mutations")]

    def per_mutation(statements: list[str]) -> list[int]:
        """Statement counts between two consecutive ledger rows (one per mutation, its last statement), the
        first excluded because the batch's opening statements come before it."""
        found = marks(statements)
        return [b - a for a, b in zip(found, found[1:], strict=False)]

    # No app context is held open here: each test-client request pushes its own and gets a fresh
    # session, exactly as under gunicorn (a shared session would serve objects from its identity map).
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        small, big = "buuta.ct030", "buuta.ct300"
        sign_in(small)
        sign_in(big)
        # Warm-up: first-request work is not counted, and each device's first pull also records
        # last_sync_at (one UPDATE, then at most once a minute), which would blur the comparison.
        pull_all(small)
        pull_all(big)
        sql30, (items30, _, pages30) = counted(lambda: pull_all(small))
        sql300, (items300, cursor300, pages300) = counted(lambda: pull_all(big))
        steady, (steady_items, _, _) = counted(lambda: pull_all(big, cursor300))
        assert len(items30) == SMALL_ROUND and len(items300) == BIG_ROUND and not steady_items
        say(
            f"full pull: {len(sql30)} statements for {len(items30)} items ({pages30} page), {len(sql300)} for "
            f"{len(items300)} items ({pages300} page); steady-state pull: {len(steady)}"
        )

        at = datetime.now(_tz()).isoformat()
        target = items30[0]["id"]

        def fees(first: int, n: int) -> list[dict]:
            return [
                {
                    "id": uuid.uuid4().hex,
                    "seq": s,
                    "type": "fee",
                    "v": 1,
                    "at": at,
                    "item_id": target,
                    "data": {"service_fee": 5000},
                }
                for s in range(first, first + n)
            ]

        fee1, _ = counted(lambda: push(small, fees(1, 1)))
        fee10, _ = counted(lambda: push(small, fees(2, 10)))

        rng = random.Random(7)
        files = [(drawn_signature(n), drawn_signature(1000 + n)) for n in range(11)]
        uploads, upload_sql = [], []
        for sig, photo in files:
            for content in (sig, photo):
                digest = hashlib.sha256(content).hexdigest()
                sql, reply = counted(
                    lambda d=digest, c=content: client.put(
                        f"/api/sync/attachments/{d}",
                        data=c,
                        headers=headers_of[small],
                        content_type="application/octet-stream",
                    )
                )
                assert reply.status_code == 200 and reply.get_json()["verified"], reply.get_data()
                uploads.append(len(sql))
                upload_sql = sql
        seq = 12
        delivers = []
        for n, item in enumerate(items30[1:12]):
            sig, photo = files[n]
            delivers.append(deliver_mutation(item, seq, datetime.now(_tz()), sig, photo, rng))
            seq += 1
        del1, _ = counted(lambda: push(small, delivers[:1]))
        del10, _ = counted(lambda: push(small, delivers[1:11]))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    fee_marginal = (len(fee10) - len(fee1)) / 9
    del_marginal = (len(del10) - len(del1)) / 9
    fee_segments, del_segments = per_mutation(fee10), per_mutation(del10)
    say("the steady-state pull, statement by statement:")
    for statement in steady:
        say(f"    {statement[:140]}")
    say(
        f"push 'fee': {len(fee1)} statements for 1 mutation, {len(fee10)} for 10 -> {fee_marginal:g} per mutation "
        f"(per-mutation segments of the 10-batch: {fee_segments})"
    )
    say(
        f"push 'deliver' (2 attachments): {len(del1)} statements for 1, {len(del10)} for 10 -> {del_marginal:g} per "
        f"mutation (segments: {del_segments})"
    )
    say(
        f"attachment upload (whole file, verified): {uploads[0]} statements (all {len(uploads)}: "
        f"{sorted(set(uploads))})"
    )
    say("an attachment upload, statement by statement:")
    for statement in upload_sql:
        say(f"    {statement[:140]}")
    say("the second 'deliver' mutation of a batch, statement by statement:")
    found = marks(del10)
    for statement in del10[found[0] + 1 : found[1] + 1]:
        say(f"    {statement[:140]}")
    pull_constant = len(sql30) == len(sql300)
    # Constant per mutation: every mutation after the first of a batch costs the same, and that is the
    # marginal cost (the first one may differ: it reuses what the request's authentication loaded).
    push_constant = all(
        len(set(seg[1:])) == 1 and marginal == seg[-1]
        for seg, marginal in ((fee_segments, fee_marginal), (del_segments, del_marginal))
    )
    results.update(
        pull_statements_30=len(sql30),
        pull_statements_300=len(sql300),
        pull_statements_steady=len(steady),
        push_statements_1=len(del1),
        push_statements_10=len(del10),
        push_statements_per_mutation=del_marginal,
        push_fee_statements_1=len(fee1),
        push_fee_statements_10=len(fee10),
        push_fee_statements_per_mutation=fee_marginal,
        upload_statements=uploads[0],
        pull_statements_constant=pull_constant,
        push_statements_constant_per_mutation=push_constant,
    )


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


def ratios_and_targets(r: dict) -> None:
    def ratio(a, b):
        return round(r[a] / r[b], 3) if r.get(a) is not None and r.get(b) else None

    r["pull_wire_ratio"] = ratio("pull_wire_bytes", "pull_floor_gzip_bytes")
    r["push_wire_ratio"] = ratio("push_wire_bytes", "push_raw_bytes")
    r["pull_rps_ratio"] = ratio("pull_rps", "baseline_rps")
    r["full_pull_ratio"] = ratio("full_pull_ms", "floor_ms")

    def check(value, test):
        return None if value is None else bool(test(value))

    r["targets_met"] = {
        "pull_wire": check(
            r["pull_wire_ratio"],
            lambda v: v <= PULL_WIRE_MAX and r.get("pull_requests", 99) <= PULL_REQUESTS_MAX,
        ),
        "push_wire": check(r["push_wire_ratio"], lambda v: v <= PUSH_WIRE_MAX),
        "pull_rps": check(r["pull_rps_ratio"], lambda v: v >= PULL_RPS_MIN),
        "full_pull_latency": check(r["full_pull_ratio"], lambda v: v <= FULL_PULL_MAX),
        "statements_constant": check(
            r.get("pull_statements_constant"), lambda v: v and r.get("push_statements_constant_per_mutation")
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8, help="duration of each throughput test (default 8)"
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator for the rps tests (auto: wrk if installed)",
    )
    parser.add_argument(
        "--latency",
        metavar="MS[,MS...]",
        help="latency mode: only the day's push, old path and new, through a proxy adding each delay "
        "to every answer (e.g. 0,100,300)",
    )
    parser.add_argument(
        "--small-upload-bytes",
        type=int,
        default=256 * 1024,
        help="the server's SMALL_UPLOAD_BYTES in the latency mode (default 262144)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="gunicorn workers in the latency mode (default 4, as README.md's production command)",
    )
    parser.add_argument(
        "--paths",
        default="old,new",
        help="in the latency mode, which pushes to run: old (GET and PUT per file), new, or both (default)",
    )
    args = parser.parse_args()
    paths = [p for p in ("old", "new") if p in args.paths.split(",")]
    delays = [int(v) for v in args.latency.split(",")] if args.latency else []
    signal.signal(signal.SIGTERM, _interrupted)
    began = time.perf_counter()
    results: dict = {"benchmark": "sync", "version": 1}
    failure = None
    try:
        with contextlib.ExitStack() as stack:
            workdir = Path(tempfile.mkdtemp(prefix="postround_bench_"))
            stack.callback(shutil.rmtree, workdir, True)
            name, db_url = stack.enter_context(bench_database())
            results["database"] = name
            env = app_env(
                db_url,
                STORAGE_DIR=str(workdir / "storage"),
                PYTHONUNBUFFERED="1",
                SMALL_UPLOAD_BYTES=str(args.small_upload_bytes),
            )

            from backend import create_app
            from backend.extensions import db

            app = create_app()

            def dispose() -> None:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()

            stack.callback(dispose)
            results["schema"] = build_schema(app, env)
            say(f"schema: {results['schema']}")
            t = time.perf_counter()
            info = seed(app, latency_postmen=len(paths) * len(delays))
            users = info["users"]
            say(
                f"seed: {len(users)} postmen, rounds for {info['today']} (Asia/Ho_Chi_Minh): "
                f"{BIG_ROUND}, {SMALL_ROUND} and {RPS_POSTMEN} x {RPS_ROUND} items"
                f"{f' and {len(paths) * len(delays)} x {BIG_ROUND} for the latency mode' if delays else ''}, "
                f"{sum(u['items'] for u in users.values())} items in {time.perf_counter() - t:.1f} s"
            )
            results["local_date"] = info["today"].isoformat()

            if delays:
                pids: list[int] = []
                results["latency_workers"] = args.workers
                with gunicorn(env, workdir, args.workers, pids) as port:
                    items_by_user = {}
                    for username in users:
                        if username.startswith("buuta.lat"):
                            client = Client(HOST, port)
                            login(client, username, f"bench-seed-{uuid.uuid4().hex[:8]}")
                            items_by_user[username] = full_pull(client)[0]
                            client.close()
                    measure_latency(
                        port,
                        users,
                        items_by_user,
                        delays,
                        paths,
                        args.small_upload_bytes,
                        db_url,
                        results,
                        pids[0],
                    )
            else:
                with gunicorn(env, workdir) as port:
                    items = measure_pull(port, "buuta.ct300", results)
                    measure_push(port, "buuta.ct300", users["buuta.ct300"]["id"], items, db_url, results)
                    measure_rps(port, db_url, args.seconds, args.loadgen, workdir, results)
                measure_statements(app, results)
    except BaseException as error:  # report, then exit non-zero: the benchmark itself did not run
        failure = error
        if not isinstance(error, (KeyboardInterrupt, SystemExit)):
            traceback.print_exc()
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    if not delays:
        ratios_and_targets_safe(results)
    if failure is not None:
        results["error"] = f"{type(failure).__name__}: {failure}"[:500]
    say("\n== Summary ==")
    for key, ok in results.get("targets_met", {}).items():
        say(f"target {key}: {'met' if ok else 'MISSED' if ok is False else 'not measured'}")
    say(f"elapsed: {results['elapsed_s']} s")
    print(json.dumps(results, ensure_ascii=False, default=str), flush=True)
    return 1 if failure is not None else 0


def ratios_and_targets_safe(results: dict) -> None:
    try:
        ratios_and_targets(results)
    except (KeyError, TypeError) as error:
        results.setdefault("targets_met", {})
        results["ratio_error"] = repr(error)


if __name__ == "__main__":
    sys.exit(main())
