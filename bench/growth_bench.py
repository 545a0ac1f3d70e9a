#!/usr/bin/env python3
"""Growth benchmark: does every per-poll call of a phone or the dashboard stay flat while the
database grows from 10,000 to 1,000,000 items (a province's years)?

    .venv/bin/python bench/growth_bench.py [--sizes 10k,100k] [--repeat 9]
    .venv/bin/python bench/growth_bench.py --sizes 10k,100k,1m      # the 1M step: several minutes

It creates its own database (postround_growth_<random>, dropped at the end, even on error),
builds the schema with the migrations, writes today's world through the ORM (40 postmen with a
30-stop round each, a backlog, proofs), then grows the history in bulk with INSERT ... SELECT
generate_series (rounds, items, proofs, fees, ledger rows of past days: almost everything
delivered and old) up to each size in turn. At each size it times every call in-process through
the Flask test client (--repeat runs, interleaved with /api/health; the ratio is best over best), counts its SQL
statements, and EXPLAINs them, naming any sequential scan of a large table. It prints a table
and, as its LAST line, one JSON object. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import signal
import statistics
import sys
import time
import traceback
import uuid
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
for path in (str(BENCH_DIR), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

from sync_bench import (  # noqa: E402
    add_catalogue,
    app_env,
    bench_database,
    build_schema,
    demo_item,
    demo_postman,
    say,
)

RANDOM_SEED = 20261201
PASSWORD = "buu-dien-tinh-2026"
POSTMEN, STOPS = 40, 30  # today's rounds; the history has the same shape, one round per postman per day
PER_DAY = POSTMEN * STOPS
DELIVERED_TODAY = 12  # stops of each of today's rounds already delivered, and 2 failed
BACKLOG = 300  # items waiting at the post office (some overdue, some after a failed visit)
BASE_ID = 1_000_000  # history rows' ids start here (today's world, through the ORM, stays below)
MONTH_ITEMS = 31 * PER_DAY  # history items that make sure last month is all there
BIG_TABLE_ROWS = 20_000  # a sequential scan of a table larger than this is reported
SEARCHED = 5_000  # the history item the search calls look for (there at every size from 10k)
FLAT_RATIO = 2.0  # a call is flat when its ratio at the largest size is at most this times the smallest's


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


# --- today's world (ORM) --------------------------------------------------------------------------------


def seed_today(app) -> dict:
    """Agencies, procedures, a supervisor, 40 postmen with a phone each and a 30-stop round today,
    and a backlog at the post office. Through the ORM, so the change feed stamps it."""
    from backend.auth.passwords import hash_password
    from backend.extensions import db
    from backend.models import Device, Item, PostOffice, Round, User
    from backend.timeutil import local_today

    rng = random.Random(RANDOM_SEED)
    with app.app_context():
        today = local_today()
        office = (app.config["POST_OFFICE_LAT"], app.config["POST_OFFICE_LON"])
        # One commune post office: its supervisor sees its items, rounds and reports (backend/auth/scope.py;
        # a supervisor of no office sees nothing, so every staff call would measure an empty answer).
        unit = PostOffice(code="BD-CHAUTHANH", name="Bưu điện xã Châu Thành", lat=office[0], lon=office[1])
        db.session.add(unit)
        catalogue = add_catalogue()
        password = hash_password(PASSWORD)
        supervisor = User(
            username="kiemsoat",
            password_hash=password,
            full_name="Kiểm soát viên",
            role="supervisor",
            offices=[unit],
        )
        db.session.add(supervisor)
        db.session.flush()
        office_id = unit.id
        serials = iter(rng.sample(range(10_000_000, 99_999_999), PER_DAY + BACKLOG))

        def item(direction: str, received: date) -> dict:
            return demo_item(
                rng, catalogue, serial=next(serials), direction=direction, received=received, office=office
            )

        postmen = []
        for n in range(POSTMEN):
            user = demo_postman(rng, f"buuta.{n:02d}", password)
            user.offices = [unit]
            db.session.add(user)
            db.session.flush()
            db.session.add(Device(id=f"growth-phone-{n:02d}", user_id=user.id, label="bench"))
            rnd = Round(postman_id=user.id, round_date=today, status="in_progress", office_id=unit.id)
            db.session.add(rnd)
            db.session.flush()
            for stop in range(1, STOPS + 1):
                fields = item(
                    rng.choice(("return", "return", "collect")), today - timedelta(days=rng.randint(1, 6))
                )
                row = Item(**fields, status="assigned", round_id=rnd.id, stop_order=stop, office_id=unit.id)
                row.refresh_search_text()
                db.session.add(row)
            postmen.append({"id": user.id, "username": user.username, "round_id": rnd.id})
        for n in range(BACKLOG):
            status = ("at_post_office", "registered", "failed_attempt")[n % 3]
            row = Item(
                **item("return", today - timedelta(days=rng.randint(1, 20))), status=status, office_id=unit.id
            )
            row.refresh_search_text()
            db.session.add(row)
        db.session.commit()
        db.session.remove()
    return {"today": today, "postmen": postmen, "supervisor": "kiemsoat", "office_id": office_id}


TODAY_PROOFS = """
-- The first DELIVERED_TODAY stops of each of today's rounds delivered, the next two failed: one
-- transaction's change-feed number, proofs, fees and ledger rows, as pushes would have left them.
WITH seq AS (UPDATE sync_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq)
UPDATE items SET status = CASE WHEN stop_order <= :delivered THEN 'delivered' ELSE 'failed_attempt' END,
       attempt_count = CASE WHEN stop_order <= :delivered THEN 0 ELSE 1 END,
       change_seq = (SELECT seq FROM seq), version = version + 1
 WHERE round_id IN (SELECT id FROM rounds WHERE round_date = :today) AND stop_order <= :delivered + 2;
