#!/usr/bin/env python3
"""The server's side of a day's push, in-process (no link, no gunicorn): where the time goes.

    .venv/bin/python bench/push_profile.py [--engine pg|sqlite] [--batch 50] [--profile]

It builds the schema (PostgreSQL: a database of its own, dropped at the end; SQLite: a temporary
file), seeds the sync benchmark's world, uploads the files of 300 `deliver` proofs (a signature PNG and
a second one in the photo's place, so the uploads stay cheap and do not blur the push's figures), then
pushes the 300 mutations in batches of `--batch` through the Flask test client and reports per batch:
wall time, server time per mutation and SQL statements per mutation. `--profile` prints the top of a
cProfile of the pushes (cumulative). The last line is one JSON object. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import pstats
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import sync_bench as sb  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("pg", "sqlite"), default="pg")
    parser.add_argument("--batch", type=int, default=sb.PWA_BATCH, help="mutations per push (default 50)")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the pushes")
    parser.add_argument("--show", action="store_true", help="print the statements of the last push")
    args = parser.parse_args()
    results: dict = {"benchmark": "push_profile", "engine": args.engine, "batch": args.batch}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="postround_push_")))
        if args.engine == "pg":
            _, db_url = stack.enter_context(sb.bench_database())
        else:
            db_url = f"sqlite:///{workdir / 'push.db'}"
        env = sb.app_env(db_url, STORAGE_DIR=str(workdir / "storage"))
        from sqlalchemy import event

        from backend import create_app
        from backend.extensions import db
        from tests.kit.images import drawn_signature

        app = create_app()
        if args.engine == "pg":
            results["schema"] = sb.build_schema(app, env)
        else:
            with app.app_context():
                db.create_all()
                db.session.remove()
        sb.seed(app)
        client = app.test_client()
        reply = client.post(
            "/api/auth/login",
            json={
                "username": "buuta.ct300",
                "password": sb.PASSWORD,
                "device_id": f"prof-{uuid.uuid4().hex[:8]}",
            },
        )
        headers = {"Authorization": f"Bearer {reply.get_json()['access_token']}", "X-PostRound-Protocol": "1"}
        items = client.get("/api/sync/pull", headers=headers).get_json()["items"]
        items.sort(key=lambda i: i["stop_order"] or 0)
        rng = random.Random(sb.RANDOM_SEED + 3)
        start = datetime.now(sb._tz()).replace(hour=8, minute=0, second=0, microsecond=0)
        mutations = []
        for n, item in enumerate(items, start=1):
            sig, photo = drawn_signature(rng.randrange(2**31)), drawn_signature(rng.randrange(2**31))
            for content in (sig, photo):
                put = client.put(
                    f"/api/sync/attachments/{hashlib.sha256(content).hexdigest()}",
                    data=content,
                    headers=headers,
                    content_type="application/octet-stream",
                )
                assert put.status_code == 200 and put.get_json()["verified"], put.get_data()[:300]
            mutations.append(sb.deliver_mutation(item, n, start + timedelta(seconds=95 * n), sig, photo, rng))

        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        profiler = cProfile.Profile() if args.profile else None
        batches, outcomes = [], []
        for first in range(0, len(mutations), args.batch):
            batch = mutations[first : first + args.batch]
            del statements[:]
            began, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            reply = client.post("/api/sync/push", json=sb._envelope(batch), headers=headers)
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            assert reply.status_code == 200, reply.get_data()[:300]
            outcomes += reply.get_json()["results"]
            batches.append(
                {
                    "mutations": len(batch),
                    "wall_s": round(wall, 3),
                    "cpu_s": round(cpu, 3),
                    "statements": len(statements),
                }
            )
            print(
                f"push of {len(batch)}: {wall * 1000:.0f} ms wall ({wall / len(batch) * 1000:.1f} ms a mutation, "
                f"{cpu / len(batch) * 1000:.1f} ms of this process's CPU), {len(statements)} statements "
                f"({len(statements) / len(batch):.1f} a mutation)",
                flush=True,
            )
        if args.show:
            for statement in statements:
                print("    " + " ".join(statement.split())[:160])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    total = sum(b["wall_s"] for b in batches)
    results.update(
        batches=batches,
        wall_s=round(total, 2),
        ms_per_mutation=round(total / len(mutations) * 1000, 2),
        statements_per_mutation=round(sum(b["statements"] for b in batches) / len(mutations), 2),
        all_applied=all(o["outcome"] == "applied" for o in outcomes) and len(outcomes) == len(mutations),
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    print(
        f"total {total:.2f} s for {len(mutations)} mutations: {results['ms_per_mutation']} ms and "
        f"{results['statements_per_mutation']} statements a mutation; all applied: {results['all_applied']}"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