INSERT INTO delivery_attempts (client_mutation_id, item_id, postman_id, device_id, round_id, outcome,
       reason_code, receiver_name, receiver_relation, lat, lon, accuracy_m, device_time, server_time,
       fee_collected, government_fee_collected, flagged, complete)
SELECT 'today-' || i.id, i.id, r.postman_id, (SELECT d.id FROM devices d WHERE d.user_id = r.postman_id), r.id,
       CASE WHEN i.stop_order <= :delivered THEN 'delivered' ELSE 'failed' END,
       CASE WHEN i.stop_order <= :delivered THEN NULL ELSE 'not_home' END,
       CASE WHEN i.stop_order <= :delivered THEN i.recipient_name END, 'self',
       i.lat + CASE WHEN i.stop_order = 1 THEN 0.01 ELSE 0 END, i.lon, 8,
       now() - (40 - i.stop_order) * interval '5 min', now() - (40 - i.stop_order) * interval '5 min',
       CASE WHEN i.stop_order <= :delivered THEN i.service_fee ELSE 0 END, 0,
       i.stop_order = 2 AND r.postman_id % 10 = 0, true
  FROM items i JOIN rounds r ON r.id = i.round_id
 WHERE r.round_date = :today AND i.stop_order <= :delivered + 2;
INSERT INTO fee_entries (client_mutation_id, item_id, attempt_id, postman_id, service_fee, government_fee,
       device_time, server_time)
SELECT a.client_mutation_id, a.item_id, a.id, a.postman_id, a.fee_collected, 0, a.device_time, a.server_time
  FROM delivery_attempts a WHERE a.outcome = 'delivered';
INSERT INTO sync_mutations (id, device_id, device_seq, user_id, type, item_id, outcome, result, payload,
       device_time, received_at)
SELECT a.client_mutation_id, a.device_id, row_number() OVER (PARTITION BY a.device_id ORDER BY a.id),
       a.postman_id, CASE WHEN a.outcome = 'failed' THEN 'fail' ELSE 'deliver' END, a.item_id, 'applied',
       '{}', '{}', a.device_time, a.server_time
  FROM delivery_attempts a;
UPDATE devices d SET last_sync_at = now() - interval '10 min', last_seen_at = now(),
       last_seq = (SELECT count(*) FROM sync_mutations m WHERE m.device_id = d.id);
"""

# Past days, day d = 1, 2, ... before today: one round per postman and day; 30 stops each. Every
# item is delivered (with its fee and ledger row) except one in a hundred, returned to its agency
# after a failed visit; one in ten was delivered on a second visit (a failed attempt first). Ids
# are computed, so no step needs a join: item g has id BASE_ID + g.
HISTORY = """
INSERT INTO rounds (id, office_id, postman_id, round_date, status, total_distance_m, change_seq, created_at,
       updated_at)
SELECT :base + d * :postmen + p, :office, :first_postman + p, CAST(:today AS date) - d - 1, 'closed', 12000, 0,
       CAST(:today AS date) - d - 2, CAST(:today AS date) - d - 1
  FROM generate_series(:day_from, :day_to) d, generate_series(0, :postmen - 1) p;
INSERT INTO items (id, office_id, code, direction, dossier_code, procedure_id, agency_id, recipient_name, recipient_phone,
       address_line, commune, province, lat, lon, service_fee, government_fee, due_date, attempt_count,
       invitation_count, last_invitation_on, status, round_id, stop_order, leg_distance_m, search_text,
       phone_digits, change_seq, version, created_at, updated_at)
SELECT :base + g, :office, 'HB' || lpad(g::text, 9, '0') || 'VN', CASE WHEN g % 3 = 2 THEN 'collect' ELSE 'return' END,
       '000.21.30.H01-' || g, :procedure_first + g % :procedures, :agency_first + g % :agencies,
       'Nguyễn Văn ' || g, '09' || lpad((g % 100000000)::text, 8, '0'),
       (g % 300) || ' đường số ' || (g % 17), 'Xã Châu Thành', 'An Giang',
       10.0035 + ((g::bigint * 7919) % 1000 - 500) / 10000.0, 105.1694 + ((g::bigint * 104729) % 1000 - 500) / 10000.0,
       26000, 0, CAST(:today AS date) - (g / :per_day) + 4, (g % 10 = 0 OR g % 100 = 7)::int,
       (g % 10 = 0 OR g % 100 = 7)::int, CASE WHEN g % 10 = 0 OR g % 100 = 7 THEN CAST(:today AS date) - (g / :per_day) - 3 END,
       CASE WHEN g % 100 = 7 THEN 'returned_to_agency' WHEN g % 3 = 2 THEN 'handed_to_agency' ELSE 'delivered' END,
       :base + (g / :per_day) * :postmen + (g / :stops) % :postmen, g % :stops + 1, 400,
       -- The fold backend.domain.text.search_text gives these fields (the search box reads it).
       'hb' || lpad(g::text, 9, '0') || 'vn 000.21.30.h01-' || g || ' nguyen van ' || g || ' 09'
           || lpad((g % 100000000)::text, 8, '0') || ' ' || (g % 300) || ' duong so ' || (g % 17)
           || ' xa chau thanh an giang 09' || lpad((g % 100000000)::text, 8, '0'),
       '09' || lpad((g % 100000000)::text, 8, '0'), 0, 2,
       CAST(:today AS date) - (g / :per_day) - 6, CAST(:today AS date) - (g / :per_day) - 1
  FROM generate_series(:item_from, :item_to) g;
INSERT INTO delivery_attempts (id, client_mutation_id, item_id, postman_id, device_id, round_id, outcome,
       reason_code, receiver_name, receiver_relation, lat, lon, accuracy_m, device_time, server_time,
       fee_collected, government_fee_collected, flagged, counts_as_invitation, complete)
SELECT :base + 2 * g + v, 'h' || g || '-' || v, :base + g, :first_postman + (g / :stops) % :postmen,
       'growth-phone-' || lpad(((g / :stops) % :postmen)::text, 2, '0'),
       :base + (g / :per_day) * :postmen + (g / :stops) % :postmen,
       CASE WHEN v = 0 THEN 'failed' WHEN g % 3 = 2 THEN 'collected' ELSE 'delivered' END,
       CASE WHEN v = 0 THEN 'not_home' END, CASE WHEN v = 1 THEN 'Nguyễn Văn ' || g END, 'self',
       10.0035, 105.1694, 8, ts, ts, CASE WHEN v = 1 THEN 26000 ELSE 0 END, 0, false,
       CASE WHEN v = 0 THEN true END, true
  FROM generate_series(:item_from, :item_to) g,
       LATERAL (SELECT (CAST(:today AS date) - (g / :per_day) - 1 + time '01:30' + (g % :stops) * interval '12 min')
                       AT TIME ZONE 'UTC' AS ts) t,
       LATERAL (SELECT v FROM generate_series(0, 1) v
                 WHERE (v = 1 AND g % 100 <> 7) OR (v = 0 AND (g % 10 = 0 OR g % 100 = 7))) w;
INSERT INTO fee_entries (id, client_mutation_id, item_id, attempt_id, postman_id, service_fee, government_fee,
       device_time, server_time)
SELECT id, client_mutation_id, item_id, id, postman_id, fee_collected, 0, device_time, server_time
  FROM delivery_attempts WHERE id BETWEEN :base + 2 * :item_from AND :base + 2 * :item_to + 1 AND outcome <> 'failed';
INSERT INTO sync_mutations (id, device_id, device_seq, user_id, type, item_id, outcome, result, payload,
       device_time, received_at)
SELECT client_mutation_id, device_id, id, postman_id, CASE WHEN outcome = 'failed' THEN 'fail' ELSE 'deliver' END,
       item_id, 'applied', '{"outcome": "applied"}', '{"receiver_relation": "self"}', device_time, server_time
  FROM delivery_attempts WHERE id BETWEEN :base + 2 * :item_from AND :base + 2 * :item_to + 1;
"""


def _statements(script: str, numbers: dict | None = None) -> list[str]:
    """The script's statements, with its whole-number parameters written in (typed literals leave
    PostgreSQL no doubt which generate_series is meant); dates stay bound."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    text = re.sub(
        r":(\w+)",
        lambda m: str(int((numbers or {})[m[1]])) if m[1] in (numbers or {}) else m[0],
        "\n".join(lines),
    )
    return [s.strip() for s in text.split(";") if s.strip()]


def write_today(app, info: dict) -> None:
    import sqlalchemy as sa

    from backend.extensions import db

    with app.app_context():
        for statement in _statements(TODAY_PROOFS, {"delivered": DELIVERED_TODAY}):
            db.session.execute(sa.text(statement), {"today": info["today"]})
        db.session.commit()
        db.session.remove()


def grow(app, info: dict, have: int, want: int) -> float:
    """History items [have, want) with their rounds, proofs, fees and ledger rows; then ANALYZE."""
    import sqlalchemy as sa

    from backend.extensions import db

    began = time.perf_counter()
    with app.app_context():
        ids = db.session.execute(
            sa.text(
                "SELECT min(id), count(*) FROM agencies UNION ALL SELECT min(id), count(*) FROM procedures"
            )
        ).all()
        step = 50_000  # items per batch: a few seconds each, bounded memory
        for start in range(have, want, step):
            stop = min(start + step, want) - 1
            params = {
                "base": BASE_ID,
                "today": info["today"],
                "postmen": POSTMEN,
                "stops": STOPS,
                "per_day": PER_DAY,
                "first_postman": info["postmen"][0]["id"],
                "office": info["office_id"],
                "agency_first": ids[0][0],
                "agencies": ids[0][1],
                "procedure_first": ids[1][0],
                "procedures": ids[1][1],
                "item_from": start,
                "item_to": stop,
                # Rounds of the days this batch starts (a day begun by an earlier batch has them).
                "day_from": start // PER_DAY + (start % PER_DAY != 0),
                "day_to": stop // PER_DAY,
            }
            numbers = {key: value for key, value in params.items() if isinstance(value, int)}
            for statement in _statements(HISTORY, numbers):
                db.session.execute(sa.text(statement), {"today": info["today"]})
            db.session.commit()
        for table, column in (
            ("items", "id"),
            ("rounds", "id"),
            ("delivery_attempts", "id"),
            ("fee_entries", "id"),
        ):
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table}"
                )
            )
        db.session.commit()
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    return time.perf_counter() - began


# --- the calls ------------------------------------------------------------------------------------------


class Calls:
    """Every per-poll call, through the Flask test client, with its statements counted."""

    def __init__(self, app, info: dict, only: list[str] | None = None):
        from sqlalchemy import event

        from backend.extensions import db

        self.app, self.info, self.only = app, info, only or []
        self.client = app.test_client()
        self.log: list[tuple[str, object]] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._count)
        self.staff = self._sign_in(info["supervisor"], None)
        postman = info["postmen"][1]
        self.device = f"growth-poll-{uuid.uuid4().hex[:6]}"
        self.phone = self._sign_in(postman["username"], self.device)
        self.steady_cursor = self._pull_all(None)
        self.today = info["today"]

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.log.append((statement, parameters))

    def _sign_in(self, username: str, device_id: str | None) -> dict:
        body = {"username": username, "password": PASSWORD} | ({"device_id": device_id} if device_id else {})
        reply = self.client.post("/api/auth/login", json=body)
        assert reply.status_code == 200, reply.get_json()
        return {"Authorization": f"Bearer {reply.get_json()['access_token']}", "X-PostRound-Protocol": "1"}

    def _pull_all(self, cursor: str | None) -> str:
        while True:
            reply = self.client.get(
                "/api/sync/pull", query_string={"cursor": cursor} if cursor else {}, headers=self.phone
            )
            assert reply.status_code == 200, reply.get_data()[:300]
            page = reply.get_json()
            cursor = page["cursor"]
            if not page["more"]:
                return cursor

    def table(self) -> dict:
        """name -> (path, query, headers): what a phone and the dashboard ask at every poll."""
        day = self.today.isoformat()
        month_end = self.today.replace(day=1) - timedelta(days=1)
        month = {
            "period": "month",
            "date_from": month_end.replace(day=1).isoformat(),
            "date_to": month_end.isoformat(),
        }
        return {
            "health": ("/api/health", {}, {}),
            "phone_pull_steady": ("/api/sync/pull", {"cursor": self.steady_cursor}, self.phone),
            "phone_pull_changed": ("/api/sync/pull", {"cursor": self.changed_cursor}, self.phone),
            "phone_pull_full": ("/api/sync/pull", {}, self.phone),
            "phone_rounds_mine": ("/api/rounds/mine", {}, self.phone),
            "dashboard_today": ("/api/dashboard/today", {"date": day}, self.staff),
            "dashboard_map": ("/api/dashboard/map", {"date": day}, self.staff),
            "dashboard_exceptions": ("/api/dashboard/exceptions", {"date": day}, self.staff),
            "items_changed_since": (
                "/api/items",
                {"changed_since": self.feed_cursor, "per_page": 100},
                self.staff,
            ),
            "planning_backlog": (
                "/api/items",
                {"status": ["at_post_office", "registered", "failed_attempt"], "per_page": 500},
                self.staff,
            ),
            "planning_rounds": ("/api/rounds", {"date": day, "per_page": 200}, self.staff),
            "reports_month": ("/api/reports", month | {"group_by": "agency"}, self.staff),
            "reports_month_postman": ("/api/reports", month | {"group_by": "postman"}, self.staff),
            # The search box (GET /api/search, all three groups, 8 each) over the history: an S10 code, a
            # phone's digits, a name with its rare word, and a word every item holds (the worst case).
            "search_code": ("/api/search", {"q": f"HB{SEARCHED:09d}VN"}, self.staff),
            "search_phone": ("/api/search", {"q": f"09{SEARCHED:08d}"}, self.staff),
            "search_name": ("/api/search", {"q": f"nguyen van {SEARCHED}"}, self.staff),
            "search_common": ("/api/search", {"q": "nguyễn"}, self.staff),
        }

    def prepare_changes(self) -> None:
        """A cursor from before one change to the phone's round (the poll that finds one item), and
        the change cursor an agency's poller holds from a few changes ago."""
        import sqlalchemy as sa

        from backend.extensions import db
        from backend.models import Item

        with self.app.app_context():
            item = db.session.execute(
                sa.select(Item)
                .where(Item.round_id == self.info["postmen"][1]["round_id"], Item.status == "assigned")
                .limit(1)
            ).scalar_one()
            item.note = f"Gọi trước khi đến ({uuid.uuid4().hex[:4]})"
            db.session.commit()
            self.feed_cursor = db.session.execute(sa.text("SELECT seq - 1 FROM sync_clock")).scalar_one()
            db.session.remove()
        self.changed_cursor = self.steady_cursor
        self.steady_cursor = self._pull_all(self.changed_cursor)

    def run(self, path: str, query: dict, headers: dict) -> tuple[float, list]:
        del self.log[:]
        began = time.perf_counter()
        reply = self.client.get(path, query_string=query, headers=headers)
        elapsed = time.perf_counter() - began
        assert reply.status_code == 200, (path, reply.status_code, reply.get_data()[:300])
        return elapsed, list(self.log)


def seq_scans(app, statements: list, offenders: list | None = None) -> list[str]:
    """Large tables a SELECT of `statements` reads in full (EXPLAIN's Seq Scan nodes), with rows;
    the statements themselves go to `offenders`."""
    from backend.extensions import db

    found = set()
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")
            sizes = dict(cursor.fetchall())
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0]
                stack = [plan[0]["Plan"]]
                while stack:
                    node = stack.pop()
                    stack += node.get("Plans", [])
                    table = node.get("Relation Name")
                    if node["Node Type"] == "Seq Scan" and sizes.get(table, 0) > BIG_TABLE_ROWS:
                        found.add(f"{table}({int(sizes[table])})")
                        if offenders is not None and statement not in offenders:
                            offenders.append(statement)
            raw.rollback()
        finally:
            raw.close()
    return sorted(found)


def measure(calls: Calls, repeat: int, explain: bool = False) -> dict:
    table = calls.table()
    if calls.only:
        unknown = set(calls.only) - set(table)
        assert not unknown, f"no such call: {sorted(unknown)}"
        table = {name: call for name, call in table.items() if name == "health" or name in calls.only}
    times: dict[str, list[float]] = {name: [] for name in table}
    statements: dict[str, list] = {}
    for path, query, headers in table.values():  # warm-up: caches, plans, the pool
        calls.run(path, query, headers)
    for _ in range(repeat):
        for name, (path, query, headers) in table.items():
            if name != "health":
                times["health"].append(calls.run(*table["health"])[0])
            elapsed, ran = calls.run(path, query, headers)
            times[name].append(elapsed)
            # The fewest a run made: the steady cost, without the pull's once-a-minute last_sync_at write.
            if name not in statements or len(ran) < len(statements[name]):
                statements[name] = ran
    health = min(times["health"])
    results = {}
    for name in table:
        best = min(times[name])
        offenders: list[str] = []
        results[name] = {
            "ms": round(statistics.median(times[name]) * 1000, 2),
            "best_ms": round(best * 1000, 2),
            "ratio": round(best / health, 2),
            "statements": len(statements[name]),
            "sql": [" ".join(statement.split())[:160] for statement, _ in statements[name]],
            "seq_scans": seq_scans(calls.app, statements[name], offenders),
        }
        for statement in offenders if explain else ():
            say(f"-- {name} reads a whole table:\n{statement}\n")
    return results


def flatness(by_size: dict[int, dict], today_items: int) -> dict:
    """Per call: the same statements, a ratio at most FLAT_RATIO times the first size's, and no
    whole-table read at the largest size. A month's report is compared from the first size whose
    history holds the whole of last month (below that the month itself is still filling up)."""
    sizes = sorted(by_size)
    full_month = [s for s in sizes if s - today_items >= MONTH_ITEMS]
    verdict = {}
    for name in by_size[sizes[0]]:
        base = (full_month or [None])[0] if name.startswith("reports") else sizes[0]
        if base is None or base == sizes[-1]:
            verdict[name] = None  # not measured over two sizes
            continue
        small, large = by_size[base][name], by_size[sizes[-1]][name]
        verdict[name] = (
            large["statements"] == small["statements"]
            and large["ratio"] <= FLAT_RATIO * max(small["ratio"], 1.0)
            and not large["seq_scans"]
        )
    return verdict


def print_table(by_size: dict[int, dict]) -> None:
    sizes = sorted(by_size)
    names = list(by_size[sizes[0]])
    head = f"{'call':<24}" + "".join(f"{f'{s:,} items':>30}" for s in sizes)
    say(head)
    say(f"{'':<24}" + "".join(f"{'median  best  ratio stmts':>30}" for _ in sizes))
    for name in names:
        cells = []
        for size in sizes:
            r = by_size[size][name]
            cells.append(f"{r['ms']:>9.1f} {r['best_ms']:>7.1f} {r['ratio']:>6.1f} {r['statements']:>5}")
        say(f"{name:<24}" + "".join(f"{c:>30}" for c in cells))
    for size in sizes:
        for name, r in by_size[size].items():
            if r["seq_scans"]:
                say(f"  {size:,}: {name} reads whole tables: {', '.join(r['seq_scans'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k", help="items in the database at each step (default 10k,100k)"
    )
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of each call per size")
    parser.add_argument(
        "--page-cost",
        type=float,
        default=1.1,
        help="random_page_cost of the bench's database (default 1.1, the SSD setting docs/scaling.md asks "
        "for; 4 is PostgreSQL's default, for spinning disks)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards, to EXPLAIN by hand"
    )
    parser.add_argument(
        "--calls",
        default="",
        help="time only these calls (comma-separated names, e.g. reports_month_postman; /api/health always)",
    )
    parser.add_argument(
        "--database-prefix",
        default="postround_growth",
        help="the bench database's name before its random tail",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print each statement that reads a whole large table"
    )
    parser.add_argument(
        "--without-search-index",
        action="store_true",
        help="drop the search text's trigram index after the migrations (the search as before 0022)",
    )
    args = parser.parse_args()
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    began = time.perf_counter()
    results: dict = {"benchmark": "growth", "version": 1, "sizes": sizes}
    failure = None
    try:
        with contextlib.ExitStack() as stack:
            name, db_url = stack.enter_context(bench_database(args.database_prefix, args.keep))
            results["database"] = name
            env = app_env(db_url, TASK_QUEUE_URL="immediate", DB_STATEMENT_TIMEOUT_MS="600000")

            from backend import create_app
            from backend.extensions import db

            app = create_app({"TASK_QUEUE_URL": "immediate"})

            def dispose() -> None:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()

            stack.callback(dispose)
            with app.app_context():
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql(
                        f'ALTER DATABASE "{name}" SET random_page_cost = {float(args.page_cost)}'
                    )
                db.engine.dispose()  # new connections take the setting
            results["random_page_cost"] = args.page_cost
            results["schema"] = build_schema(app, env)
            say(f"schema: {results['schema']}")
            if args.without_search_index:
                with app.app_context():
                    db.session.execute(db.text("DROP INDEX ix_items_search_trgm"))
                    db.session.commit()
                    db.session.remove()
                results["search_index"] = False
            info = seed_today(app)
            write_today(app, info)
            today_items = PER_DAY + BACKLOG
            say(
                f"today ({info['today']}): {POSTMEN} rounds of {STOPS} stops, {BACKLOG} waiting: {today_items} items"
            )
            calls = None
            by_size: dict[int, dict] = {}
            loads = {}
            have = 0
            for size in sizes:
                want = max(size - today_items, 0)
                seconds = grow(app, info, have, want)
                have = want
                loads[size] = round(seconds, 1)
                say(f"grown to {size:,} items in {seconds:.1f} s")
                if calls is None:
                    calls = Calls(app, info, only=[c for c in args.calls.split(",") if c])
                    calls.prepare_changes()
                by_size[size] = measure(calls, args.repeat, args.explain and size == sizes[-1])
                previous = by_size.get(sizes[sizes.index(size) - 1]) if size != sizes[0] else None
                for name, row in by_size[size].items() if args.explain and previous else ():
                    if row["statements"] != previous[name]["statements"]:
                        say(f"-- {name}: {previous[name]['statements']} then {row['statements']} statements:")
                        for line in row["sql"]:
                            say(f"   {line}")
            results["load_s"] = loads
            for rows in by_size.values():
                for row in rows.values():
                    row.pop("sql")
            results["calls"] = {name: {str(s): by_size[s][name] for s in sizes} for name in by_size[sizes[0]]}
            say("\n== Latency (ms, median), ratio to /api/health, SQL statements ==")
            print_table(by_size)
            results["flat"] = flatness(by_size, today_items)
            results["all_flat"] = all(v is not False for v in results["flat"].values())
    except BaseException as error:
        failure = error
        if not isinstance(error, (KeyboardInterrupt, SystemExit)):
            traceback.print_exc()
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    if failure is not None:
        results["error"] = f"{type(failure).__name__}: {failure}"[:500]
    for name, ok in results.get("flat", {}).items():
        say(f"{name}: {'flat' if ok else 'GROWS' if ok is False else 'not compared'}")
    say(f"elapsed: {results['elapsed_s']} s")
    print(json.dumps(results, ensure_ascii=False, default=str), flush=True)
    return 1 if failure is not None else 0


if __name__ == "__main__":
    sys.exit(main())
